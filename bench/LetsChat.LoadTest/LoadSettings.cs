using System.Net;

namespace LetsChat.LoadTest;

public enum ChatProtocol { Seed, V1 }

/// <summary>
/// The shape of one load step: <see cref="Rooms"/> rooms of <see cref="Clients"/> sockets each, of which
/// the first <see cref="Senders"/> also send <see cref="Rate"/> messages per second.
/// </summary>
public sealed record LoadSettings
{
    /// <summary>Base URLs (gateway or room service); sockets are spread over them round-robin.</summary>
    public required IReadOnlyList<Uri> Targets { get; init; }
    public int Rooms { get; init; } = 10;
    public int Clients { get; init; } = 10;
    public int Senders { get; init; } = 2;
    /// <summary>Messages per second per sender.</summary>
    public double Rate { get; init; } = 5;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long to wait, after the last send, for deliveries still in flight.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(5);
    public ChatProtocol Protocol { get; init; } = ChatProtocol.Seed;
    /// <summary>Server processes whose CPU and RSS are reported (room service, gateway, Redis).</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];
    /// <summary>Local addresses to connect from, round-robin: each gives its own ~28,000 ephemeral ports.</summary>
    public IReadOnlyList<IPAddress> Sources { get; init; } = [];
    /// <summary>Sockets opened at once while connecting.</summary>
    public int ConnectConcurrency { get; init; } = 64;
    /// <summary>Prefix of the room names; a random suffix keeps each step's rooms (and their history) apart.</summary>
    public string RoomPrefix { get; init; } = "load";
    /// <summary>Use the same room names every run (<c>{prefix}-{i}</c>), e.g. for a soak whose rooms' logs must stay bounded.</summary>
    public bool SameRooms { get; init; }

    /// <summary>Print a progress line every second (to stderr).</summary>
    public bool Progress { get; init; } = true;

    public int Connections => Rooms * Clients;
    public double OfferedPerSecond => Rooms * Senders * Rate;
    public double ExpectedDeliveriesPerSecond => OfferedPerSecond * Clients;

    /// <summary>Checks the numbers; returns the first problem, or null.</summary>
    public string? Validate() =>
        Targets.Count == 0 ? "at least one --target is required" :
        Targets.Any(t => t.Scheme is not ("ws" or "wss" or "http" or "https")) ? "targets are ws://, wss://, http:// or https:// URLs" :
        Rooms < 1 ? "--rooms must be at least 1" :
        Clients < 1 ? "--clients must be at least 1" :
        Senders < 0 || Senders > Clients ? "--senders must be between 0 and --clients" :
        Rate <= 0 || Rate > 100_000 ? "--rate must be above 0 and at most 100,000 per sender" :
        Duration <= TimeSpan.Zero ? "--duration must be positive" :
        ConnectConcurrency < 1 ? "--connect-concurrency must be at least 1" :
        null;
}
