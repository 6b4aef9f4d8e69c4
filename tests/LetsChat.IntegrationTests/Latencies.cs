using System.Diagnostics;

namespace LetsChat.IntegrationTests;

/// <summary>What the abuse tests measure of a victim: its send-to-ack times, and percentiles of them.</summary>
public static class Latencies
{
    /// <summary><paramref name="count"/> sends one after the other, each timed from send to its ack, in ms.</summary>
    public static async Task<List<double>> SendAckAsync(V1Client client, string prefix, int count, CancellationToken ct)
    {
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await client.SendAndAckAsync($"{prefix} {i}", $"{prefix}{i}", ct);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return latencies;
    }

    /// <summary>The nearest-rank percentile.</summary>
    public static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }
}
