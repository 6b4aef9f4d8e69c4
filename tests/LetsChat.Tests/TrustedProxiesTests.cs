using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LetsChat.Tests;

/// <summary>
/// Whose X-Forwarded-For counts, with the variable Aspire sets on every project
/// (ASPNETCORE_FORWARDEDHEADERS_ENABLED) in force: ASP.NET Core's own forwarded-headers
/// middleware, run on a request from each peer.
/// </summary>
public sealed class TrustedProxiesTests
{
    private const string ClientAddress = "198.51.100.1";

    [Theory]
    [InlineData("127.0.0.1", true)]     // the gateway on the same host
    [InlineData("::1", true)]
    [InlineData("10.1.2.3", true)]      // in 10.0.0.0/8
    [InlineData("192.0.2.7", true)]     // listed by address
    [InlineData("192.0.2.8", false)]
    [InlineData("203.0.113.5", false)]  // anyone else: the header is a claim, not an address
    public async Task TheHeaderCountsOnlyFromLoopbackAndTheListedProxies(string peer, bool believed)
    {
        var seen = await AddressSeenAsync(peer, ["--LetsChat:TrustedProxies=10.0.0.0/8, 192.0.2.7"], configure: true);

        Assert.Equal(believed ? ClientAddress : IPAddress.Parse(peer).ToString(), seen);
    }

    [Fact]
    public async Task ListedAsAnArrayTheyCountToo()
    {
        var seen = await AddressSeenAsync("192.0.2.9", ["--LetsChat:TrustedProxies:0=192.0.2.9", "--LetsChat:TrustedProxies:1=10.0.0.0/8"], configure: true);

        Assert.Equal(ClientAddress, seen);
    }

    [Fact]
    public async Task WithoutItAspiresVariableBelievesAnyone()
    {
        // Why TrustedProxies exists: should the framework stop doing this, it can go.
        var seen = await AddressSeenAsync("203.0.113.5", [], configure: false);

        Assert.Equal(ClientAddress, seen);
    }

    [Theory]
    [InlineData("gateway.internal")]
    [InlineData("10.0.0.0/33")]
    public void AnEntryThatIsNoAddressStopsTheServiceNamingIt(string entry)
    {
        var e = Assert.Throws<InvalidOperationException>(() => TrustedProxies.Parse([entry]));

        Assert.Contains($"'{entry}'", e.Message, StringComparison.Ordinal);
    }

    private static async Task<string> AddressSeenAsync(string peer, string[] args, bool configure)
    {
        var builder = WebApplication.CreateBuilder(["--ForwardedHeaders_Enabled=true", .. args]);
        if (configure)
        {
            builder.ConfigureTrustedProxies();
        }
        await using var app = builder.Build();
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Headers["X-Forwarded-For"] = ClientAddress;
        var middleware = new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance,
            app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>());

        await middleware.Invoke(context);

        return context.Connection.RemoteIpAddress!.ToString();
    }
}
