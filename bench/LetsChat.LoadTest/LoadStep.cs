using System.Diagnostics;
using System.Net.WebSockets;
using HdrHistogram;

namespace LetsChat.LoadTest;

/// <summary>
/// One measured run: connect every socket, send at the set rate for the set time, wait for the
/// deliveries in flight, then count what arrived against what was sent.
/// </summary>
public static class LoadStep
{
    public static async Task<StepResult> RunAsync(LoadSettings settings, TextWriter? progress, CancellationToken ct)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        var rooms = Enumerable.Range(0, settings.Rooms)
            .Select(i => new RoomLoad(settings.SameRooms ? $"{settings.RoomPrefix}-{i}" : $"{settings.RoomPrefix}-{runId}-{i}", settings.Senders)).ToArray();

        using var endpoints = new Endpoints(settings.Targets, settings.Sources);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (failed, firstError) = await ConnectAllAsync(settings, endpoints, rooms, ct);
        var receivers = rooms.SelectMany(r => r.Receivers).ToArray();
        var loops = receivers.Select(r => Task.Run(() => r.ReceiveLoopAsync(stop.Token), CancellationToken.None)).ToArray();

        var serverStart = settings.Pids.Select(ProcessSample.Of).OfType<ProcessSample>().ToArray();
        var selfStart = ProcessSample.Self();
        var clock = Stopwatch.StartNew();
        using var reporter = progress is null ? null : Progress.Start(progress, receivers, rooms, clock);

        var end = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var senders = rooms.SelectMany(room => room.Receivers.Take(settings.Senders)
            .Select((receiver, s) => SendLoopAsync(receiver, s, settings, end, ct))).ToArray();
        await Task.WhenAll(senders);
        var sendSeconds = clock.Elapsed.TotalSeconds;

        await DrainAsync(rooms, settings.Drain, ct);
        var window = clock.Elapsed;
        var selfEnd = ProcessSample.Self();
        var serverUse = serverStart
            .Select(s => ProcessSample.Of(s.Pid) is { } e ? ProcessUse.Between(s, e, window) : null)
            .OfType<ProcessUse>().ToArray();

