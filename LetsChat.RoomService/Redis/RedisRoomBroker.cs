using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// Redis: publish.lua for messages, update.lua for their updates, one pub/sub channel per room, one subscription per room per
/// replica (sharded on a cluster: <see cref="RedisTopology"/>). What goes through Redis is defined in <see cref="RoomRecords"/>.
/// </summary>
public sealed class RedisRoomBroker(
    IConnectionMultiplexer redis, RedisTopology topology, IOptions<RoomServiceOptions> options, RoomTelemetry telemetry) : IRoomBroker
{
    private readonly RoomServiceOptions _options = options.Value;

    public string MessagingSystem => "redis";

    public string DestinationOf(string room) => RedisKeys.LiveChannel(room);

    public async Task<PublishResult> PublishAsync(string room, OutgoingMessage message, CancellationToken cancellationToken)
    {
        // StackExchange.Redis has no per-call cancellation; its own timeouts bound the wait.
        cancellationToken.ThrowIfCancellationRequested();
        var dedupeKey = message.ClientId is null ? "" : $"{message.User.Id} {message.ClientId}";
        return await EvaluateAsync(room,
        [
            RedisKeys.LiveChannel(room),
            NewEpoch(),
            dedupeKey,
            RoomRecords.Body(message),
            _options.HistoryLength,
            _options.RetentionSeconds,
            message.Seen.Epoch ?? "",
            message.Seen.Seq,
            message.ReplyTo?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            RoomRecords.Trace(message.TraceParent),
        ], topology.PublishScript);
    }

    /// <summary>Tries of an update that keeps losing its message to other updates before it gives up (<c>conflict</c>).</summary>
    internal const int UpdateAttempts = 5;

    public async Task<PublishResult> UpdateAsync(string room, MessageUpdate update, Func<MessageState, Change> decide, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PublishResult result = default;
        for (var attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            if (await ReadTargetAsync(room, update) is not var (state, version))
            {
                return new PublishResult("", 0, false, "not_found");
            }
            var change = decide(state);
            if (change.Message is not { } next)
            {
                return new PublishResult("", 0, false, change.Code, change.Error);
            }
            var body = RoomRecords.Body(next);
            if (!change.Unchanged && RoomRecords.EntryBytes(update.Target, body) > _options.MaxStoredMessageBytes)
            {
                return new PublishResult("", 0, false, "too_large");
            }
            result = await StoreAsync(room, update, change, body, version);
            if (result.Refused != "conflict")
            {
                return result;
            }
        }
        return result;
    }

    // The target's entry and its version (the seq of its latest update, 0 before its first) in one
    // step, so the version is the one of the state read; and whether the user's reaction is counted.
    private async Task<(MessageState State, long Version)?> ReadTargetAsync(string room, MessageUpdate update)
    {
        var read = redis.GetDatabase().CreateTransaction();
        var entries = read.SortedSetRangeByScoreAsync(RedisKeys.MessageLog(room), update.Target, update.Target);
        var version = read.HashGetAsync(RedisKeys.LatestUpdates(room), update.Target);
        var reacted = update.Emoji is { } emoji
            ? read.SortedSetScoreAsync(RedisKeys.Reactors(room), RoomRecords.Reactor(update.Target, update.User.Id, emoji))
            : Task.FromResult<double?>(null);
        await read.ExecuteAsync();
        // Two states of one message (a crash between update.lua's writes): the newer is it.
        var message = (await entries).Select(e => RoomRecords.ReadBody((byte[])e!)).MaxBy(m => m?.Version ?? -1);
        return message is null ? null : (new MessageState(message, await reacted is not null), (long?)await version ?? 0);
    }

    private Task<PublishResult> StoreAsync(string room, MessageUpdate update, Change change, string body, long version) =>
        EvaluateAsync(room,
        [
            RedisKeys.LiveChannel(room),
            NewEpoch(),
            $"{update.User.Id} {update.ClientId}",
            RoomRecords.Update(new UpdateHead(update.ClientId, update.User, update.Change, update.Target, update.At.ToUnixTimeMilliseconds()), body),
            _options.HistoryLength,
            _options.RetentionSeconds,
            update.Seen.Epoch ?? "",
            update.Seen.Seq,
            update.Target,
            version,
            body,
            change.Unchanged ? "1" : "0",
            RoomRecords.ReactorChange(change.Reactors, update.Target, update.User.Id, update.Emoji ?? ""),
        ], topology.UpdateScript);

    private async Task<PublishResult> EvaluateAsync(string room, RedisValue[] args, RedisScript script)
    {
        var db = redis.GetDatabase();
        RedisResult[] result;
        string refused;
        try
        {
            result = (RedisResult[])(await script.EvaluateAsync(db, RedisKeys.Log(room), args))!;
            refused = (string)result[3]!;
            if (refused.Length == 0)
            {
                await topology.ConfirmAsync(room);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            topology.WriteFailed();
            throw;
        }
        return new PublishResult((string)result[0]!, (long)result[1], (long)result[2] == 1, refused.Length == 0 ? null : refused);
    }

    public async Task PublishTypingAsync(string room, ChatUser user, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetSubscriber().PublishAsync(topology.Live(room), RoomRecords.Typing(user));
    }

    public async Task<IAsyncDisposable> SubscribeAsync(
        string room, Func<IReadOnlyList<RoomEvent>, Task> onEvents, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A message queue (not a handler) keeps the channel's order. It is drained a batch at a
        // time: what piled up while the room delivered the last batch goes out with one flush per socket.
        var queue = await topology.OnCurrentLayoutAsync(() => redis.GetSubscriber().SubscribeAsync(topology.Live(room)));
        _ = Task.Run(() => DrainAsync(room, queue, onEvents), CancellationToken.None); // ends when the queue completes
        return new Subscription(queue);
    }

    private async Task DrainAsync(string room, ChannelMessageQueue queue, Func<IReadOnlyList<RoomEvent>, Task> onEvents)
    {
        var batch = new List<RoomEvent>(); // grows to the longest burst seen, then is reused
        while (true)
        {
            try
            {
                Add(batch, room, await queue.ReadAsync());
            }
            catch (Exception ex) when (ex is System.Threading.Channels.ChannelClosedException or OperationCanceledException)
            {
                return; // unsubscribed
            }
            while (batch.Count < MaxBatch && queue.TryRead(out var next))
            {
                Add(batch, room, next);
            }
            if (batch.Count > 0)
            {
                await onEvents(batch);
                batch.Clear();
            }
        }
    }

    // Each record is parsed once here, for every member of the room on this replica.
    private void Add(List<RoomEvent> batch, string room, ChannelMessage message)
    {
        if (RoomRecords.Read(room, (byte[])message.Message!) is { } e)
        {
            batch.Add(e);
        }
        else
        {
            telemetry.FrameDropped();
        }
    }

    /// <summary>Most events handed over at once: a long backlog is delivered (and flushed) in slices.</summary>
    private const int MaxBatch = 256;

    /// <summary>A candidate epoch; Redis keeps it only when the room has none.</summary>
    internal static string NewEpoch() => Guid.NewGuid().ToString("N")[..16];

    private sealed class Subscription(ChannelMessageQueue queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await queue.UnsubscribeAsync();
    }
}
