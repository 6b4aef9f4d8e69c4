using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace LetsChat.RoomService.Security;

/// <summary>
/// Chat frames across sockets and replicas: one token bucket per signed-in user and one per client
/// network, shared by every replica (in Redis: <see cref="RequestLimits.FrameBuckets"/>). Taking a
/// token from Redis for every frame would double what a message costs it, so a replica takes a
/// tenth of a second's budget at a time (<see cref="Chunk"/>) and spends it here: a steady sender
/// costs Redis one call per key per tenth of a second, and what replicas hold unspent, a tenth of a
/// second's worth each, is all the budget can be overdrawn by. A refused take is remembered for a
/// tenth of a second, so a flooder's refused frames cost Redis nothing more.
/// </summary>
public sealed class FrameBudget : IDisposable
{
    private static readonly long s_tenthMs = 100;
    private static readonly TimeSpan s_forgetAfter = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _shared;
    private readonly Func<string, int> _chunk;
    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);
    private readonly Timer _sweep;

    /// <param name="shared">The buckets every replica spends from, by key.</param>
    /// <param name="perSecond">A key's budget a second (its bucket's refill).</param>
    public FrameBudget(PartitionedRateLimiter<string> shared, Func<string, int> perSecond)
    {
        _shared = shared;
        _chunk = key => Chunk(perSecond(key));
        // What no socket has spent from for a minute is forgotten (its unspent tokens with it). Not
        // sooner: most people send a message every few tens of seconds, and each take costs Redis
        // half a message (bench/budget_cost.py).
        _sweep = new Timer(_ => Sweep(), null, s_forgetAfter, TimeSpan.FromSeconds(10));
    }

    /// <summary>What a replica takes from a bucket at once: a tenth of a second's budget.</summary>
    public static int Chunk(int perSecond) => Math.Max(1, perSecond / 10);

    public static string UserKey(string userId) => "frames:user:" + userId;

    public static string NetworkKey(string network) => "frames:net:" + network;

    /// <summary>True when <paramref name="key"/>'s budget has a token for one more frame.</summary>
    public async ValueTask<bool> TryTakeAsync(string key)
    {
        var held = _held.GetOrAdd(key, static _ => new Held());
        while (true)
        {
            Task<bool> refill;
            lock (held)
            {
                held.LastUsed = Environment.TickCount64;
                if (held.Tokens > 0)
                {
                    held.Tokens--;
                    return true;
                }
                if (held.LastUsed < held.RefusedUntil)
                {
                    return false;
                }
                // One take at a time per key: the frames that arrive meanwhile wait for it.
                refill = held.Refill ??= RefillAsync(key, held);
            }
            if (!await refill)
            {
                return false;
            }
        }
    }

    private async Task<bool> RefillAsync(string key, Held held)
    {
        await Task.Yield(); // out of the caller's lock
        var chunk = _chunk(key);
        int got;
        try
        {
            got = await TakeAsync(key, chunk);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis away: let the frames through (its sends then fail as unavailable, which is the
            // truth; refusing them as rate_limited would not be). The socket's own limit still holds.
            got = chunk;
        }
        lock (held)
        {
            held.Tokens += got;
            held.Refill = null;
            if (got == 0)
            {
                held.RefusedUntil = Environment.TickCount64 + s_tenthMs;
            }
        }
        return got > 0;
    }

    // A whole chunk, or what is left of the bucket when that is less.
    private async Task<int> TakeAsync(string key, int chunk)
    {
        using (var lease = await _shared.AcquireAsync(key, chunk))
        {
            if (lease.IsAcquired)
            {
                return chunk;
            }
            if (chunk == 1 || !lease.TryGetMetadata(RedisRateLimiting.RateLimitMetadataName.Remaining, out var left) || left < 1)
            {
                return 0;
            }
            chunk = (int)Math.Min(left, chunk - 1);
        }
        using var rest = await _shared.AcquireAsync(key, chunk);
        return rest.IsAcquired ? chunk : 0;
    }

    private void Sweep()
    {
        var before = Environment.TickCount64 - (long)s_forgetAfter.TotalMilliseconds;
        foreach (var (key, held) in _held)
        {
            lock (held)
            {
                if (held.LastUsed < before && held.Refill is null)
                {
                    _held.TryRemove(KeyValuePair.Create(key, held));
                }
            }
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        _shared.Dispose();
    }

    private sealed class Held
    {
        public int Tokens;
        public long LastUsed;
        public long RefusedUntil;
        public Task<bool>? Refill;
    }
}
