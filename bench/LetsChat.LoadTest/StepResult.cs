namespace LetsChat.LoadTest;

/// <summary>What one load step measured. Latencies are in microseconds.</summary>
public sealed record StepResult
{
    public required string Target { get; init; }
    public required string Protocol { get; init; }
    public required int Rooms { get; init; }
    public required int Clients { get; init; }
    public required int Senders { get; init; }
    public required double RatePerSender { get; init; }
    public required double Seconds { get; init; }

    public required int ConnectionsAttempted { get; init; }
    public required int ConnectionsEstablished { get; init; }
    public required int ConnectionsFailed { get; init; }
    /// <summary>Sockets the server closed (or that broke) before the end; the first reason seen.</summary>
    public required int ConnectionsClosedEarly { get; init; }
    public string? FirstCloseReason { get; init; }
    public string? FirstConnectError { get; init; }

    public required long Sent { get; init; }
    /// <summary>Sends the server refused with an error frame (v1).</summary>
    public required long Refused { get; init; }
    public required long Expected { get; init; }
    public required long Received { get; init; }
    public required long Lost { get; init; }
    public required long Duplicated { get; init; }
    public required long OutOfOrder { get; init; }

    public required double OfferedPerSecond { get; init; }
    public required double SentPerSecond { get; init; }
    public required double DeliveredPerSecond { get; init; }
    public required long P50 { get; init; }
    public required long P90 { get; init; }
    public required long P99 { get; init; }
    public required long P999 { get; init; }
    public required long Max { get; init; }

    /// <summary>v1: acks received, and each send's round trip to its ack (0 for seed).</summary>
    public long Acked { get; init; }
    public long AckP50 { get; init; }
    public long AckP99 { get; init; }

    /// <summary>The generator's own CPU over the measured window, as a share of one core.</summary>
    public required double GeneratorCores { get; init; }
    public required IReadOnlyList<ProcessUse> Processes { get; init; }

    /// <summary>Server CPU (every given PID together) per delivery, in microseconds.</summary>
    public double ServerCpuPerDeliveryUs => Received == 0 ? 0 : Processes.Sum(p => p.CpuMs) * 1000 / Received;

    public bool Clean(double p99LimitMs) =>
        ConnectionsFailed == 0 && ConnectionsClosedEarly == 0 && Lost == 0 && Duplicated == 0 && OutOfOrder == 0 &&
        Refused == 0 && Received > 0 && P99 <= p99LimitMs * 1000;
}

/// <summary>One server process over the measured window.</summary>
public sealed record ProcessUse(int Pid, string Name, double CpuMs, double Cores, long RssStartKiB, long RssEndKiB)
{
    public static ProcessUse Between(ProcessSample start, ProcessSample end, TimeSpan window) => new(
        start.Pid, start.Name, (end.Cpu - start.Cpu).TotalMilliseconds,
        (end.Cpu - start.Cpu) / window, start.RssKiB, end.RssKiB);
}
