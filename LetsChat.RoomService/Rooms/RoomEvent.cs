using LetsChat.RoomService.Protocol;

namespace LetsChat.RoomService.Rooms;

public enum RoomEventKind
{
    Message,
    Presence,
    Typing,
}

/// <summary>
/// One frame from the room's channel, read once per replica. <see cref="Frame"/> is the letschat.v1
/// JSON; <see cref="Text"/> (messages only) is what seed sockets are sent. The complete WebSocket
/// frames for each protocol are encoded on first use and then shared by every recipient on this
/// replica: one encoding per message per protocol, none per recipient.
/// </summary>
public sealed record RoomEvent(
    RoomEventKind Kind,
    string? Epoch,
    long Seq,
    string? SenderId,
    ReadOnlyMemory<byte> Frame,
    string? Text)
{
    private byte[]? _v1Wire;
    private byte[]? _seedWire;

    /// <summary>Messages: the server time of publishing (Unix ms), for the delivery latency histogram.</summary>
    public long PublishedAtMs { get; init; }

    /// <summary>Messages: the publish span's W3C traceparent, so delivering is part of the message's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The v1 frame as it goes on the wire. Delivery runs on the room's one loop, so no lock is needed.</summary>
    public ReadOnlyMemory<byte> V1Wire => _v1Wire ??= WireFrame.Text(Frame.Span);

    /// <summary>Messages: the seed frame <c>{"message": …}</c> as it goes on the wire.</summary>
    public ReadOnlyMemory<byte> SeedWire => _seedWire ??= WireFrame.Text(SeedProtocol.EncodeMessage(Text ?? ""));
}
