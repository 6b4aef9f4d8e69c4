using System.Net;
using System.Threading.RateLimiting;
using LetsChat.RoomService;
using LetsChat.RoomService.Security;
using Microsoft.AspNetCore.Http;

namespace LetsChat.Tests;

public class FloodGuardTests
{
    private static FloodGuard Guard(int burst, int closeAfter, FrameBudget? budget = null) =>
        new(new RoomServiceOptions { FrameBurst = burst, FramesPerSecond = 1, FloodCloseAfter = closeAfter }, budget);

    private static async Task<List<bool>> CheckAsync(FloodGuard.Meter meter, int frames)
    {
        var allowed = new List<bool>();
        for (var i = 0; i < frames; i++)
        {
            allowed.Add(await meter.CheckAsync() == FloodGuard.Verdict.Allowed);
        }
        return allowed;
    }

    [Fact]
    public async Task ABurstIsAllowedThenFramesAreRefusedAndCountedInARow()
    {
        using var guard = Guard(burst: 3, closeAfter: 5);
        var meter = guard.For("c1");

        Assert.Equal([true, true, true, false, false], await CheckAsync(meter, 5));
        Assert.Equal(2, meter.RefusedInARow);
        Assert.False(meter.Exceeded);
    }

    [Fact]
    public async Task FloodCloseAfterRefusalsInARowMeanClose()
    {
        using var guard = Guard(burst: 1, closeAfter: 3);
        var meter = guard.For("c1");
        await CheckAsync(meter, 3);
        Assert.False(meter.Exceeded);

        await meter.CheckAsync();

        Assert.True(meter.Exceeded);
    }

    [Fact]
    public async Task EachConnectionHasItsOwnBucket()
    {
        using var guard = Guard(burst: 1, closeAfter: 10);
        var flooder = guard.For("c1");
        await flooder.CheckAsync();
        Assert.Equal(FloodGuard.Verdict.Socket, await flooder.CheckAsync());

        var honest = guard.For("c2");

        Assert.Equal(FloodGuard.Verdict.Allowed, await honest.CheckAsync());
        Assert.Equal(0, honest.RefusedInARow);
    }

    [Fact]
    public async Task AUsersSocketsShareOneBudgetAndAnAnonymousSocketHasOnlyItsNetworks()
    {
        var (budget, _) = FrameBudgetTests.Budget(perSecond: 10, bucket: 4);
        using var guard = Guard(burst: 100, closeAfter: 100, budget);
        var ana = new LetsChat.RoomService.Wire.ChatUser("u_ana", "Ana");
        var tab1 = guard.For("c1", ana, IPAddress.Parse("192.0.2.1"));
        var tab2 = guard.For("c2", ana, IPAddress.Parse("198.51.100.1"));

        var spent = (await CheckAsync(tab1, 2)).Concat(await CheckAsync(tab2, 2));
        Assert.Equal([true, true, true, true], spent);
        Assert.Equal(FloodGuard.Verdict.User, await tab2.CheckAsync());

        // Two anonymous sockets of one network: the network's budget is the one that runs out.
        var first = guard.For("c3", LetsChat.RoomService.Wire.ChatUser.Anonymous("c3"), IPAddress.Parse("203.0.113.1"));
        var second = guard.For("c4", LetsChat.RoomService.Wire.ChatUser.Anonymous("c4"), IPAddress.Parse("203.0.113.1"));
        var network = (await CheckAsync(first, 2)).Concat(await CheckAsync(second, 2));
        Assert.Equal([true, true, true, true], network);
        Assert.Equal(FloodGuard.Verdict.Network, await first.CheckAsync());
    }

    [Fact]
    public async Task AnExemptNetworkHasNoSharedBudget()
    {
        var (budget, _) = FrameBudgetTests.Budget(perSecond: 10, bucket: 1);
        using var guard = new FloodGuard(new RoomServiceOptions { FrameBurst = 100, FramesPerSecond = 1 }, budget, [IPNetwork.Parse("127.0.0.0/8")]);
        var meter = guard.For("c1", LetsChat.RoomService.Wire.ChatUser.Anonymous("c1"), IPAddress.Loopback);

        Assert.All(await CheckAsync(meter, 10), Assert.True);
    }
}

