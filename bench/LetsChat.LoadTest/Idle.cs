using System.Net.WebSockets;

namespace LetsChat.LoadTest;

/// <summary>
/// Holds N sockets open and reports how much resident memory each server process gained per socket.
/// The sockets read (and discard) whatever arrives, as a quiet chat client would.
/// </summary>
public static class Idle
{
    public sealed record Result(int Attempted, int Established, int Failed, string? FirstError, double HeldSeconds,
        IReadOnlyList<ProcessMemory> Processes, long GeneratorRssKiB)
    {
        /// <summary>Every given process together (two gateways sharing the sockets add up to one gateway's cost).</summary>
        public double TotalKiBPerConnection => Math.Round(Processes.Sum(p => p.KiBPerConnection), 2);
    }

    public sealed record ProcessMemory(int Pid, string Name, long RssBeforeKiB, long RssAfterKiB, double KiBPerConnection);

    public static async Task<Result> RunAsync(LoadSettings settings, int connections, TimeSpan hold, TextWriter? progress, CancellationToken ct)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        using var endpoints = new Endpoints(settings.Targets, settings.Sources);
        var before = settings.Pids.Select(ProcessSample.Of).OfType<ProcessSample>().ToArray();
        var sockets = new ClientWebSocket?[connections];
        var failed = 0;
        string? firstError = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readers = new List<Task>(connections);

        await Parallel.ForEachAsync(Enumerable.Range(0, connections),
            new ParallelOptions { MaxDegreeOfParallelism = settings.ConnectConcurrency, CancellationToken = ct },
            async (i, token) =>
            {
                try
                {
                    var socket = await endpoints.ConnectAsync(i, $"{settings.RoomPrefix}-{runId}-{i % settings.Rooms}", settings.Protocol, 1024, token);
                    sockets[i] = socket;
                    var reader = Task.Run(() => DiscardAsync(socket, stop.Token), CancellationToken.None);
                    lock (readers) readers.Add(reader);
                }
                catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
                if ((i + 1) % 1000 == 0) progress?.WriteLine($"  {i + 1:N0} sockets attempted, {Volatile.Read(ref failed):N0} failed");
            });

        progress?.WriteLine($"  holding {connections - failed:N0} sockets for {hold.TotalSeconds:N0} s");
        await Task.Delay(hold, ct);
        var after = before.Select(b => ProcessSample.Of(b.Pid)).ToArray();
        var established = connections - failed;
        var memory = before.Zip(after, (b, a) => a is null ? null : new ProcessMemory(b.Pid, b.Name, b.RssKiB, a.Value.RssKiB,
            established == 0 ? 0 : Math.Round((a.Value.RssKiB - b.RssKiB) / (double)established, 2))).OfType<ProcessMemory>().ToArray();
        var self = ProcessSample.Self().RssKiB;

        foreach (var socket in sockets) socket?.Abort();
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var socket in sockets) socket?.Dispose();
        return new Result(connections, established, failed, firstError, hold.TotalSeconds, memory, self);
    }

    private static async Task DiscardAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[256];
        try
        {
            while (socket.State == WebSocketState.Open)
                if ((await socket.ReceiveAsync(buffer, ct)).MessageType == WebSocketMessageType.Close) return;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
