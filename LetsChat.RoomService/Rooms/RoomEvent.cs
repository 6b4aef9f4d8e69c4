using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

public enum RoomEventKind
{
    Message,
    /// <summary>An edit, delete or reaction of the message at <see cref="RoomEvent.Target"/>, with its own seq.</summary>
    Update,
    Presence,
    Typing,
    /// <summary>The log went backwards: it goes on as <see cref="RoomEvent.Epoch"/> after <see cref="RoomEvent.Seq"/>.</summary>
    Rewind,
    /// <summary>A v1 <c>reset</c> frame made for this replica's members (in <see cref="RoomEvent.Body"/>): their view becomes the log's.</summary>
    Reset,
}

/// <summary>
/// One event of a room, read once per replica from its channel or its log (Redis/RoomRecords).
/// <see cref="Body"/> is the JSON the record carried: a message's body, or the user of a presence
/// change or a typing event. The frames each protocol sends are built from it on first use and
/// then shared by every recipient on this replica: one encoding per event per protocol, none per
/// recipient.
/// </summary>
public sealed record RoomEvent(
    RoomEventKind Kind,
    string Room,
    string? Epoch,
    long Seq,
    string? SenderId,
    ReadOnlyMemory<byte> Body,
    string? Text)
{
    private byte[]? _v1;
    private byte[]? _v1Wire;
    private byte[]? _seedWire;

    /// <summary>Messages and updates: they have a seq in the room's log, and are delivered in its order.</summary>
    public bool IsLogged => Kind is RoomEventKind.Message or RoomEventKind.Update;

    /// <summary>Updates: the seq of the message they change.</summary>
    public long Target { get; init; }

    /// <summary>Messages: how many updates the entry has had (of two copies of one seq, the higher is current).</summary>
    public int Version { get; init; }

    /// <summary>Presence: <c>join</c> or <c>leave</c>.</summary>
    public string? Change { get; init; }

    /// <summary>Messages: the server time of publishing (Unix ms), for the delivery latency histogram.</summary>
    public long PublishedAtMs { get; init; }

    /// <summary>Messages: the publish span's W3C traceparent, so delivering is part of the message's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// The letschat.v1 frame's JSON. Built lazily without a lock: delivery runs on the room's one
    /// loop, and a race elsewhere (history) would only build the same bytes twice.
    /// </summary>
    public ReadOnlyMemory<byte> V1 => _v1 ??= Kind switch
    {
        RoomEventKind.Message => V1Frames.Message(Room, Epoch!, Seq, Body.Span),
        RoomEventKind.Update => V1Frames.Update(Room, Epoch!, Seq, Body.Span),
        RoomEventKind.Presence when Change == "count" => V1Frames.PresenceCount(Body.Span),
        RoomEventKind.Presence => V1Frames.PresenceChange(Change ?? "join", Body.Span),
        RoomEventKind.Typing => V1Frames.Typing(Body.Span),
        RoomEventKind.Reset => Body.ToArray(),
        _ => throw new InvalidOperationException($"A {Kind} event is not sent to clients."),
    };

    /// <summary>The v1 frame as it goes on the wire.</summary>
    public ReadOnlyMemory<byte> V1Wire => _v1Wire ??= WireFrame.Text(V1.Span);

    /// <summary>Messages: the seed frame <c>{"message": …}</c> as it goes on the wire.</summary>
    public ReadOnlyMemory<byte> SeedWire => _seedWire ??= WireFrame.Text(SeedProtocol.EncodeMessage(Text ?? ""));
}
