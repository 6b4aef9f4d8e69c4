using System.ComponentModel.DataAnnotations;

namespace LetsChat.RoomService;

/// <summary>
/// Limits of the room service, bound to <c>LetsChat:Rooms</c>. docs/protocol.md lists them for
/// clients. Each is validated where it is declared (its range, and <see cref="Validate"/> for
/// the rules between them), at start: a value out of range stops the service with a message that
/// names the option, never a silent clamp.
/// </summary>
public sealed class RoomServiceOptions : IValidatableObject
{
    public const string SectionName = "LetsChat:Rooms";

    private const string InRange = SectionName + ":{0} must be from {1} to {2}.";
    private const int Day = 24 * 3600;

    /// <summary>Largest inbound frame (after reassembly of fragments); larger ones close with 1009.</summary>
    [Range(256, int.MaxValue, ErrorMessage = InRange)]
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Longest message text, in UTF-16 code units.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int MaxMessageChars { get; set; } = 4000;

    /// <summary>
    /// Largest a message may grow to as stored (its text, reply, reactions and their users, as JSON):
    /// an edit or reaction that would pass it is refused with <c>too_large</c>. A room keeps each
    /// message at most twice (its log entry and its latest update), so this bounds a room's memory.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int MaxStoredMessageBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Reactions one message may carry, one per user and emoji: a new one beyond this is refused
    /// with <c>too_many_reactions</c>. Each is a member of the room's reactors set (about 120 bytes
    /// in Redis), so with <see cref="HistoryLength"/> this bounds what reactions cost a room.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int MaxReactionsPerMessage { get; set; } = 1000;

    /// <summary>
    /// The most users a room announces joins and leaves for, and lists to a joiner. A larger room
    /// (a crowd) sends its count each heartbeat instead: otherwise N joins cost N² frames.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int PresenceListed { get; set; } = 100;

    /// <summary>
    /// Bytes one socket may have waiting behind a flush that has not finished (the kernel's buffers
    /// and the connection's are already full); a client that lets more pile up is closed with 1013.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int SendBufferBytes { get; set; } = 1024 * 1024;

    /// <summary>Live events a v1 socket may hold while its catch-up (history or resume) is being sent.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int CatchUpHoldLimit { get; set; } = 4096;

    /// <summary>
    /// Every socket is pinged this often, by one timer per replica (which also keeps the gateway's
    /// idle timeout from cutting quiet sockets). A peer that has sent nothing, not even the pong,
    /// by the next ping is gone: its connection is aborted and counted (<c>no_pong</c>).
    /// </summary>
    [Range(1, Day, ErrorMessage = InRange)]
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>
    /// How long a socket's transport may take nothing at all (a flush that has not finished) before
    /// the connection is aborted and counted (<c>stalled</c>): a peer that stops reading is let go
    /// of, with whatever waits for it, however little it was sent.
    /// </summary>
    [Range(1, Day, ErrorMessage = InRange)]
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Most bytes of messages in one history or reset frame: a page whose messages pass it carries
    /// only its newest that fit (at least one), with <c>more: true</c>, and the client asks for the
    /// rest (<c>before</c>). So no frame this service writes for one socket is bigger than about this.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int HistoryFrameBytes { get; set; } = 64 * 1024;

    /// <summary>How long a closing handshake (or a stuck send) may take before the socket is aborted.</summary>
    [Range(1, Day, ErrorMessage = InRange)]
    public int CloseTimeoutSeconds { get; set; } = 5;

    /// <summary>Messages kept per room; resuming from further back gets a reset.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int HistoryLength { get; set; } = 1000;

    /// <summary>Messages a letschat.v1 client gets when it joins without a resume point.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int JoinHistory { get; set; } = 50;

    /// <summary>Most messages one history request returns.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int HistoryPageMax { get; set; } = 100;

    /// <summary>A presence entry not refreshed for this long is gone (a crashed replica's members leave by themselves).</summary>
    [Range(3, Day, ErrorMessage = InRange)]
    public int PresenceTtlSeconds { get; set; } = 30;

    /// <summary>
    /// How often a quiet room is compared with its log in Redis. A subscription can go deaf without
    /// an error (seen after Redis restarts); a log that moved on while nothing arrived is refilled
    /// and resubscribed within two checks.
    /// </summary>
    [Range(1, Day, ErrorMessage = InRange)]
    public int FeedCheckSeconds { get; set; } = 2;

    /// <summary>
    /// Redis Cluster only: how long a send waits for a replica to confirm it (WAIT) before it is
    /// refused as unavailable. An ack on a cluster means the message is on two nodes.
    /// </summary>
    [Range(1, 60_000, ErrorMessage = InRange)]
    public int ReplicaWaitMilliseconds { get; set; } = 500;

    /// <summary>At most one typing frame per user per this interval; extra ones are dropped.</summary>
    [Range(0, Day * 1000, ErrorMessage = InRange)]
    public int TypingIntervalMilliseconds { get; set; } = 2000;

    /// <summary>A room's history expires after this many days without a message.</summary>
    [Range(1, 3650, ErrorMessage = InRange)]
    public int RetentionDays { get; set; } = 7;

    public int RetentionSeconds => RetentionDays * 24 * 3600;

    /// <summary>Frames a socket may send per second, sustained (token bucket refill).</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int FramesPerSecond { get; set; } = 10;

    /// <summary>Frames a socket may send in a burst (token bucket size).</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int FrameBurst { get; set; } = 30;

    /// <summary>A socket refused this many frames in a row for flooding is closed with 1008.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int FloodCloseAfter { get; set; } = 50;

    /// <summary>
    /// Sockets one client network (an IPv4 address, an IPv6 /64) may hold across all replicas; more get 429.
    /// (The name is older than the /64.)
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int MaxConnectionsPerIp { get; set; } = 2000;

    /// <summary>Sockets one signed-in user may hold across all replicas (tabs, devices); more get 429.</summary>
    [Range(1, int.MaxValue, ErrorMessage = InRange)]
    public int MaxConnectionsPerUser { get; set; } = 50;

    /// <summary>Origins, besides the site's own, whose pages may open chat sockets (e.g. "https://chat.example.com").</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Presence entries are refreshed three times per TTL, so one missed beat loses nobody.</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(PresenceTtlSeconds / 3.0);

    /// <summary>
    /// How long a room that never had a message keeps its one key (its epoch) after its last member
    /// leaves: joins to fresh names cost Redis nothing for longer. Presence renews it meanwhile.
    /// </summary>
    public int EmptyRoomSeconds => 2 * PresenceTtlSeconds;

    /// <summary>The rules between options, each message naming the options it is about.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxStoredMessageBytes < 4 * MaxMessageChars + 1024)
        {
            yield return Problem("MaxStoredMessageBytes must hold a message of MaxMessageChars (at least 4 bytes a character, plus 1,024)", nameof(MaxStoredMessageBytes));
        }
        if (SendBufferBytes < MaxFrameBytes)
        {
            yield return Problem("SendBufferBytes must be at least MaxFrameBytes", nameof(SendBufferBytes));
        }
        if (HistoryFrameBytes < MaxStoredMessageBytes)
        {
            yield return Problem("HistoryFrameBytes must hold a message of MaxStoredMessageBytes", nameof(HistoryFrameBytes));
        }
    }

    private static ValidationResult Problem(string message, string option) => new($"{SectionName}:{message}.", [option]);
}
