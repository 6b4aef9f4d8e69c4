namespace LetsChat.RoomService.Rooms;

/// <summary>
/// A room's kept messages (the last HistoryLength), in seq order, each as it is now (its edits,
/// delete and reactions folded in). Reads never block publishes.
/// Pass <c>create: true</c> when a member is joining: a room without a log gets its epoch then,
/// so the member can tell later whether the log it saw is the one that still exists.
/// </summary>
public interface IRoomHistory
{
    /// <summary>The newest <paramref name="limit"/> messages.</summary>
    Task<HistoryPage> LatestAsync(string room, int limit, bool create, CancellationToken cancellationToken);

    /// <summary>
    /// Every event with seq greater than <paramref name="afterSeq"/>, oldest first, at most
    /// <paramref name="limit"/>: messages as they are now, and the updates (edits, deletes,
    /// reactions) after that seq, whose state the messages already show.
    /// </summary>
    Task<HistoryPage> AfterAsync(string room, long afterSeq, int limit, bool create, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> messages with seq less than <paramref name="beforeSeq"/>, oldest first.</summary>
    Task<HistoryPage> BeforeAsync(string room, long beforeSeq, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The log's head (epoch, newest seq), no messages. A log that went backwards behind
    /// <paramref name="seen"/> (same epoch, newest seq below it) is given a new epoch first, so no
    /// seq a client has seen is handed out again; <see cref="LogHead.Rewound"/> then says so.
    /// </summary>
    Task<LogHead> HeadAsync(string room, (string? Epoch, long Seq) seen, CancellationToken cancellationToken);
}

/// <summary>A log's head: its epoch (null when the room has no log) and newest seq.</summary>
public readonly record struct LogHead(string? Epoch, long LastSeq, bool Rewound);

/// <summary>
/// A slice of the log. <see cref="LastSeq"/> is the room's newest seq when it was read and
/// <see cref="FirstSeq"/> the oldest kept (<c>LastSeq + 1</c> when empty). <see cref="Epoch"/> is
/// null for a room that has never had a log. <see cref="More"/>: older (or newer, for after) messages exist.
/// </summary>
public sealed record HistoryPage(string? Epoch, long LastSeq, long FirstSeq, bool More, IReadOnlyList<RoomEvent> Messages)
{
    /// <summary>The messages as v1 frames' JSON, for a <c>history</c> or <c>reset</c> frame (<see cref="V1Frames.History"/>).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> V1 => [.. Messages.Select(m => m.V1)];

    /// <summary>
    /// The page cut to its newest messages whose v1 bodies fit <paramref name="maxBytes"/> (at least
    /// one), so that one frame stays about that size; a cut page says <see cref="More"/>: the older
    /// ones are one <c>before</c> away.
    /// </summary>
    public HistoryPage NewestWithin(int maxBytes)
    {
        var first = Messages.Count;
        for (var bytes = 0L; first > 0; first--)
        {
            bytes += Messages[first - 1].V1.Length;
            if (bytes > maxBytes && first < Messages.Count)
            {
                break;
            }
        }
        return first == 0 ? this : this with { More = true, Messages = Messages.Skip(first).ToArray() };
    }
}
