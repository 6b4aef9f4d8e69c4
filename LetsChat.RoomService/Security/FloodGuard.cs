using System.Threading.RateLimiting;

namespace LetsChat.RoomService.Security;

/// <summary>
/// Per-socket frame rate limit: a token bucket per connection, from System.Threading.RateLimiting
/// (one partitioned limiter, one replenishment timer for all sockets). A frame over the limit is
/// refused (v1 gets an error frame); a socket that keeps flooding is closed with 1008.
/// </summary>
public sealed class FloodGuard : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly int _closeAfter;

    public FloodGuard(RoomServiceOptions options)
    {
        _closeAfter = options.FloodCloseAfter;
        var limiter = new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.FrameBurst,
            TokensPerPeriod = options.FramesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(
            connection => RateLimitPartition.GetTokenBucketLimiter(connection, _ => limiter), StringComparer.Ordinal);
    }

    /// <summary>One socket's view: Allow() per frame; Exceeded says when to give up on it.</summary>
    public Meter For(string connectionId) => new(this, connectionId);

    public void Dispose() => _limiter.Dispose();

    public sealed class Meter(FloodGuard guard, string connectionId)
    {
        private int _refusedInARow;

        /// <summary>True when the frame may be processed.</summary>
        public bool Allow()
        {
            using var lease = guard._limiter.AttemptAcquire(connectionId);
            _refusedInARow = lease.IsAcquired ? 0 : _refusedInARow + 1;
            return lease.IsAcquired;
        }

        /// <summary>Frames refused since the last one allowed.</summary>
        public int RefusedInARow => _refusedInARow;

        /// <summary>The socket has been refused FloodCloseAfter frames in a row: close it.</summary>
        public bool Exceeded => _refusedInARow >= guard._closeAfter;
    }
}
