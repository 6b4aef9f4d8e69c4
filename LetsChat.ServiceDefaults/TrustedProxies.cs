using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using IPNetwork = System.Net.IPNetwork;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Whose X-Forwarded-For a service believes. Aspire sets ASPNETCORE_FORWARDEDHEADERS_ENABLED on
/// every project, run and published, and ASP.NET Core then believes the header from anyone: a
/// client could claim any address and walk past the per-address connection cap, or pin its
/// connections on someone else's. Here the header counts only when it comes from loopback (the
/// gateway on the same host, the orchestrator's proxy) or from <c>LetsChat:TrustedProxies</c>:
/// addresses or CIDR networks, a list or one comma-separated value. On more than one machine the
/// room service lists its gateways, a gateway its load balancer (docs/deploy.md).
/// </summary>
public static class TrustedProxies
{
    public const string Setting = "LetsChat:TrustedProxies";

    public static TBuilder ConfigureTrustedProxies<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var (proxies, networks) = Parse(Read(builder.Configuration));
        // Registered after the host's own setup of these options (which clears the lists when the
        // variable is set), so it has the last word.
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Add(IPAddress.IPv6Loopback);
            o.KnownIPNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
            foreach (var proxy in proxies)
            {
                o.KnownProxies.Add(proxy);
            }
            foreach (var network in networks)
            {
                o.KnownIPNetworks.Add(network);
            }
        });
        return builder;
    }

    private static IEnumerable<string> Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Setting);
        IEnumerable<string?> values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value);
        return values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Addresses and networks; anything else stops the service at start, naming the entry.</summary>
    public static (List<IPAddress> Proxies, List<IPNetwork> Networks) Parse(IEnumerable<string> entries)
    {
        List<IPAddress> proxies = [];
        List<IPNetwork> networks = [];
        foreach (var entry in entries)
        {
            if (entry.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                proxies.Add(address);
            }
            else
            {
                throw new InvalidOperationException($"{Setting} has '{entry}'; expected IP addresses or CIDR networks such as 10.0.0.5 or 10.0.0.0/24.");
            }
        }
        return (proxies, networks);
    }
}
