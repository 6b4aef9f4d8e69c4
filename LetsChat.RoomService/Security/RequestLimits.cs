using System.Globalization;
using System.Threading.RateLimiting;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Telemetry;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace LetsChat.RoomService.Security;

/// <summary>
/// Every /ws/… upgrade and /api/… request spends a token of its client network's budget and, with a
/// session cookie, of its user's (<see cref="RequestLimitOptions"/>). The buckets live in Redis
/// (RedisRateLimiting's token bucket, one script call each), so a client spread over every replica
/// is held to one budget. Over budget: 429 with Retry-After and problem details (code rate_limited).
/// </summary>
public static class RequestLimits
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        services.AddOptions<RequestLimitOptions>()
            .BindConfiguration(RequestLimitOptions.SectionName)
            .Validate(o => new[] { o.Upgrades, o.Sessions, o.Reads, o.Frames }.All(b => b.PerNetwork >= 1 && b.PerUser >= 1),
                "LetsChat:Rooms:RequestLimits budgets must be at least 1.")
            .Validate(o => TryParse(o), "LetsChat:Rooms:RequestLimits:ExemptNetworks must be comma-separated CIDR networks (10.0.0.0/8,::1/128).")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RequestLimitOptions>, IConnectionMultiplexer, SessionCookie>((options, limits, redis, cookie) =>
        {
            options.GlobalLimiter = Limiter(limits.Value, redis, cookie);
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) => RejectAsync(context, limits.Value);
        });
        return services;
    }

    /// <summary>What kind of request this is, and its budget; null for what is not limited (health, metrics).</summary>
    internal static (string Kind, RequestLimitOptions.Budget Budget)? KindOf(HttpRequest request, RequestLimitOptions limits) =>
        request.Path.StartsWithSegments("/ws") ? ("upgrades", limits.Upgrades)
        : request.Path.StartsWithSegments("/api/session") && !HttpMethods.IsGet(request.Method) ? ("sessions", limits.Sessions)
        : request.Path.StartsWithSegments("/api") ? ("reads", limits.Reads)
        : null;

    private static PartitionedRateLimiter<HttpContext> Limiter(RequestLimitOptions limits, IConnectionMultiplexer redis, SessionCookie cookie)
    {
        var exempt = limits.ParseExemptNetworks();
        var none = RateLimitPartition.GetNoLimiter("");
        var byNetwork = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            KindOf(context.Request, limits) is not { } kind || RequestLimitOptions.IsExempt(context.Connection.RemoteIpAddress, exempt) ? none
            : Bucket($"{kind.Kind}:net:{ClientNetwork.Of(context.Connection.RemoteIpAddress)}", kind.Budget.PerNetwork, redis));
        var byUser = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            KindOf(context.Request, limits) is not { } kind || RequestLimitOptions.IsExempt(context.Connection.RemoteIpAddress, exempt) || cookie.PeekUserId(context.Request) is not { } user ? none
            : Bucket($"{kind.Kind}:user:{user}", kind.Budget.PerUser, redis));
        return PartitionedRateLimiter.CreateChained(byNetwork, byUser);
    }

    /// <summary>
    /// The frame buckets every replica spends from (<see cref="FrameBudget"/>), keyed by
    /// <see cref="FrameBudget.UserKey"/> and <see cref="FrameBudget.NetworkKey"/>: three seconds of
    /// the budget, full to begin with, refilled a tenth of a second's worth every tenth of a second.
    /// </summary>
    public static FrameBudget FrameBuckets(RequestLimitOptions limits, IConnectionMultiplexer redis)
    {
        int PerSecond(string key) => key.StartsWith(FrameBudget.UserKey(""), StringComparison.Ordinal) ? limits.Frames.PerUser : limits.Frames.PerNetwork;
        var shared = PartitionedRateLimiter.Create<string, string>(key =>
            RedisRateLimitPartition.GetTokenBucketRateLimiter("letschat:limit:" + key, _ => new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                TokenLimit = 3 * PerSecond(key),
                TokensPerPeriod = FrameBudget.Chunk(PerSecond(key)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1) * FrameBudget.Chunk(PerSecond(key)) / PerSecond(key),
            }), StringComparer.Ordinal);
        return new FrameBudget(shared, PerSecond);
    }

    // perMinute tokens, the bucket full to begin with, one token back every minute / perMinute.
    // The library keeps it in rl:tb:{letschat:limit:<key>} (and :ts), expiring once it would be full again.
    private static RateLimitPartition<string> Bucket(string key, int perMinute, IConnectionMultiplexer redis) =>
        RedisRateLimitPartition.GetTokenBucketRateLimiter("letschat:limit:" + key, _ => new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis,
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
        });

    private static bool TryParse(RequestLimitOptions options)
    {
        try
        {
            options.ParseExemptNetworks();
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, RequestLimitOptions limits)
    {
        var http = context.HttpContext;
        // The library's lease reports whole seconds under the standard metadata name.
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter.Name, out var after) && after is int s && s > 0 ? s : 1;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var kind = KindOf(http.Request, limits)?.Kind ?? "other";
        http.RequestServices.GetRequiredService<RoomTelemetry>().RequestLimited(kind);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"Too many {kind} from this network or user; retry in {seconds} s.",
                Extensions = { ["code"] = "rate_limited", ["retryAfter"] = seconds },
            },
        });
    }
}
