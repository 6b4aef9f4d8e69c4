using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using HdrHistogram;

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
        var buffer = new byte[256 * 1024]; // one for every read: no allocation inside a timed join
        try
        {
            foreach (var room in rooms)
            {
                var resident = await endpoints.ConnectAsync(0, room, ChatProtocol.V1, 64 * 1024, ct);
                residents.Add(resident);
                await ReadUntilAsync(resident, History, buffer, ct);
                for (var m = 0; m < Messages; m++)
                {
                    var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"id\":\"j{m}\",\"text\":\"a message of a lived-in room, number {m}\"}}");
                    await resident.SendAsync(frame, WebSocketMessageType.Text, true, ct);
                    await ReadUntilAsync(resident, Ack, buffer, ct);
                }
            }
            progress?.WriteLine($"  {rooms.Length} rooms with a member and {Messages} messages each; {joins} joins, one at a time");

            var times = new LongHistogram(1, 60_000_000, 3); // µs, as LoadStep's latencies
            var failed = 0;
            string? firstError = null;
            for (var i = 0; i < joins; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var socket = await endpoints.ConnectAsync(i, rooms[i % rooms.Length], ChatProtocol.V1, 64 * 1024, ct);
                    await ReadUntilAsync(socket, History, buffer, ct);
                    times.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
                    socket.Abort();
                }
                catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or InvalidOperationException)
                {
                    failed++;
                    firstError ??= e.Message;
                }
            }
            double Ms(long us) => Math.Round(us / 1000.0, 2);
            double At(double percentile) => times.TotalCount == 0 ? 0 : Ms(times.GetValueAtPercentile(percentile));
            return new Result(string.Join(",", settings.Targets), rooms.Length, (int)times.TotalCount, failed, firstError,
                At(50), At(90), At(99), times.TotalCount == 0 ? 0 : Ms(times.GetMaxValue()));
        }
        finally
        {
            foreach (var resident in residents) resident.Abort();
        }
    }

    private static readonly byte[] History = "{\"type\":\"history\""u8.ToArray();
    private static readonly byte[] Ack = "{\"type\":\"ack\""u8.ToArray();

    // Reads frames until one starts with `prefix`; throws when the socket closes first.
    private static async Task ReadUntilAsync(ClientWebSocket socket, byte[] prefix, byte[] buffer, CancellationToken ct)
    {
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
            if (buffer.AsSpan(0, length).StartsWith(prefix)) return;
        }
    }
}
