using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Broker;

/// <summary>
/// Redis: publish.lua for messages and their updates, one pub/sub channel per room, one subscription per room per
/// replica (sharded on a cluster: <see cref="RoomChannels"/>). What goes through Redis is defined in <see cref="RoomRecords"/>.
/// </summary>
public sealed class RedisRoomBroker(
    IConnectionMultiplexer redis, RoomChannels channels, IOptions<RoomServiceOptions> options, RoomTelemetry telemetry) : IRoomBroker
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
            "",
            message.ReplyTo?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        ]);
    }

    public async Task<PublishResult> UpdateAsync(string room, OutgoingUpdate update, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await EvaluateAsync(room,
        [
            RedisKeys.LiveChannel(room),
            NewEpoch(),
            $"{update.User.Id} {update.ClientId}",
            update.Body,
            _options.HistoryLength,
            _options.RetentionSeconds,
            update.Seen.Epoch ?? "",
            update.Seen.Seq,
            update.Target,
            update.ReadEntry,
            update.NewEntry,
            update.Deletes ? "1" : "0",
        ]);
    }

    private async Task<PublishResult> EvaluateAsync(string room, RedisValue[] args)
    {
        var db = redis.GetDatabase();
        RedisResult[] result;
        try
        {
            result = (RedisResult[])(await db.ScriptEvaluateAsync(channels.PublishScript, RedisKeys.Log(room), args))!;
        }
        catch (Exception e) when (e is RedisException or TimeoutException && channels.OnCluster)
        {
            RefreshTopology();
            throw;
        }
        var refused = (string)result[3]!;
        if (refused.Length == 0 && channels.OnCluster)
        {
            await ReplicatedAsync(db, room);
        }
        return new PublishResult((string)result[0]!, (long)result[1], (long)result[2] == 1, refused.Length == 0 ? null : refused);
    }

    /// <summary>
    /// On a cluster an ack means "on a replica too": replication is asynchronous, and a failover
    /// would otherwise drop acknowledged messages. WAIT on the room's master counts the replicas
    /// that have every write this connection sent it, the script's included (one connection per
    /// node, commands in order). A replica that did not confirm in time: the send is refused, and
    /// the client's retry with the same id is answered from the dedupe entry once it is replicated.
    /// A master with no replica at all (its own replica was promoted after a failover, and the old
    /// master is not back yet): waiting would refuse every send in its rooms until an operator
    /// acts, so the ack rests on that master's own log on disk, and is counted. Such a master is
    /// remembered for a second (then asked again with ROLE), so its rooms' sends do not each wait
    /// out the WAIT timeout first: a socket's frames are handled one at a time.
    /// </summary>
    private async Task ReplicatedAsync(IDatabase db, string room)
    {
        var endpoint = await db.IdentifyEndpointAsync(RedisKeys.MessageLog(room))
            ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, $"No master for room {room}'s slot.");
        var master = redis.GetServer(endpoint);
        if (_unreplicated.TryGetValue(endpoint, out var until))
        {
            if (Environment.TickCount64 < until || !await HasReplicaAsync(master))
            {
                _unreplicated[endpoint] = Math.Max(until, Environment.TickCount64 + 1000);
                telemetry.UnreplicatedAck();
                return;
            }
            _unreplicated.TryRemove(endpoint, out _);
        }
        if ((long)await master.ExecuteAsync("WAIT", 1, _options.ReplicaWaitMilliseconds) >= 1)
        {
            return;
        }
        if (!await HasReplicaAsync(master))
        {
            _unreplicated[endpoint] = Environment.TickCount64 + 1000;
            telemetry.UnreplicatedAck();
            return;
        }
        telemetry.ReplicaWaitTimedOut();
        throw new RedisTimeoutException($"No replica confirmed the write within {_options.ReplicaWaitMilliseconds} ms.", CommandStatus.Sent);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<System.Net.EndPoint, long> _unreplicated = new();

    // ROLE on a master: ["master", offset, [[ip, port, offset], …]], one entry per connected replica.
    private static async Task<bool> HasReplicaAsync(IServer master) =>
        (RedisResult[])(await master.ExecuteAsync("ROLE"))! is { Length: >= 3 } role && ((RedisResult[])role[2]!).Length > 0;

    private long _lastRefresh;

    /// <summary>
    /// A cluster's master failed: the client learns of the replica that took its slots only when
    /// it reads the cluster's layout again, which it otherwise does on its own schedule (a minute).
    /// A failed send asks for it, at most once a second, so sends find the new master within a
    /// second of the failover instead of timing out against the dead one.
    /// </summary>
    private void RefreshTopology()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefresh);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastRefresh, now, last) != last)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await redis.ConfigureAsync();
            }
            catch (RedisException)
            {
                // The next failed send asks again.
            }
        }, CancellationToken.None);
    }

    public async Task PublishTypingAsync(string room, ChatUser user, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetSubscriber().PublishAsync(channels.Live(room), RoomRecords.Typing(user));
    }

    public async Task<IAsyncDisposable> SubscribeAsync(
        string room, Func<IReadOnlyList<RoomEvent>, Task> onEvents, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A message queue (not a handler) keeps the channel's order. It is drained a batch at a
        // time: what piled up while the room delivered the last batch goes out with one flush per socket.
        var queue = await channels.OnCurrentLayoutAsync(() => redis.GetSubscriber().SubscribeAsync(channels.Live(room)));
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
