using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// A Redis that may evict keys can drop a room's epoch or log under memory pressure, and with it
/// acknowledged messages: the AppHost starts every Redis with <c>maxmemory-policy noeviction</c>
/// (a full Redis then refuses writes, which clients see as <c>unavailable</c>), but a Redis
/// given from outside (a managed service) may not be. This check reads the policy of every
/// master (INFO memory) and says Degraded, logging an error once, while any can evict.
/// A Redis that reports no policy (Garnet: it never evicts, it tiers to disk) passes.
/// </summary>
public sealed partial class EvictionPolicyCheck(IConnectionMultiplexer redis, TimeProvider clock, ILogger<EvictionPolicyCheck> logger) : IHealthCheck
{
    /// <summary>The policy is read at most this often; health probes come every few seconds.</summary>
    private static readonly TimeSpan s_reread = TimeSpan.FromSeconds(10);

    private (DateTimeOffset At, string? Evicting) _last = (DateTimeOffset.MinValue, null);
    private string? _logged;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (now - _last.At >= s_reread)
        {
            try
            {
                _last = (now, await EvictingAsync());
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis down is the connection check's to report; an INFO refused (a managed Redis
                // that renames it) leaves the policy unknown, which is not a reason to stop serving.
                LogUnread(logger, e.Message);
                _last = (now, null);
            }
        }
        var evicting = _last.Evicting;
        if (evicting != _logged)
        {
            _logged = evicting;
            if (evicting is not null)
            {
                LogEvicting(logger, evicting);
            }
        }
        return evicting is null
            ? HealthCheckResult.Healthy("Redis never evicts keys.")
            : HealthCheckResult.Degraded($"Redis may evict keys ({evicting}): acknowledged messages can be lost. Set maxmemory-policy noeviction.");
    }

    /// <summary>"endpoint: policy" of the first master whose policy can evict, or null.</summary>
    private async Task<string?> EvictingAsync()
    {
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            var info = await server.InfoAsync("memory");
            var policy = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "maxmemory_policy").Value;
            if (policy is not null && policy != "noeviction")
            {
                return $"{server.EndPoint}: maxmemory-policy {policy}";
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read Redis's eviction policy: {Reason}")]
    private static partial void LogUnread(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis may evict keys ({Policy}): a room can lose its epoch or log, and acknowledged messages with it. Set maxmemory-policy noeviction (docs/operations.md, Limits and abuse)")]
    private static partial void LogEvicting(ILogger logger, string policy);
}