public class FrameBudgetTests
{
    /// <summary>A budget over an in-memory bucket per key (what Redis holds in production), never refilled; and what each take asked for.</summary>
    internal static (FrameBudget Budget, System.Collections.Concurrent.ConcurrentQueue<int> Takes) Budget(int perSecond, int bucket)
    {
        var takes = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var buckets = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromDays(1),
            AutoReplenishment = false,
            QueueLimit = 0,
        }));
        var counting = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, _ => new Counting(buckets, key, takes)));
        return (new FrameBudget(counting, _ => perSecond), takes);
    }

    [Fact]
    public async Task AReplicaTakesATenthOfASecondsBudgetAtATimeAndSpendsItLocally()
    {
        var (budget, takes) = Budget(perSecond: 50, bucket: 100);
        using var _ = budget;

        for (var i = 0; i < 12; i++)
        {
            Assert.True(await budget.TryTakeAsync("frames:user:u1"));
        }

        Assert.Equal([5, 5, 5], takes); // 12 frames, three takes of 5 (a tenth of 50)
    }

    [Fact]
    public async Task WhatIsLeftOfTheBucketIsTakenWhenLessThanAChunkAndThenFramesAreRefusedWithoutAskingAgain()
    {
        var (budget, takes) = Budget(perSecond: 50, bucket: 7);
        using var _ = budget;

        var allowed = new List<bool>();
        for (var i = 0; i < 10; i++)
        {
            allowed.Add(await budget.TryTakeAsync("frames:net:192.0.2.1"));
        }

        Assert.Equal(7, allowed.Count(a => a));
        Assert.All(allowed.Skip(7), Assert.False);
        // 5, then the 2 left, then one refused take: the refusal holds for a tenth of a second.
        Assert.Equal([5, 5, 2, 5], takes);
    }

    [Fact]
    public async Task ConcurrentFramesOfOneKeyNeverSpendMoreThanTheBucket()
    {
        var (budget, _) = Budget(perSecond: 100, bucket: 40);
        using var __ = budget;

        var allowed = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () => await budget.TryTakeAsync("frames:user:u1"))));

        Assert.Equal(40, allowed.Count(a => a));
    }

    [Fact]
    public async Task WhenTheSharedBucketsCannotBeReachedFramesGoThroughAndTheNextTakeAsksAgain()
    {
        var calls = 0;
        var failing = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, _ => new Unreachable(() => calls++)));
        using var budget = new FrameBudget(failing, _ => 20);

        for (var i = 0; i < 5; i++)
        {
            Assert.True(await budget.TryTakeAsync("frames:user:u1"));
        }

        Assert.Equal(3, calls); // takes of 2: frames 1, 3 and 5 asked, none stuck behind a failed take
    }

    [Fact]
    public void AChunkIsATenthOfASecondsBudgetAndAtLeastOne()
    {
        Assert.Equal(3, FrameBudget.Chunk(30));
        Assert.Equal(30, FrameBudget.Chunk(300));
        Assert.Equal(1, FrameBudget.Chunk(5));
    }

    // Records each take, then takes from the key's bucket; a refusal says what is left, as the Redis bucket's does.
    private sealed class Counting(PartitionedRateLimiter<string> buckets, string key, System.Collections.Concurrent.ConcurrentQueue<int> takes) : RateLimiter
    {
        public override TimeSpan? IdleDuration => null;

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            takes.Enqueue(permitCount);
            var lease = buckets.AttemptAcquire(key, permitCount);
            return lease.IsAcquired ? lease : new Refused(buckets.GetStatistics(key)!.CurrentAvailablePermits);
        }

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AttemptAcquireCore(permitCount));
    }

    // A shared bucket whose store is down, as the Redis bucket is when Redis is.
    private sealed class Unreachable(Action called) : RateLimiter
    {
        public override TimeSpan? IdleDuration => null;

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => throw new NotSupportedException();

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            called();
            throw new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.UnableToConnect, "Redis is down");
        }
    }

    private sealed class Refused(long left) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [RedisRateLimiting.RateLimitMetadataName.Remaining.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = left;
            return metadataName == RedisRateLimiting.RateLimitMetadataName.Remaining.Name;
        }
    }
}

public class ClientNetworkTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64")]
    [InlineData("2001:db8:aa:bb::", "2001:db8:aa:bb::/64")]
    [InlineData("::1", "::/64")]
    public void LimitsCountAnIPv4AddressAloneAndAnIPv6AddressByItsSlash64(string address, string network) =>
        Assert.Equal(network, ClientNetwork.Of(IPAddress.Parse(address)));

    [Fact]
    public void NoAddressIsOneNetwork() => Assert.Equal("none", ClientNetwork.Of(null));
}

public class OriginPolicyTests
{
    private static HttpRequest Upgrade(string? origin, string host = "chat.example:8080", string? forwardedHost = null)
    {
        var request = new DefaultHttpContext().Request;
        request.Host = new HostString(host);
        if (origin is not null) request.Headers.Origin = origin;
        if (forwardedHost is not null) request.Headers["X-Forwarded-Host"] = forwardedHost;
        return request;
    }

    [Theory]
    [InlineData("http://chat.example:8080")]
    [InlineData("https://CHAT.example:8080")]
    public void TheSitesOwnOriginIsAllowed(string origin) => Assert.True(OriginPolicy.IsAllowed(Upgrade(origin), []));

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://chat.example:8081")] // another port is another origin
    [InlineData("http://chat.example")]
    [InlineData("null")]                     // sandboxed frames, file: pages
    [InlineData("chrome-extension://abc")]
    [InlineData("not a url")]
    public void AnyOtherOriginIsRefused(string origin) => Assert.False(OriginPolicy.IsAllowed(Upgrade(origin), []));

    [Fact]
    public void NoOriginIsNotABrowserAndIsAllowed() => Assert.True(OriginPolicy.IsAllowed(Upgrade(null), []));

    [Fact]
    public void TheForwardedHostIsThisSiteBehindTheGateway()
    {
        var request = Upgrade("http://localhost:5000", host: "127.0.0.1:41234", forwardedHost: "localhost:5000, proxy.internal");

        Assert.True(OriginPolicy.IsAllowed(request, []));
        Assert.False(OriginPolicy.IsAllowed(Upgrade("http://127.0.0.1:41234", host: "127.0.0.1:41234", forwardedHost: "localhost:5000"), []));
    }

    [Fact]
    public void TheAllowListAddsOriginsIgnoringCaseAndATrailingSlash()
    {
        string[] allowed = ["https://app.example/"];

        Assert.True(OriginPolicy.IsAllowed(Upgrade("https://APP.example"), allowed));
        Assert.False(OriginPolicy.IsAllowed(Upgrade("https://app.example.evil"), allowed));
    }
}
