using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LetsChat.AppHost;

/// <summary>
/// Health of a Redis-protocol process: AUTH, then a RESP PING answered with +PONG. Raw RESP keeps
/// the AppHost free of a Redis client for two commands.
/// </summary>
internal static class RedisPing
{
    public static async Task<HealthCheckResult> CheckAsync(string? hostAndPort, string? password, CancellationToken ct)
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
            var auth = string.IsNullOrEmpty(password) ? "" : $"*2\r\n$4\r\nAUTH\r\n${password.Length}\r\n{password}\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(auth + "PING\r\n"), timeout.Token);
            var reply = "";
            var buffer = new byte[256];
            while (!reply.Contains("PONG", StringComparison.Ordinal) && !reply.Contains('-', StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }
                reply += Encoding.ASCII.GetString(buffer, 0, read);
            }
            // The password is never echoed: only the replies, which do not contain it.
            return reply.Contains("+PONG", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"PING answered '{reply.TrimEnd()}'.");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"PING to {hostAndPort} failed: {ex.Message}");
        }
    }
}
