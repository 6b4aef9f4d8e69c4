namespace LetsChat.RoomService.Rooms;

public enum RoomEventKind
{
    Message,
    Presence,
    Typing,
}

/// <summary>
/// One frame from the room's channel, read once per replica. <see cref="Frame"/> is what v1
/// sockets get; <see cref="SeedFrame"/> (messages only) is what seed sockets get. Both are shared
/// by every recipient on this replica.
/// </summary>
public sealed record RoomEvent(
    RoomEventKind Kind,
    string? Epoch,
    long Seq,
    string? SenderId,
    ReadOnlyMemory<byte> Frame,
    byte[]? SeedFrame)
{
    /// <summary>Messages: the server time of publishing (Unix ms), for the delivery latency histogram.</summary>
    public long PublishedAtMs { get; init; }

    /// <summary>Messages: the publish span's W3C traceparent, so delivering is part of the message's trace.</summary>
    public string? TraceParent { get; init; }
}
