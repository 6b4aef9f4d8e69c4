using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using LetsChat.LoadTest;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// One member stops reading while its room carries 200 messages a second. The server drops that
/// member when its bounded queue fills (close 1013 if the close frame can get through at all),
/// the others' latency stays within 2× of the same load without it, and memory stays bounded.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class SlowConsumerTests(ServerRedisApp app, ITestOutputHelper output)
{
    private const int MessagesPerSecond = 200;
    private static readonly string Padding = new('x', 3_900); // ~4 KB a message: the buffers on the way fill in seconds

    [Fact]
    public async Task AMemberThatStopsReadingIsDroppedWithoutSlowingTheOthers()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var room = $"slow-{Guid.NewGuid():N}";
        await using var sender = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        // The sender receives its own messages too: it must read them, or it would be the slow one.
        using var stopDraining = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var draining = Task.Run(async () =>
        {
            try
            {
                while (await sender.ReceiveMessageAsync(stopDraining.Token) is not null)
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var readers = new List<LatencyReader>();
        for (var i = 0; i < 3; i++) readers.Add(await LatencyReader.StartAsync(app.WebSocketUri(room), cts.Token));
        await using var watcher = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Watcher", cts.Token));
        var replicas = readers.Select(r => r.Replica.Pid).Append(watcher.Replica.Pid).Distinct().ToArray();

        try
        {
            // Phase 1: the load alone, after a warm-up (JIT, connection pools) that is not counted.
            await SendForAsync(sender, TimeSpan.FromSeconds(3), cts.Token);
            foreach (var reader in readers) reader.Reset();
            await SendForAsync(sender, TimeSpan.FromSeconds(10), cts.Token);
            var alone = LatencyReader.WindowedP99(readers);

            // Phase 2: the same load with a member who never reads, on a tiny receive window.
            var rssBefore = replicas.ToDictionary(pid => pid, RssMiB);
            await using var slow = await ConnectSlowAsync(room, await Sessions.CreateAsync(app, "Slow", cts.Token), cts.Token);
            await watcher.ReceivePresenceAsync("join", "Slow", cts.Token);
            foreach (var reader in readers) reader.Reset();
            var dropped = watcher.ReceivePresenceAsync("leave", "Slow", cts.Token);
            var phase = Stopwatch.StartNew();
            while (!dropped.IsCompleted && phase.Elapsed < TimeSpan.FromSeconds(60))
            {
                await SendForAsync(sender, TimeSpan.FromSeconds(1), cts.Token);
            }
            var droppedAfter = phase.Elapsed;
            var withSlow = LatencyReader.WindowedP99(readers);
            var growth = replicas.Select(pid => RssMiB(pid) - rssBefore[pid]).ToList();

            // What the slow member finally reads: the messages that fitted in the buffers, then the end.
            var (read, closeStatus) = await DrainAsync(slow, cts.Token);
            output.WriteLine($"p99 per 2 s window, alone: {alone.Windows} ms (median {alone.Median.TotalMilliseconds:F1}); " +
                $"with the slow member: {withSlow.Windows} ms (median {withSlow.Median.TotalMilliseconds:F1}); " +
                $"dropped after {droppedAfter.TotalSeconds:F1} s having been sent {read} frames; close {closeStatus?.ToString() ?? "none (aborted)"}; RSS growth {string.Join(", ", growth)} MiB");

            Assert.True(dropped.IsCompletedSuccessfully, "the slow member was never dropped");
            Assert.True(closeStatus is null or (WebSocketCloseStatus)1013, $"closed with {closeStatus}");
            Assert.All(readers, r => Assert.Null(r.Failure));
            // Within 2× of the same load without it (typical p99s; below 10 ms the ratio is noise).
            Assert.True(withSlow.Median <= 2 * TimeSpan.FromTicks(Math.Max(alone.Median.Ticks, TimeSpan.FromMilliseconds(10).Ticks)),
                $"p99 {withSlow.Median.TotalMilliseconds:F1} ms with the slow member vs {alone.Median.TotalMilliseconds:F1} ms without");
            Assert.All(growth, g => Assert.True(g < 150, $"a replica grew {g} MiB while the slow member was queued"));
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync();
            await stopDraining.CancelAsync();
            await draining;
        }
    }

    private static async Task SendForAsync(ChatClient sender, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (clock.Elapsed < duration)
        {
            var due = (int)(clock.Elapsed.TotalSeconds * MessagesPerSecond);
            for (; sent < due; sent++)
            {
                await sender.SendAsync($"{Stopwatch.GetTimestamp()}|{Padding}", ct);
            }
            await Task.Delay(5, ct);
        }
    }

    private async Task<TestSocket> ConnectSlowAsync(string room, string cookie, CancellationToken ct)
    {
        // A 4 KB receive buffer: the kernel's window stays small, as a stalled phone's would.
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return await TestSocket.ConnectAsync(app.WebSocketUri(room), ct, TestSocket.V1Protocol, cookie, new HttpMessageInvoker(handler));
    }

    private static async Task<(int Frames, WebSocketCloseStatus? Status)> DrainAsync(TestSocket socket, CancellationToken ct)
    {
        var frames = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(timeout.Token) is not null)
            {
                frames++;
            }
            return (frames, socket.CloseStatus);
        }
        catch (WebSocketException)
        {
            return (frames, null); // aborted: the close frame could not get through the full buffers
        }
    }

    // The load tool's /proc reader: the same figure the benchmarks report.
    private static long RssMiB(int pid) => ProcessSample.Of(pid)!.Value.RssKiB / 1024;

    /// <summary>A seed client that reads every frame and keeps each message's latency (send time is in the text).</summary>
    private sealed class LatencyReader : IAsyncDisposable
    {
        private readonly ChatClient _client;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<long> _latencies = [];
        private readonly List<long> _times = [];
        private Task _loop = Task.CompletedTask;

        private LatencyReader(ChatClient client) => _client = client;

        /// <summary>
        /// The p99 of each 2-second window, and their median: a typical p99 that one stall of the
        /// machine (a GC, a neighbour's burst; this box has two cores) cannot swing on its own.
        /// </summary>
        public static (TimeSpan Median, string Windows) WindowedP99(IEnumerable<LatencyReader> readers)
        {
            var all = readers.SelectMany(r => { lock (r._latencies) return r._times.Zip(r._latencies).ToArray(); }).OrderBy(p => p.First).ToArray();
            Assert.NotEmpty(all);
            var start = all[0].First;
            var windows = all.GroupBy(p => (p.First - start) / (2 * Stopwatch.Frequency))
                .Select(g => g.Select(p => p.Second).Order().ToArray())
                .Where(l => l.Length >= 100)
                .Select(l => Stopwatch.GetElapsedTime(0, l[(int)Math.Ceiling(l.Length * 0.99) - 1]))
                .ToArray();
            var median = windows.Order().ElementAt(windows.Length / 2);
            return (median, string.Join(" ", windows.Select(w => $"{w.TotalMilliseconds:F0}")));
        }

        public Exception? Failure { get; private set; }

        public Replica Replica => _client.Replica;

        public static async Task<LatencyReader> StartAsync(Uri uri, CancellationToken ct)
        {
            var reader = new LatencyReader(await ChatClient.ConnectAsync(uri, ct));
            reader._loop = Task.Run(reader.ReadAsync, CancellationToken.None); // stopped by DisposeAsync
            return reader;
        }

        private async Task ReadAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var text = await _client.ReceiveMessageAsync(_stop.Token) ?? throw new InvalidOperationException("closed by the server");
                    var sentAt = long.Parse(text.AsSpan(0, text.IndexOf('|')), System.Globalization.CultureInfo.InvariantCulture);
                    var now = Stopwatch.GetTimestamp();
                    lock (_latencies) { _latencies.Add(now - sentAt); _times.Add(now); }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Failure = e;
            }
        }

        public void Reset()
        {
            lock (_latencies) { _latencies.Clear(); _times.Clear(); }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            await _client.DisposeAsync();
        }
    }
}
