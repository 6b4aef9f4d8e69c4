using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LetsChat.AppHost;

/// <summary>
/// Health of a Redis-protocol process: a RESP PING answered with +PONG. Raw RESP keeps the
/// AppHost free of a Redis client for one command.
/// </summary>
internal static class RedisPing
{
    public static async Task<HealthCheckResult> CheckAsync(string? hostAndPort, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(hostAndPort) || hostAndPort.LastIndexOf(':') is var colon && colon < 0
            || !int.TryParse(hostAndPort.AsSpan(colon + 1), out var port))
        {
            return HealthCheckResult.Unhealthy($"No endpoint yet ('{hostAndPort}').");
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var client = new TcpClient();
            await client.ConnectAsync(hostAndPort[..colon], port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"PING answered '{reply.TrimEnd()}'.");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"PING to {hostAndPort} failed: {ex.Message}");
        }
    }
}
