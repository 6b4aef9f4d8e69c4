using System.Diagnostics;
using Aspire.Hosting.Testing;
using LetsChat.LoadTest;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Redis failing under steady load from resuming v1 clients on both replicas (2 each, 8 msg/s each).
/// Each test ends with counts: acked, delivered, lost, duplicated.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RedisFaultTests(FaultApp app, ITestOutputHelper output)
{
    private const double MessagesPerSecondPerClient = 8;

    [Fact]
    public async Task RedisRestartedEmptyUnderLoadRefusesThenResetsAndResumesWithNothingLost()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var clients = await ResumingClient.StartOnBothReplicasAsync(app, $"restart-{Guid.NewGuid():N}", perReplica: 2, cts.Token);
        try
        {
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var load = clients.Select(c => Load.SendSteadilyAsync(c, MessagesPerSecondPerClient, sending.Token)).ToArray();
            await Load.AckedMoreAsync(clients, 5, cts.Token);

            var refusedBefore = clients.Sum(c => c.Refusals);
            await app.StopRedisAsync(cts.Token);
            // Its data directory deleted while it is down: it comes back with nothing (docs/operations.md, "Starting empty").
            Directory.Delete(app.DataDir, recursive: true);
            Directory.CreateDirectory(app.DataDir);
            DateTimeOffset started;
            try
            {
                // A send waits in the Redis client's backlog for its 5 s timeout (a blip costs
                // nothing), then is refused with an error frame, never acked: Redis stays down until one is.
                await Eventually.TrueAsync(() => clients.Sum(c => c.Refusals) > refusedBefore, cts.Token,
                    () => $"a send refused while Redis is down; {string.Join("; ", clients)}");
                foreach (var client in clients) client.Mark();
            }
            finally
            {
                started = DateTimeOffset.UtcNow; // from the start request: it returns once Redis is up
                await app.StartRedisAsync(cts.Token);
            }
            await Eventually.TrueAsync(() => clients.All(c => c.FirstReceivedAfterMark is not null), cts.Token,
                () => $"every client receives again after Redis is back; {string.Join("; ", clients)}");
            await Load.AckedMoreAsync(clients, 10, cts.Token);
            await sending.CancelAsync();
            await Task.WhenAll(load);
            await Load.SettleAsync(clients, cts.Token);

            var counts = DeliveryCounts.Of(clients);
            var resumed = clients.Select(c => (c.FirstReceivedAfterMark!.Value - started).TotalSeconds).ToList();
            output.WriteLine($"{counts}; delivery resumed {string.Join(", ", resumed.Select(s => $"{s:F1}"))} s after Redis started; {string.Join("; ", clients)}");
            Assert.True(clients.Sum(c => c.Refusals) > 0, "sends while Redis was down were refused with an error frame");
            Assert.Equal((0, 0, 0), (counts.Lost, counts.Duplicated, counts.OutOfOrder));
            Assert.Equal(counts.Expected, counts.Delivered);
            // Redis came back empty: every client was told (a reset to the new epoch), none saw a silent hole.
            Assert.All(clients, c => Assert.True(c.Resets >= 1, $"{c.Name} got no reset"));
            Assert.All(clients, c => Assert.Equal(Enumerable.Range(1, c.Received.Count(r => r.Epoch == c.Received[^1].Epoch)).Select(i => (long)i),
                c.Received.Where(r => r.Epoch == c.Received[^1].Epoch).Select(r => r.Seq)));
            // Delivery resumes within 5 s of Redis being up (SE.Redis reconnects, rooms resubscribe or
            // heal from the log); the margin is for this noisy 2-core machine.
            Assert.True(resumed.Max() <= 10, $"delivery resumed only {resumed.Max():F1} s after Redis started");
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisPausedTenSecondsUnderLoadGivesErrorsNotHangsAndLosesNothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var clients = await ResumingClient.StartOnBothReplicasAsync(app, $"pause-{Guid.NewGuid():N}", perReplica: 2, cts.Token);
        using var rooms = app.App.CreateHttpClient("rooms");
        rooms.Timeout = TimeSpan.FromSeconds(10);
        var replicas = clients.Select(c => c.Replica.Pid).Distinct().ToArray();
        try
        {
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var load = clients.Select(c => Load.SendSteadilyAsync(c, MessagesPerSecondPerClient, sending.Token)).ToArray();
            await Load.AckedMoreAsync(clients, 5, cts.Token);
            var rssBefore = replicas.ToDictionary(p => p, RssMiB);
            var refusedBefore = clients.Sum(c => c.Refusals);

            var redis = app.RedisPid();
            var slowestAlive = TimeSpan.Zero;
            Signal("STOP", redis);
            try
            {
                // While Redis is frozen the service must stay responsive: /alive is answered by a
                // thread-pool thread, so a starved pool would show here first.
                var paused = Stopwatch.StartNew();
                while (paused.Elapsed < TimeSpan.FromSeconds(10))
                {
                    var probe = Stopwatch.StartNew();
                    using var alive = await rooms.GetAsync("/alive", cts.Token);
                    alive.EnsureSuccessStatusCode();
                    slowestAlive = probe.Elapsed > slowestAlive ? probe.Elapsed : slowestAlive;
                    await Task.Delay(500, cts.Token);
                }
            }
            finally
            {
                Signal("CONT", redis);
            }
            var refusedDuringPause = clients.Sum(c => c.Refusals) - refusedBefore;
            await Load.AckedMoreAsync(clients, 10, cts.Token); // and flowing again
            await sending.CancelAsync();
            await Task.WhenAll(load);
            await Load.SettleAsync(clients, cts.Token);

            var counts = DeliveryCounts.Of(clients);
            var growth = replicas.Select(p => RssMiB(p) - rssBefore[p]).ToList();
            output.WriteLine($"{counts}; {refusedDuringPause} sends refused during the pause; slowest /alive {slowestAlive.TotalMilliseconds:F0} ms; RSS growth {string.Join(", ", growth)} MiB; {string.Join("; ", clients)}");
            Assert.True(refusedDuringPause > 0, "senders were told (an error frame), not left hanging");
            Assert.True(slowestAlive < TimeSpan.FromSeconds(2), $"/alive took {slowestAlive.TotalMilliseconds:F0} ms while Redis was paused");
            Assert.Equal((0, 0, 0), (counts.Lost, counts.Duplicated, counts.OutOfOrder));
            Assert.Equal(counts.Expected, counts.Delivered);
            Assert.All(clients, c => Assert.Equal(0, c.Resets)); // paused, not emptied: the log is intact
            Assert.All(growth, g => Assert.True(g < 150, $"a replica grew {g} MiB during the pause"));
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    private static void Signal(string signal, int pid) =>
        Assert.Equal(0, Posix.Kill(pid, signal == "STOP" ? Posix.SigStop : Posix.SigCont));

    // The load tool's /proc reader: the same figure the benchmarks report.
    private static long RssMiB(int pid) => ProcessSample.Of(pid)!.Value.RssKiB / 1024;
}