        reporter?.Dispose();
        var closedEarly = receivers.Where(r => r.ClosedEarly is not null).ToArray();
        await CloseAllAsync(receivers);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        return Tally(settings, rooms, failed, firstError, closedEarly, sendSeconds, window, selfEnd.Cpu - selfStart.Cpu, serverUse);
    }

    private static async Task<(int Failed, string? FirstError)> ConnectAllAsync(
        LoadSettings settings, Endpoints endpoints, RoomLoad[] rooms, CancellationToken ct)
    {
        var failed = 0;
        string? firstError = null;
        var slots = new Receiver?[rooms.Length, settings.Clients];
        await Parallel.ForEachAsync(Enumerable.Range(0, settings.Connections),
            new ParallelOptions { MaxDegreeOfParallelism = settings.ConnectConcurrency, CancellationToken = ct },
            async (index, token) =>
            {
                var room = rooms[index / settings.Clients];
                try
                {
                    var socket = await endpoints.ConnectAsync(index, room.Name, settings.Protocol, 16 * 1024, token);
                    slots[index / settings.Clients, index % settings.Clients] = new Receiver(socket, room, settings.Protocol);
                }
                catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            });
        // Senders are the first connected sockets of each room, so a failed connect never leaves a room silent.
        for (var r = 0; r < rooms.Length; r++)
            for (var c = 0; c < settings.Clients; c++)
                if (slots[r, c] is { } receiver) rooms[r].Receivers.Add(receiver);
        return (failed, firstError);
    }

    private static async Task SendLoopAsync(Receiver sender, int index, LoadSettings settings, long end, CancellationToken ct)
    {
        var buffer = new byte[512];
        var interval = Stopwatch.Frequency / settings.Rate;
        // Spread the senders' first sends over one interval so they do not tick in step.
        var next = Stopwatch.GetTimestamp() + Random.Shared.NextDouble() * interval;
        long seq = 0;
        while (!ct.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end) return;
            var aheadMs = (Math.Min(next, end) - now) * 1000 / Stopwatch.Frequency;
            if (aheadMs >= 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(aheadMs), ct);
                continue;
            }
            if (next >= end) return;
            var length = Wire.WriteSend(buffer, settings.Protocol, index, seq, Stopwatch.GetTimestamp());
            try
            {
                await sender.Socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, ct);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // the server closed this socket; its receive loop records why
            }
            sender.Room.CountSend(index);
            seq++;
            next += interval;
        }
    }

    /// <summary>Waits until every expected delivery arrived, or until nothing arrived for <paramref name="patience"/>.</summary>
    private static async Task DrainAsync(RoomLoad[] rooms, TimeSpan patience, CancellationToken ct)
    {
        var lastProgress = Stopwatch.StartNew();
        var last = -1L;
        while (lastProgress.Elapsed < patience)
        {
            var received = rooms.Sum(r => r.Receivers.Sum(x => Volatile.Read(ref x.Received) + Volatile.Read(ref x.Duplicates)));
            var expected = rooms.Sum(r => Expected(r));
            if (received >= expected) return;
            if (received != last)
            {
                last = received;
                lastProgress.Restart();
            }
            await Task.Delay(20, ct);
        }
    }

    private static long Expected(RoomLoad room) =>
        Enumerable.Range(0, room.Senders).Sum(room.Sent) * room.Receivers.Count;

    private static async Task CloseAllAsync(Receiver[] receivers)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Parallel.ForEachAsync(receivers, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (r, _) =>
        {
            try
            {
                if (r.Socket.State == WebSocketState.Open)
                    await r.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        });
    }

    private static StepResult Tally(LoadSettings settings, RoomLoad[] rooms, int failed, string? firstError,
        Receiver[] closedEarly, double sendSeconds, TimeSpan window, TimeSpan generatorCpu, ProcessUse[] server)
    {
        var latency = new LongHistogram(1, 60_000_000, 3);
        var acks = new LongHistogram(1, 60_000_000, 3);
        long sent = 0, expected = 0, lost = 0;
        foreach (var room in rooms)
        {
            room.AddLatenciesTo(latency, acks);
            for (var s = 0; s < room.Senders; s++)
            {
                sent += room.Sent(s);
                // Never below 0: against the blast server a socket receives messages nobody here sent.
                foreach (var receiver in room.Receivers) lost += Math.Max(0, room.Sent(s) - receiver.Distinct(s));
            }
            expected += Expected(room);
        }
        var receivers = rooms.SelectMany(r => r.Receivers).ToArray();
        var received = receivers.Sum(r => r.Received);
        long Percentile(double p) => latency.TotalCount == 0 ? 0 : latency.GetValueAtPercentile(p);
        return new StepResult
        {
            Target = string.Join(",", settings.Targets),
            Protocol = settings.Protocol.ToString().ToLowerInvariant(),
            Rooms = settings.Rooms,
            Clients = settings.Clients,
            Senders = settings.Senders,
            RatePerSender = settings.Rate,
            Seconds = Math.Round(window.TotalSeconds, 2),
            ConnectionsAttempted = settings.Connections,
            ConnectionsEstablished = receivers.Length,
            ConnectionsFailed = failed,
            ConnectionsClosedEarly = closedEarly.Length,
            FirstCloseReason = closedEarly.FirstOrDefault()?.ClosedEarly,
            FirstConnectError = firstError,
            Sent = sent,
            Refused = receivers.Sum(r => r.Errors),
            Expected = expected,
            Received = received,
            Lost = lost,
            Duplicated = receivers.Sum(r => r.Duplicates),
            OutOfOrder = receivers.Sum(r => r.OutOfOrder),
            OfferedPerSecond = settings.OfferedPerSecond,
            SentPerSecond = Math.Round(sent / sendSeconds, 1),
            DeliveredPerSecond = Math.Round(received / sendSeconds, 1),
            P50 = Percentile(50),
            P90 = Percentile(90),
            P99 = Percentile(99),
            P999 = Percentile(99.9),
            Max = latency.TotalCount == 0 ? 0 : latency.GetMaxValue(),
            Acked = acks.TotalCount,
            AckP50 = acks.TotalCount == 0 ? 0 : acks.GetValueAtPercentile(50),
            AckP99 = acks.TotalCount == 0 ? 0 : acks.GetValueAtPercentile(99),
            GeneratorCores = Math.Round(generatorCpu / window, 3),
            Processes = server,
        };
    }
}
