using System.Net;
using System.Threading.RateLimiting;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Security;

/// <summary>
/// Frame rate limits: a token bucket per connection, from System.Threading.RateLimiting (one
/// partitioned limiter, one replenishment timer for all sockets), then the budgets its user and its
/// client network share across sockets and replicas (<see cref="FrameBudget"/>). A frame over any of
/// them is refused (v1 gets an error frame); a socket that keeps flooding is closed with 1008.
/// </summary>
public sealed class FloodGuard : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly FrameBudget? _budget;
    private readonly IReadOnlyList<IPNetwork> _exempt;
    private readonly int _closeAfter;

    /// <param name="budget">The budgets shared across sockets; none in unit tests of the socket's own.</param>
    /// <param name="exempt">Networks no shared budget applies to (RequestLimits:ExemptNetworks).</param>
    public FloodGuard(RoomServiceOptions options, FrameBudget? budget = null, IReadOnlyList<IPNetwork>? exempt = null)
    {
        _closeAfter = options.FloodCloseAfter;
        _budget = budget;
        _exempt = exempt ?? [];
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

    /// <summary>Which limit refused a frame.</summary>
    public enum Verdict { Allowed, Socket, User, Network }

    /// <summary>One socket's view, its own limit only: Check per frame; Exceeded says when to give up on it.</summary>
    public Meter For(string connectionId) => new(this, connectionId, null, null);

    /// <summary>
    /// One socket's view, under the budgets of its user (none for an anonymous socket, each its own
    /// user) and of its client network (none for an exempt one) too.
    /// </summary>
    public Meter For(string connectionId, ChatUser user, IPAddress? address)
    {
        if (_budget is null || RequestLimitOptions.IsExempt(address, _exempt))
        {
            return For(connectionId);
        }
        return new(this, connectionId, user.IsAnonymous ? null : FrameBudget.UserKey(user.Id), FrameBudget.NetworkKey(ClientNetwork.Of(address)));
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _budget?.Dispose();
    }

    public sealed class Meter(FloodGuard guard, string connectionId, string? userKey, string? networkKey)
    {
        private int _refusedInARow;

        /// <summary>Whether the frame may be processed, and if not, which limit it is over.</summary>
        public async ValueTask<Verdict> CheckAsync()
        {
            var verdict = Verdict.Socket;
            using (var lease = guard._limiter.AttemptAcquire(connectionId))
            {
                if (lease.IsAcquired)
                {
                    verdict = guard._budget is not { } budget ? Verdict.Allowed
                        : userKey is not null && !await budget.TryTakeAsync(userKey) ? Verdict.User
                        : networkKey is not null && !await budget.TryTakeAsync(networkKey) ? Verdict.Network
                        : Verdict.Allowed;
                }
            }
            _refusedInARow = verdict == Verdict.Allowed ? 0 : _refusedInARow + 1;
            return verdict;
        }

        /// <summary>Frames refused since the last one allowed.</summary>
        public int RefusedInARow => _refusedInARow;

        /// <summary>The socket has been refused FloodCloseAfter frames in a row: close it.</summary>
        public bool Exceeded => _refusedInARow >= guard._closeAfter;
    }
}
