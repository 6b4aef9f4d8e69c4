using StackExchange.Redis;

namespace LetsChat.RoomService.Broker;

/// <summary>
/// Classic or sharded pub/sub, chosen from what Redis is. A Redis Cluster gets sharded channels
/// (SSUBSCRIBE, SPUBLISH): a room's messages go only to the shard that owns its slot, not to every
/// node. A standalone server or Garnet gets the classic ones (Garnet refuses SPUBLISH in scripts).
/// The names are RedisKeys'; this decides how they are used, and which scripts publish with what.
/// </summary>
public sealed class RoomChannels(IConnectionMultiplexer redis)
{
    private bool? _cluster;

    /// <summary>True on Redis Cluster: asked of the first connected server, then kept.</summary>
    public bool OnCluster
    {
        get
        {
            if (_cluster is { } known)
            {
                return known;
            }
            // Not connected yet: the call this is for fails anyway; ask again on the next one.
            return redis.GetServers().FirstOrDefault(s => s.IsConnected) is { } server
                && (bool)(_cluster = server.ServerType == ServerType.Cluster);
        }
    }

    /// <summary>The room's live channel, sharded on a cluster.</summary>
    public RedisChannel Live(string room) => OnCluster
        ? RedisChannel.Sharded(RedisKeys.LiveChannel(room))
        : RedisChannel.Literal(RedisKeys.LiveChannel(room));

    public string PublishScript => OnCluster ? RedisScripts.PublishSharded : RedisScripts.Publish;

    public string ReadScript => OnCluster ? RedisScripts.ReadSharded : RedisScripts.Read;

    public string PresenceScript => OnCluster ? RedisScripts.PresenceSharded : RedisScripts.Presence;

    /// <summary>
    /// Runs a call that joins a room (its subscription, its presence). On a cluster whose slots
    /// just moved (a failover, a handover), the client's layout is stale and the call fails once:
    /// it then reads the layout again and retries, so the person joining never sees the move.
    /// </summary>
    public async Task<T> OnCurrentLayoutAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is RedisException or TimeoutException && OnCluster)
        {
            await redis.ConfigureAsync();
            return await call();
        }
    }

    private long _lastRefresh;

    /// <summary>
    /// A send failed on a cluster: perhaps a master failed. The client learns of the replica that
    /// took its slots only when it reads the cluster's layout again, which it otherwise does on its
    /// own schedule (a minute). This asks for it in the background, at most once a second, so
    /// sends find the new master within a second of the failover instead of timing out against
    /// the dead one. (A join cannot wait for the next second: <see cref="OnCurrentLayoutAsync"/>.)
    /// </summary>
    public void LayoutMayHaveChanged()
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
}
