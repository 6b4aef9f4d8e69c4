using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// Moves a room's messages between room-service replicas.
/// <list type="bullet">
/// <item>A message is appended to the room's history and published to live subscribers in one
/// atomic step: it is in history if and only if it was published.</item>
/// <item>Each message gets the room's next seq; (epoch, seq) is its id, the same on every replica.</item>
/// <item>Live delivery is at most once; a subscriber that missed something reads it from history.</item>
/// <item>A (user, client id) pair is published once: resending it returns the first seq, marked duplicate.</item>
/// <item>A seq is never handed out twice in one epoch. If the log went backwards (Redis came back
/// without its last writes) behind what the publisher has seen, the room gets a new epoch first.</item>
/// <item>Subscribers receive room events (messages, presence changes, typing), parsed once per
/// replica, in publish order, in batches: whatever arrived while the previous batch was being
/// delivered, so a burst costs one hop.</item>
/// <item>The publish methods complete once Redis accepted the message, and throw when it cannot.</item>
/// </list>
/// </summary>
public interface IRoomBroker
{
    /// <summary>The messaging system, for telemetry (<c>messaging.system</c>).</summary>
    string MessagingSystem { get; }

    /// <summary>Where a room's messages travel, for telemetry (<c>messaging.destination.name</c>).</summary>
    string DestinationOf(string room);

    Task<PublishResult> PublishAsync(string room, OutgoingMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Appends an update of a message (edit, delete, reaction) with the room's next seq, and puts
    /// its new state in the log in place of the entry the caller read. Refused with
    /// <c>not_found</c> when the message is not in the log, <c>conflict</c> when its entry is no
    /// longer the one read (read it again and redo the change), <c>no_change</c> when it changes
    /// nothing and is not the retry of a stored change. A message keeps only its latest update.
    /// </summary>
    Task<PublishResult> UpdateAsync(string room, OutgoingUpdate update, CancellationToken cancellationToken);

    /// <summary>Says that <paramref name="user"/> is typing. Not stored; at most once, to whoever is subscribed.</summary>
    Task PublishTypingAsync(string room, ChatUser user, CancellationToken cancellationToken);

    /// <summary>
    /// Starts delivering <paramref name="room"/>'s events to <paramref name="onEvents"/> in publish
    /// order, a batch at a time (the next waits for the previous task; the list is reused after it).
    /// Dispose the result to stop. Callers keep one subscription per room (see LocalRooms).
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string room, Func<IReadOnlyList<RoomEvent>, Task> onEvents, CancellationToken cancellationToken);
}

/// <summary>
/// A message to publish. <see cref="ClientId"/> is null for seed clients (no dedupe).
/// <see cref="TraceParent"/> (W3C) carries the publish span to every replica that delivers it.
/// </summary>
public sealed record OutgoingMessage(ChatUser User, string? ClientId, string Text, DateTimeOffset At, string? TraceParent = null)
{
    /// <summary>The newest (epoch, seq) the publishing replica delivered in the room; default when none.</summary>
    public (string? Epoch, long Seq) Seen { get; init; }

    /// <summary>The seq of the message this one answers; it must be in the log.</summary>
    public long? ReplyTo { get; init; }
}

/// <summary>
/// An update of the message at <see cref="Target"/> by <see cref="User"/>: <see cref="ReadEntry"/>
/// is its log entry as read, <see cref="NewEntry"/> the one that replaces it, <see cref="Body"/>
/// the update as stored and published (Redis/RoomRecords). <see cref="Unchanged"/>: it changes
/// nothing, so it is acked only as the retry of a change already stored, else refused <c>no_change</c>.
/// </summary>
public sealed record OutgoingUpdate(ChatUser User, string ClientId, long Target, string ReadEntry, string NewEntry, string Body, bool Unchanged)
{
    /// <summary>The newest (epoch, seq) the publishing replica delivered in the room; default when none.</summary>
    public (string? Epoch, long Seq) Seen { get; init; }

    /// <summary>What it does to the room's reactors set, as publish.lua reads it (<see cref="RoomRecords.ReactorChange"/>); "" for nothing.</summary>
    public string Reactors { get; init; } = "";
}

/// <summary>
/// Where the message or update went. <see cref="Refused"/> is null when it was stored (or had been:
/// <see cref="Duplicate"/>), else why not: <c>not_found</c> or <c>conflict</c> (see <see cref="IRoomBroker.UpdateAsync"/>).
/// </summary>
public readonly record struct PublishResult(string Epoch, long Seq, bool Duplicate, string? Refused = null);
