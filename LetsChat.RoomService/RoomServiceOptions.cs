namespace LetsChat.RoomService;

/// <summary>Limits of the room service, bound to <c>LetsChat:Rooms</c>.</summary>
public sealed class RoomServiceOptions
{
    public const string SectionName = "LetsChat:Rooms";

    /// <summary>Largest inbound frame (after reassembly of fragments); larger ones close with 1009.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Frames waiting to be written to one socket; a client that lets it fill is closed with 1013.</summary>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>Server keep-alive frames; also keeps the gateway's idle timeout from cutting quiet sockets.</summary>
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>How long a closing handshake (or a stuck send) may take before the socket is aborted.</summary>
    public int CloseTimeoutSeconds { get; set; } = 5;
}
