using System.Net;

namespace LetsChat.RoomService.Security;

/// <summary>
/// Request budgets, bound to <c>LetsChat:Rooms:RequestLimits</c>: how many requests of each kind one
/// client network (<see cref="ClientNetwork"/>) and one signed-in user may make a minute. They are
/// kept in Redis, so they hold across every replica. docs/operations.md, "Limits and abuse".
/// </summary>
public sealed class RequestLimitOptions
{
    public const string SectionName = RoomServiceOptions.SectionName + ":RequestLimits";

    /// <summary>WebSocket upgrades (/ws/…): a page reconnects after a deploy or a network change.</summary>
    public Budget Upgrades { get; set; } = new() { PerNetwork = 120, PerUser = 30 };

    /// <summary>POST and DELETE /api/session: each POST without a cookie mints an identity.</summary>
    public Budget Sessions { get; set; } = new() { PerNetwork = 30, PerUser = 10 };

    /// <summary>Every other /api/… request (history pages, the room list, who am I).</summary>
    public Budget Reads { get; set; } = new() { PerNetwork = 600, PerUser = 120 };

    /// <summary>
    /// Chat frames a second, across all sockets on every replica, of one client network and of one
    /// signed-in user, in bursts of three seconds' worth (<see cref="FrameBudget"/>). A socket's own
    /// limit, under these, is LetsChat:Rooms:FramesPerSecond.
    /// </summary>
    public Budget Frames { get; set; } = new() { PerNetwork = 300, PerUser = 30 };

    /// <summary>
    /// Comma-separated networks (CIDR) that no budget applies to: monitoring, load tests, the test
    /// suite. Empty by default; anything listed here can grow Redis and load a replica unhindered.
    /// </summary>
    public string ExemptNetworks { get; set; } = "";

    public IReadOnlyList<IPNetwork> ParseExemptNetworks() =>
        [.. ExemptNetworks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPNetwork.Parse)];

    /// <summary>Whether no budget applies to <paramref name="address"/> (one of <paramref name="exempt"/>, from <see cref="ParseExemptNetworks"/>).</summary>
    public static bool IsExempt(IPAddress? address, IReadOnlyList<IPNetwork> exempt)
    {
        if (address is null || exempt.Count == 0)
        {
            return false;
        }
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return exempt.Any(n => n.Contains(plain));
    }

    /// <summary>Requests a minute (also the burst: a full minute's budget may be spent at once); for <see cref="Frames"/>, a second.</summary>
    public sealed class Budget
    {
        public int PerNetwork { get; set; }

        public int PerUser { get; set; }
    }
}
