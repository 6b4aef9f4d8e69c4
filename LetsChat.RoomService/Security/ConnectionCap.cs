using System.Collections.Concurrent;
using System.Net;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Security;

/// <summary>
/// At most <c>MaxConnectionsPerIp</c> sockets per client network (an IPv4 address, or an IPv6 /64:
/// <see cref="ClientNetwork"/>) and <c>MaxConnectionsPerUser</c> per signed-in user, across every
/// replica. Each open socket is a lease in Redis (Redis/Lua/sockets.lua): the replica holding it
/// renews it every presence heartbeat, gives it back at the close, and a crashed replica's leases
/// run out within <c>PresenceTtlSeconds</c>. Anonymous sockets are each their own user, so only
/// their network counts. The client's address is the one the gateway put in X-Forwarded-For
/// (believed only from loopback and LetsChat:TrustedProxies; see TrustedProxies in ServiceDefaults).
/// </summary>
public sealed partial class ConnectionCap(
    IConnectionMultiplexer redis,
    ReplicaIdentity replica,
    IOptions<RoomServiceOptions> options,
    RoomTelemetry telemetry,
    TimeProvider clock,
    ILogger<ConnectionCap> logger) : BackgroundService
{
    /// <summary>Which cap refused a socket.</summary>
    public enum Refusal { None, Network, User }

    // Every lease this replica holds, by key: what the heartbeat renews.
    private readonly ConcurrentDictionary<RedisKey, ConcurrentDictionary<string, byte>> _held = new();

    private RoomServiceOptions Settings => options.Value;

    private long LeaseMs => Settings.PresenceTtlSeconds * 1000L;

    /// <summary>
    /// Takes a place for a socket of <paramref name="user"/> from <paramref name="address"/>; dispose
    /// the slot to give it back. Throws when Redis cannot be reached (the upgrade answers 503).
    /// </summary>
    public async Task<(IDisposable? Slot, Refusal Refused)> TryTakeAsync(IPAddress? address, ChatUser user, string connectionId)
    {
        var member = $"{replica.Id} {connectionId}";
        var network = RedisKeys.NetworkSockets(ClientNetwork.Of(address));
        // Both places at once (their keys are in different slots, so not one script): one round
        // trip. Whichever was taken is given back when the other is refused or fails.
        RedisKey[] keys = user.IsAnonymous ? [network] : [network, RedisKeys.UserSockets(user.Id)];
        var takes = keys.Select((key, i) => TakeAsync(key, i == 0 ? Settings.MaxConnectionsPerIp : Settings.MaxConnectionsPerUser, member)).ToArray();
        try
        {
            await Task.WhenAll(takes);
        }
        catch
        {
            await GiveBackAsync(keys.Where((_, i) => takes[i].IsCompletedSuccessfully && takes[i].Result), member);
            throw;
        }
        var taken = keys.Where((_, i) => takes[i].Result).ToList();
        if (taken.Count == keys.Length)
        {
            return (new Slot(this, taken, member), Refusal.None);
        }
        await GiveBackAsync(taken, member);
        return (null, takes[0].Result ? Refusal.User : Refusal.Network);
    }

    private async Task<bool> TakeAsync(RedisKey key, int cap, string member)
    {
        var taken = (long)await RedisScripts.Sockets.EvaluateAsync(redis.GetDatabase(), [key],
            [clock.GetUtcNow().ToUnixTimeMilliseconds(), LeaseMs, cap, member]) == 1;
        if (taken)
        {
            _held.GetOrAdd(key, _ => new()).TryAdd(member, 0);
        }
        return taken;
    }

    private async Task GiveBackAsync(IEnumerable<RedisKey> keys, string member)
    {
        foreach (var key in keys)
        {
            if (_held.TryGetValue(key, out var members))
            {
                members.TryRemove(member, out _);
                if (members.IsEmpty)
                {
                    _held.TryRemove(KeyValuePair.Create(key, members));
                }
            }
            try
            {
                await redis.GetDatabase().SortedSetRemoveAsync(key, member);
            }
            catch (Exception ex)
            {
                // Redis away (or the process stopping): the lease runs out by itself within PresenceTtlSeconds.
                telemetry.BackgroundFailed("connection_cap");
                LogGiveBackFailed(logger, ex);
            }
        }
    }

    /// <summary>Renews every lease this replica holds, three times a lease, as presence does.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Settings.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var expiry = clock.GetUtcNow().ToUnixTimeMilliseconds() + LeaseMs;
            var db = redis.GetDatabase();
            // A lease given back while this runs may be written again: it then counts until it runs out.
            var renewals = _held.Select(held => (held.Key, Members: held.Value.Keys.Select(m => new SortedSetEntry(m, expiry)).ToArray()))
                .Where(r => r.Members.Length > 0)
                .Select(async r =>
                {
                    await db.SortedSetAddAsync(r.Key, r.Members);
                    await db.KeyExpireAsync(r.Key, TimeSpan.FromMilliseconds(LeaseMs));
                });
            try
            {
                await Task.WhenAll(renewals);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis away: the next beat writes them again (a socket open meanwhile may be let in over the cap).
                telemetry.BackgroundFailed("connection_cap");
                LogRenewFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing this replica's socket leases failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving back a socket's lease failed; it runs out by itself")]
    private static partial void LogGiveBackFailed(ILogger logger, Exception exception);

    private sealed class Slot(ConnectionCap cap, IReadOnlyList<RedisKey> keys, string member) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _ = cap.GiveBackAsync(keys, member);
            }
        }
    }
}
