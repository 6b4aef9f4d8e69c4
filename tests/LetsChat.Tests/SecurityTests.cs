using System.Net;
using LetsChat.RoomService;
using LetsChat.RoomService.Security;
using Microsoft.AspNetCore.Http;

namespace LetsChat.Tests;

public class FloodGuardTests
{
    private static FloodGuard Guard(int burst, int closeAfter) =>
        new(new RoomServiceOptions { FrameBurst = burst, FramesPerSecond = 1, FloodCloseAfter = closeAfter });

    [Fact]
    public void ABurstIsAllowedThenFramesAreRefusedAndCountedInARow()
    {
        using var guard = Guard(burst: 3, closeAfter: 5);
        var meter = guard.For("c1");

        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(_ => meter.Allow()));
        Assert.Equal(2, meter.RefusedInARow);
        Assert.False(meter.Exceeded);
    }

    [Fact]
    public void FloodCloseAfterRefusalsInARowMeanClose()
    {
        using var guard = Guard(burst: 1, closeAfter: 3);
        var meter = guard.For("c1");
        meter.Allow();

        meter.Allow();
        meter.Allow();
        Assert.False(meter.Exceeded);
        meter.Allow();

        Assert.True(meter.Exceeded);
    }

    [Fact]
    public void EachConnectionHasItsOwnBucket()
    {
        using var guard = Guard(burst: 1, closeAfter: 10);
        var flooder = guard.For("c1");
        flooder.Allow();
        Assert.False(flooder.Allow());

        var honest = guard.For("c2");

        Assert.True(honest.Allow());
        Assert.Equal(0, honest.RefusedInARow);
    }
}

public class ConnectionCapTests
{
    private static readonly IPAddress s_one = IPAddress.Parse("192.0.2.1"), s_two = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void AnAddressGetsNSlotsThenNoneUntilOneIsGivenBack()
    {
        var cap = new ConnectionCap(perAddress: 2);
        var first = cap.TryTake(s_one);
        var second = cap.TryTake(s_one);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(cap.TryTake(s_one));

        first!.Dispose();
        Assert.NotNull(cap.TryTake(s_one));
    }

    [Fact]
    public void GivingASlotBackTwiceFreesOnlyOne()
    {
        var cap = new ConnectionCap(perAddress: 2);
        var slot = cap.TryTake(s_one)!;
        cap.TryTake(s_one);

        slot.Dispose();
        slot.Dispose();

        Assert.NotNull(cap.TryTake(s_one));
        Assert.Null(cap.TryTake(s_one));
    }

    [Fact]
    public void AddressesAreCappedApartAndAnUnknownAddressIsOneAddress()
    {
        var cap = new ConnectionCap(perAddress: 1);

        Assert.NotNull(cap.TryTake(s_one));
        Assert.NotNull(cap.TryTake(s_two));
        Assert.NotNull(cap.TryTake(null));
        Assert.Null(cap.TryTake(null));
    }

    [Fact]
    public void AnIPv6Slash64IsOneAddressAndItsNeighbourIsAnother()
    {
        var cap = new ConnectionCap(perAddress: 1);

        Assert.NotNull(cap.TryTake(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Null(cap.TryTake(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.NotNull(cap.TryTake(IPAddress.Parse("2001:db8:1:3::1")));
        // An IPv4 client seen through a dual-stack socket is that IPv4 address.
        Assert.NotNull(cap.TryTake(s_one));
        Assert.Null(cap.TryTake(s_one.MapToIPv6()));
    }

    [Fact]
    public async Task ConcurrentTakersNeverGetMoreThanTheCap()
    {
        var cap = new ConnectionCap(perAddress: 10);
        var taken = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => cap.TryTake(s_one))));

        Assert.Equal(10, taken.Count(s => s is not null));
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
