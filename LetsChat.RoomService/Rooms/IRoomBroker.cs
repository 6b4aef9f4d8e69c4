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
    /// Changes the message at <see cref="MessageUpdate.Target"/> (an edit, a delete, a reaction):
    /// reads it as it is now, asks <paramref name="decide"/> for its next state, and appends that
    /// as an update with the room's next seq, in place of the state read. If another update came
    /// in between, it reads again and asks again, a few times. Refused with <c>not_found</c> when
    /// the message is not in the log, <c>no_change</c> when the change changes nothing and is not
    /// the retry of a stored one, <c>too_large</c> when its new state is over the stored bound,
    /// <c>conflict</c> when it lost every try, or with <paramref name="decide"/>'s code and reason.
    /// A message keeps only its latest update. Throws when Redis cannot be reached.
    /// </summary>
    Task<PublishResult> UpdateAsync(string room, MessageUpdate update, Func<MessageState, Change> decide, CancellationToken cancellationToken);

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
/// A change (<c>edit</c>, <c>delete</c> or <c>react</c>) by <see cref="User"/> of the message at
/// <see cref="Target"/>, made at <see cref="At"/>. <see cref="Emoji"/>: a reaction's.
/// </summary>
public sealed record MessageUpdate(ChatUser User, string ClientId, string Change, long Target, DateTimeOffset At, string? Emoji = null)
{
    /// <summary>The newest (epoch, seq) the publishing replica delivered in the room; default when none.</summary>
    public (string? Epoch, long Seq) Seen { get; init; }
}

/// <summary>
/// The message an update decides on, as it is now. <see cref="Reacted"/>: the room's reactors set
/// holds the updating user's <see cref="MessageUpdate.Emoji"/> on it (it may count them without naming them).
/// </summary>
public sealed record MessageState(MessageBody Message, bool Reacted);

/// <summary>
/// Where the message or update went. <see cref="Refused"/> is null when it was stored (or had been:
/// <see cref="Duplicate"/>), else the code of why not (see <see cref="IRoomBroker.UpdateAsync"/>), and
/// <see cref="Reason"/> when the update's decision gave one.
/// </summary>
public readonly record struct PublishResult(string Epoch, long Seq, bool Duplicate, string? Refused = null, string? Reason = null);
