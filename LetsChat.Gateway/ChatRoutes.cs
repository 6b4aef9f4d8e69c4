using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace LetsChat.Gateway;

/// <summary>
/// The gateway's whole routing table: one public origin for the browser.
/// /ws/** and /api/** go to the room service; everything else to the static frontend.
/// Destinations are Aspire resource names, resolved by service discovery.
/// </summary>
public static class ChatRoutes
{
    public const string RoomsCluster = "rooms";
    public const string FrontendCluster = "frontend";

    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
        new() { RouteId = "rooms-ws", ClusterId = RoomsCluster, Match = new() { Path = "/ws/{**rest}" } },
        new() { RouteId = "rooms-api", ClusterId = RoomsCluster, Match = new() { Path = "/api/{**rest}" } },
        // Lowest precedence: anything the two routes above do not claim.
        new() { RouteId = "frontend", ClusterId = FrontendCluster, Match = new() { Path = "/{**rest}" }, Order = int.MaxValue },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters { get; } =
    [
        new()
        {
            ClusterId = RoomsCluster,
            Destinations = new Dictionary<string, DestinationConfig> { ["rooms"] = new() { Address = "http://rooms" } },
            // WebSockets stay open for hours. YARP ends a proxied request after ActivityTimeout
            // without traffic; the room service pings every 30 s, well inside this.
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(2) },
        },
        new()
        {
            ClusterId = FrontendCluster,
            Destinations = new Dictionary<string, DestinationConfig> { ["frontend"] = new() { Address = "http://frontend" } },
        },
    ];
}
