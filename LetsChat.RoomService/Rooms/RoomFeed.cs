using System.Diagnostics;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// A room's ordered feed on this replica: every message of the log, once, in seq order, to the
/// room's local members. Pub/sub brings them live; this type notices what pub/sub dropped (a seq
/// gap, or a subscription gone deaf) and delivers it from the log, through one refill routine.
/// </summary>
public sealed partial class RoomFeed(
    IRoomBroker broker, IRoomHistory history, IOptions<RoomServiceOptions> options, RoomTelemetry telemetry, ILogger<RoomFeed> logger)
{
    /// <summary>Most messages one refill reads; the log keeps far fewer (LetsChat:Rooms:HistoryLength).</summary>
    private const int MaxRefill = 10_000;

    /// <summary>
    /// Runs on the room's subscription, one batch at a time: hands each event to every member (who
    /// copy the shared bytes into their connections), then flushes each socket once.
    /// </summary>
    public async Task DeliverAsync(Room room, IReadOnlyList<RoomEvent> events)
    {
        await room.FeedLock.WaitAsync();
        try
        {
            foreach (var e in events)
            {
                if (e.Kind == RoomEventKind.Rewind)
                {
                    await ResetAsync(room, e);
                    continue;
                }
                if (e.IsLogged)
                {
                    await FillGapAsync(room, e);
                    if (e.Epoch != room.Feed.Epoch || e.Seq > room.Feed.Seq)
                    {
                        room.Feed = (e.Epoch, e.Seq);
                    }
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
    /// at the previous check and nothing arrived since, the room subscribes again
    /// (<paramref name="resubscribe"/>) and the missed messages are delivered from the log.
    /// Returns true when it did.
    /// </summary>
    public async Task<bool> CheckAsync(Room room, Func<Task> resubscribe, CancellationToken cancellationToken)
    {
        var feed = room.Feed;
        var log = await history.HeadAsync(room.Name, feed, cancellationToken);
        (string? Epoch, long Seq) head = (log.Epoch, log.LastSeq);
        if (head.Epoch is null)
        {
            return false; // no log: nothing to miss
        }
        if (log.Rewound)
        {
            // Redis came back without the last writes this replica delivered; the log now has a new
            // epoch, announced on the room's channel ("r" record): every replica's members get a reset.
            LogRewound(logger, room.Name, feed.Epoch, feed.Seq, head.Seq, head.Epoch);
            telemetry.LogRewound();
            room.LastCheck = null;
            return true;
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
        await resubscribe();
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

    // The log went backwards and goes on as a new epoch over what it kept. Clients saw messages it
    // no longer has: v1 members get a reset with the kept log's recent messages (one frame, built
    // once for all of them); seed members, who have no epochs, just go on with what comes next.
    private async Task ResetAsync(Room room, RoomEvent rewind)
    {
        if (room.Feed.Epoch == rewind.Epoch)
        {
            return; // already on the new epoch
        }
        HistoryPage page;
        try
        {
            page = await history.LatestAsync(room.Name, options.Value.JoinHistory, create: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Without the page, the next message's gap fill (a new epoch, from its start) tells members instead.
            LogResetFailed(logger, room.Name, rewind.Epoch, ex);
            return;
        }
        if (page.Epoch != rewind.Epoch)
        {
            return; // rewound or recreated again since: the newer record, or the gap fill, handles it
        }
        var frame = V1Frames.History("reset", page.Epoch, page.V1, page.More, reason: "epoch_changed");
        room.Feed = (page.Epoch, page.LastSeq);
        room.Deliver(new RoomEvent(RoomEventKind.Reset, room.Name, page.Epoch, page.LastSeq, null, frame, null));
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

    // The one refill routine (a seq gap, a deaf subscription): delivers from the log, in order,
    // the messages of `epoch` after `after` and before `before` that this replica has not
    // delivered. Runs under the room's FeedLock. Late by design: kept out of the latency histogram.
    private async Task RefillAsync(Room room, string epoch, long after, long before, CancellationToken cancellationToken)
    {
        var page = await history.AfterAsync(room.Name, after, (int)Math.Min(before - after - 1, MaxRefill), create: false, cancellationToken);
        foreach (var m in page.Messages)
        {
            if (m.Epoch == epoch && m.Seq < before && (room.Feed.Epoch != m.Epoch || m.Seq > room.Feed.Seq))
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
        using var process = e.IsLogged && ActivityContext.TryParse(e.TraceParent, null, out var parent)
            ? RoomTelemetry.Source.StartActivity($"process {room.Name}", ActivityKind.Consumer, parent)
            : null;
        var recipients = room.Deliver(e);
        process?.SetTag("messaging.system", broker.MessagingSystem)
            .SetTag("messaging.destination.name", broker.DestinationOf(room.Name))
            .SetTag("messaging.operation.type", "process")
            .SetTag("messaging.operation.name", "process")
            .SetTag("messaging.message.id", $"{e.Epoch}:{e.Seq}")
            .SetTag("messaging.message.body.size", e.Body.Length)
            .SetTag("letschat.room", room.Name)
            .SetTag("letschat.recipients", recipients);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: the subscription went deaf (delivered {Epoch}:{Seq}, the log had {LogEpoch}:{LogSeq} one check earlier); refilling from the log and subscribing again")]
    private static partial void LogDeafSubscription(ILogger logger, string room, string? epoch, long seq, string? logEpoch, long logSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: the log went backwards (this replica delivered {Epoch}:{Seq}, the log ends at {LogSeq}): Redis lost its last writes; the room continues as epoch {NewEpoch} and its members are sent a reset")]
    private static partial void LogRewound(ILogger logger, string room, string? epoch, long seq, long logSeq, string? newEpoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: the log went backwards to epoch {NewEpoch}, but its recent messages could not be read for the reset; members are told with the next message instead")]
    private static partial void LogResetFailed(ILogger logger, string room, string? newEpoch, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Room {Room}: could not fill the gap after seq {AfterSeq} before {Seq}; those messages reach live members only on their next resume")]
    private static partial void LogGapFillFailed(ILogger logger, string room, long afterSeq, long seq, Exception exception);
}
