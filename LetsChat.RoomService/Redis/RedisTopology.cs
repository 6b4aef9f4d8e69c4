using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// What kind of Redis LetsChat runs on, and everything that differs because of it. The kind is
/// learnt from the first server the client reaches and then fixed for the process; until then
/// every member throws as Redis being away does (the call it is for would fail anyway). No other
/// Redis class asks which kind it is.
/// <list type="table">
/// <item><term>standalone</term><description>redis-server or Garnet: classic pub/sub (Garnet
/// refuses SPUBLISH in scripts); an ack rests on the server's own log on disk.</description></item>
/// <item><term>cluster</term><description>sharded pub/sub (SSUBSCRIBE, SPUBLISH): a room's records
/// go only to the shard that owns its slot; the channel hashes to that slot like the room's keys,
/// so each script stays on one node. An ack waits for a replica (<see cref="ReplicaAcks"/>), and a
/// failed call may mean the slots moved (<see cref="WriteFailed"/>, <see cref="OnCurrentLayoutAsync"/>).</description></item>
/// </list>
/// </summary>
public sealed class RedisTopology(IConnectionMultiplexer redis, ReplicaAcks replicaAcks)
{
    private Kind? _kind;

    /// <summary>The room's live channel.</summary>
    public RedisChannel Live(string room) => Known.Channel(RedisKeys.LiveChannel(room));

    public RedisScript PublishScript => Known.Publish;

    public RedisScript UpdateScript => Known.Update;

    public RedisScript ReadScript => Known.Read;

    public RedisScript PresenceScript => Known.Presence;

    /// <summary>What an ack waits for once publish.lua or update.lua stored a message or an update.</summary>
    public Task ConfirmAsync(string room) => Known.IsCluster ? replicaAcks.ConfirmAsync(room) : Task.CompletedTask;

    /// <summary>
    /// Runs a call that joins a room (its subscription, its presence). On a cluster whose slots
    /// just moved (a failover, a handover), the client's layout is stale and the call fails once:
    /// it then reads the layout again and retries, so the person joining never sees the move.
    /// </summary>
    public async Task<T> OnCurrentLayoutAsync<T>(Func<Task<T>> call)
    {
        if (!Known.IsCluster)
        {
            return await call();
        }
        try
        {
            return await call();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            await redis.ConfigureAsync();
            return await call();
        }
    }

    private long _lastRefresh;

    /// <summary>
    /// A write failed. On a cluster perhaps a master failed, or handed its slots over (a WAIT sent
    /// to a master that has just become a replica fails too). The client learns of the node that
    /// took the slots only when it reads the layout again, which it otherwise does on its own
    /// schedule (a minute). This asks for it in the background, at most once a second, so sends
    /// find the new master within a second instead of timing out against the old one. (A join
    /// cannot wait for the next second: <see cref="OnCurrentLayoutAsync"/>.)
    /// </summary>
    public void WriteFailed()
    {
        if (_kind is not { IsCluster: true })
        {
            return;
        }
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
                // The next failed write asks again.
            }
        }, CancellationToken.None);
    }

    private Kind Known => _kind ??= redis.GetServers().FirstOrDefault(s => s.IsConnected) switch
    {
        null => throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
            "No Redis server has been reached yet, so whether it is a cluster is not known."),
        { ServerType: ServerType.Cluster } => Kind.Cluster,
        _ => Kind.Standalone,
    };

    private sealed record Kind(bool IsCluster, Func<string, RedisChannel> Channel, RedisScript Publish, RedisScript Update, RedisScript Read, RedisScript Presence)
    {
        public static readonly Kind Standalone = new(false, RedisChannel.Literal,
            RedisScripts.Publish, RedisScripts.Update, RedisScripts.Read, RedisScripts.Presence);

        public static readonly Kind Cluster = new(true, RedisChannel.Sharded,
            Sharded(RedisScripts.Publish), Sharded(RedisScripts.Update), Sharded(RedisScripts.Read), Sharded(RedisScripts.Presence));
    }

    /// <summary>A script as a cluster runs it: its publishes become SPUBLISH, to the room's shard only.</summary>
    internal static RedisScript Sharded(RedisScript script) =>
        script.Text.Replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',", StringComparison.Ordinal) is var sharded && sharded != script.Text
            ? new RedisScript(sharded)
            : throw new InvalidOperationException("A script that publishes no longer calls redis.call('PUBLISH', …); update RedisTopology.Sharded.");
}
