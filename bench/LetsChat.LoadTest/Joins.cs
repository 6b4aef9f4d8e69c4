using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace LetsChat.LoadTest;

/// <summary>
/// How long a v1 join takes: from opening the socket to its <c>history</c> frame (welcome and
/// presence come first), the moment a page can show the room. Joins run one at a time, so each
/// measures the join's own round trips, not a queue. The rooms are lived-in: each has a resident
/// member and <see cref="Messages"/> messages before the first join.
/// </summary>
public static class Joins
{
    public const int Messages = 30;

    public sealed record Result(string Target, int Rooms, int Joins, int Failed, string? FirstError,
        double P50Ms, double P90Ms, double P99Ms, double MaxMs);

    public static async Task<Result> RunAsync(LoadSettings settings, int joins, TextWriter? progress, CancellationToken ct)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        using var endpoints = new Endpoints(settings.Targets, settings.Sources);
        var rooms = Enumerable.Range(0, settings.Rooms).Select(i => $"{settings.RoomPrefix}-join-{runId}-{i}").ToArray();
        var residents = new List<ClientWebSocket>();
        try
        {
            foreach (var room in rooms)
            {
                var resident = await endpoints.ConnectAsync(0, room, ChatProtocol.V1, 64 * 1024, ct);
                residents.Add(resident);
                await ReadUntilAsync(resident, "{\"type\":\"history\"", ct);
                for (var m = 0; m < Messages; m++)
                {
                    var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"id\":\"j{m}\",\"text\":\"a message of a lived-in room, number {m}\"}}");
                    await resident.SendAsync(frame, WebSocketMessageType.Text, true, ct);
                    await ReadUntilAsync(resident, "{\"type\":\"ack\"", ct);
                }
            }
            progress?.WriteLine($"  {rooms.Length} rooms with a member and {Messages} messages each; {joins} joins, one at a time");

            var times = new List<double>(joins);
            var failed = 0;
            string? firstError = null;
            for (var i = 0; i < joins; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var socket = await endpoints.ConnectAsync(i, rooms[i % rooms.Length], ChatProtocol.V1, 64 * 1024, ct);
                    await ReadUntilAsync(socket, "{\"type\":\"history\"", ct);
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    socket.Abort();
                }
                catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or InvalidOperationException)
                {
                    failed++;
                    firstError ??= e.Message;
                }
            }
            times.Sort();
            double At(double q) => times.Count == 0 ? 0 : Math.Round(times[Math.Min(times.Count - 1, (int)(q * times.Count))], 2);
            return new Result(string.Join(",", settings.Targets), rooms.Length, times.Count, failed, firstError, At(0.5), At(0.9), At(0.99), times.Count == 0 ? 0 : Math.Round(times[^1], 2));
        }
        finally
        {
            foreach (var resident in residents) resident.Abort();
        }
    }

    // Reads frames until one starts with `prefix`; throws when the socket closes first.
    private static async Task ReadUntilAsync(ClientWebSocket socket, string prefix, CancellationToken ct)
    {
        var want = Encoding.UTF8.GetBytes(prefix);
        var buffer = new byte[256 * 1024];
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                if (received.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException($"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
                length += received.Count;
            } while (!received.EndOfMessage && length < buffer.Length);
            if (buffer.AsSpan(0, length).StartsWith(want)) return;
        }
    }
}
