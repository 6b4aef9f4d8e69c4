using System.Collections.Concurrent;
using System.Diagnostics;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.History;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Telemetry;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// The rooms with members on this replica. Subscribes a room to the broker when its first local
/// member joins and unsubscribes when its last one leaves: one subscription per room per replica,
/// however many sockets are in it.
/// </summary>
public sealed partial class LocalRooms(IRoomBroker broker, IRoomHistory history, RoomTelemetry telemetry, ILogger<LocalRooms> logger)
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    public int Count => _rooms.Count;

    public IEnumerable<Room> All => _rooms.Values;

    public async Task<Room> JoinAsync(string name, Member member, CancellationToken cancellationToken)
    {
        while (true)
        {
            var room = _rooms.GetOrAdd(name, static n => new Room(n));
            await room.Gate.WaitAsync(cancellationToken);
            try
            {
                if (room.Retired)
                {
                    continue; // its last member left while we waited; the next lookup makes a fresh one
                }
                room.Subscription ??= await broker.SubscribeAsync(name, frames => DeliverAsync(room, frames), cancellationToken);
                room.Add(member);
                return room;
            }
            catch when (room.MemberCount == 0)
            {
                // The first join failed to subscribe: leave no empty room behind.
                Retire(room);
                throw;
            }
            finally
            {
                room.Gate.Release();
            }
        }
    }

    /// <summary>Removes <paramref name="member"/>; the last one out unsubscribes. Never throws: it runs in cleanup paths.</summary>
    public async Task LeaveAsync(Room room, Member member)
    {
        await room.Gate.WaitAsync();
        try
        {
            room.Remove(member);
            if (room.MemberCount > 0)
            {
                return;
            }
            if (room.Subscription is { } subscription)
            {
                room.Subscription = null;
                try
                {
                    await subscription.DisposeAsync();
                }
                catch (Exception)
                {
                    // Redis unreachable: the subscription dies with the connection; nothing to deliver to anyway.
                }
            }
            // Only now may a new instance of this room subscribe: never two subscriptions at once.
            Retire(room);
        }
        finally
        {
            room.Gate.Release();
        }
    }

    // Runs on the room's subscription, one batch at a time: parse each frame once, hand it to every
    // member (who copy the shared bytes into their connections), then flush each socket once.
    private async Task DeliverAsync(Room room, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        await room.FeedLock.WaitAsync();
        try
        {
            foreach (var frame in frames)
            {
                if (MessageEnvelope.Read(frame) is not { } e)
                {
                    telemetry.FrameDropped();
                    continue;
                }
                if (e.Kind == RoomEventKind.Message)
                {
                    await FillGapAsync(room, e);
                    room.Feed = (e.Epoch, e.Seq);
                }
                Deliver(room, e);
            }
            room.Flush();
        }
        finally
        {
            room.FeedLock.Release();
        }
    }

    /// <summary>
    /// Compares a room with its log. A subscription can stop bringing messages without any error
    /// (seen after Redis restarts behind a proxy): when the log was already ahead of this replica
    /// at the previous check and nothing arrived since, the missed messages are delivered from the
    /// log and the room subscribes again. Returns true when it did.
    /// </summary>
    public async Task<bool> CheckFeedAsync(Room room, CancellationToken cancellationToken)
    {
        var feed = room.Feed;
        var page = await history.AfterAsync(room.Name, feed.Seq, 0, create: false, cancellationToken);
        (string? Epoch, long Seq) head = (page.Epoch, page.LastSeq);
        if (head.Epoch is null)
        {
            return false; // no log: nothing to miss
        }
        if (feed.Epoch is null)
        {
            await SetBaselineAsync(room, head);
            return false;
        }
        var previous = room.LastCheck;
        room.LastCheck = (feed, head);
        if (previous is not { } last || last.Feed != feed || !Behind(feed, last.Head))
        {
            return false;
        }

        LogDeafSubscription(logger, room.Name, feed.Epoch, feed.Seq, last.Head.Epoch, last.Head.Seq);
        telemetry.DeafSubscription();
        await ResubscribeAsync(room, cancellationToken);
        await room.FeedLock.WaitAsync(cancellationToken);
        try
        {
            // From where this replica stopped, or from the start of a new incarnation of the log.
            await RefillAsync(room, head.Epoch, after: feed.Epoch == head.Epoch ? feed.Seq : 0, before: long.MaxValue, cancellationToken);
            room.Flush();
        }
        finally
        {
            room.FeedLock.Release();
        }
        room.LastCheck = null;
        return true;
    }

    // A room that has delivered nothing since it subscribed starts from the log's head as it is
    // now: what came before the subscription was never this replica's to deliver.
    private static async Task SetBaselineAsync(Room room, (string? Epoch, long Seq) head)
    {
        await room.FeedLock.WaitAsync();
        try
        {
            if (room.Feed.Epoch is null)
            {
                room.Feed = head;
            }
        }
        finally
        {
            room.FeedLock.Release();
        }
    }

    // Behind: the log held a message (or a new incarnation) this replica has not delivered.
    private static bool Behind((string? Epoch, long Seq) feed, (string? Epoch, long Seq) head) =>
        head.Epoch is not null && (head.Epoch != feed.Epoch || head.Seq > feed.Seq);

    private async Task ResubscribeAsync(Room room, CancellationToken cancellationToken)
    {
        await room.Gate.WaitAsync(cancellationToken);
        try
        {
            if (room.Retired || room.Subscription is not { } old)
            {
                return;
            }
            // Unsubscribe first: the client keeps one server subscription per channel, so a second
            // subscribe beside a deaf one would not send SUBSCRIBE again. Messages in between are
            // in the log, and the refill that follows delivers them.
            room.Subscription = null;
            try
            {
                await old.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A dead connection may not answer; the new subscription does not depend on it.
            }
            room.Subscription = await broker.SubscribeAsync(room.Name, frames => DeliverAsync(room, frames), cancellationToken);
        }
        finally
        {
            room.Gate.Release();
        }
    }

    // Pub/sub is at most once: while the subscription was down (Redis restarted, connection lost)
    // messages went by. Each message's seq says so; the missed ones are in the log, because
    // publishing appends first. Deliver them, in order, before this one. Members drop any they
    // already have (same epoch, seq not newer), so a fill never duplicates.
    private async Task FillGapAsync(Room room, RoomEvent e)
    {
        var (epoch, seq) = room.Feed;
        var after = epoch == e.Epoch ? seq : epoch is null ? e.Seq - 1 : 0; // a new epoch: from its start
        if (e.Seq <= after + 1)
        {
            return;
        }
        try
        {
            await RefillAsync(room, e.Epoch!, after, before: e.Seq, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogGapFillFailed(logger, room.Name, after, e.Seq, ex);
        }
    }

    /// <summary>Most messages one refill reads; the log keeps far fewer (LetsChat:Rooms:HistoryLength).</summary>
    private const int MaxRefill = 10_000;

    // The one refill routine (a seq gap, a deaf subscription): delivers from the log, in order,
    // the messages of `epoch` after `after` and before `before` that this replica has not
    // delivered. Runs under the room's FeedLock. Late by design: kept out of the latency histogram.
    private async Task RefillAsync(Room room, string epoch, long after, long before, CancellationToken cancellationToken)
    {
        var page = await history.AfterAsync(room.Name, after, (int)Math.Min(before - after - 1, MaxRefill), create: false, cancellationToken);
        foreach (var frame in page.Messages)
        {
            if (MessageEnvelope.Read(frame) is { } m && m.Epoch == epoch && m.Seq < before && (room.Feed.Epoch != m.Epoch || m.Seq > room.Feed.Seq))
            {
                room.Feed = (m.Epoch, m.Seq);
                Deliver(room, m with { PublishedAtMs = 0 });
                telemetry.GapFilled();
            }
        }
    }

    // A message's delivery is a span of its trace, parented by the publish span on the sender's replica.
    private void Deliver(Room room, RoomEvent e)
    {
        using var process = e.Kind == RoomEventKind.Message && ActivityContext.TryParse(e.TraceParent, null, out var parent)
            ? RoomTelemetry.Source.StartActivity($"process {room.Name}", ActivityKind.Consumer, parent)
            : null;
        var recipients = room.Deliver(e);
        process?.SetTag("messaging.system", broker.MessagingSystem)
            .SetTag("messaging.destination.name", broker.DestinationOf(room.Name))
            .SetTag("messaging.operation.type", "process")
            .SetTag("messaging.operation.name", "process")
            .SetTag("messaging.message.id", $"{e.Epoch}:{e.Seq}")
            .SetTag("messaging.message.body.size", e.Frame.Length)
            .SetTag("letschat.room", room.Name)
            .SetTag("letschat.recipients", recipients);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: the subscription went deaf (delivered {Epoch}:{Seq}, the log had {LogEpoch}:{LogSeq} one check earlier); refilling from the log and subscribing again")]
    private static partial void LogDeafSubscription(ILogger logger, string room, string? epoch, long seq, string? logEpoch, long logSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: could not fill the gap after seq {AfterSeq} before {Seq}; those messages reach live members only on their next resume")]
    private static partial void LogGapFillFailed(ILogger logger, string room, long afterSeq, long seq, Exception exception);

    /// <summary>Bytes waiting behind unfinished flushes in this replica's sockets.</summary>
    public long PendingBytes() => _rooms.Values.Sum(r => r.Members.Sum(m => m.Connection.PendingBytes));

    private void Retire(Room room)
    {
        room.Retired = true;
        _rooms.TryRemove(KeyValuePair.Create(room.Name, room));
    }
}
