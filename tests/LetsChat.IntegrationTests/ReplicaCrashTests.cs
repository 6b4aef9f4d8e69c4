using System.Diagnostics;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// A replica killed (SIGKILL) in the middle of a chat under steady load. Its clients reconnect
/// through the gateway to the survivor and resume: no message lost or doubled. A member who does
/// not come back leaves the room's presence within the TTL.
/// </summary>
[Collection(CrashCollection.Name)]
public sealed class ReplicaCrashTests(CrashApp app, ITestOutputHelper output)
{
    // Under the default per-socket limit (10 frames/s), so the load is what a lively room sends.
    private const int MessagesPerSecondPerClient = 8;

    [Fact]
    public async Task KillingAReplicaUnderLoadLosesAndDoublesNothingAndItsLeaversLeaveWithinTheTtl()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var room = $"crash-{Guid.NewGuid():N}";

        // Ben will not come back after the crash: the survivors must see him leave.
        var ben = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ben", cts.Token));
        var doomedReplica = ben.Replica;
        var clients = new List<ResumingClient>();
        try
        {
            // Two chatters on Ben's replica (doomed), two on the other one.
            clients = await ResumingClient.StartOnBothReplicasAsync(app, room, perReplica: 2, cts.Token);
            await using var watcher = await V1Client.ConnectElsewhereAsync(app, room, doomedReplica, cts.Token, cookie: await Sessions.CreateAsync(app, "Watcher", cts.Token));

            using var sending = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var load = clients.Select(c => Load.SendSteadilyAsync(c, MessagesPerSecondPerClient, sending.Token)).ToArray();
            await Load.AckedMoreAsync(clients, 10, cts.Token);

            using var replica = doomedReplica.Process();
            var onSurvivor = clients.Where(c => c.Replica != doomedReplica).ToList();
            Assert.Equal(2, onSurvivor.Count);
            var killedAt = Stopwatch.StartNew();
            replica.Kill(); // SIGKILL: no leave, no unsubscribe, nothing
            ben.Abort();

            // Load keeps flowing while the doomed clients find the survivor and resume.
            var doomed = clients.Except(onSurvivor).ToList();
            await Eventually.TrueAsync(() => doomed.All(c => c.Connects >= 2), cts.Token,
                () => $"the doomed replica's clients reconnected; {string.Join("; ", doomed)}");
            await Load.AckedMoreAsync(clients, 20, cts.Token); // a steady load on the survivor, not one burst
            await sending.CancelAsync();
            await Task.WhenAll(load);
            await Load.SettleAsync(clients, cts.Token);

            var counts = DeliveryCounts.Of(clients);
            output.WriteLine($"{counts}; {string.Join("; ", clients)}");
            Assert.True(onSurvivor.All(c => c.Connects == 1), "the survivor's clients were not disturbed");
            Assert.True(clients.Except(onSurvivor).All(c => c.Connects >= 2), "the doomed replica's clients reconnected");
            Assert.All(clients, c => Assert.NotEqual(doomedReplica, c.Replica)); // everyone ended on the survivor
            Assert.True(counts.Acked > 100, $"only {counts.Acked} messages were acked");
            Assert.Equal((0, 0, 0), (counts.Lost, counts.Duplicated, counts.OutOfOrder));
            Assert.Equal(counts.Expected, counts.Delivered);
            Assert.All(clients, c => Assert.Equal(0, c.Resets));

            // Ben's entry on the dead replica expires: the watcher sees him leave within TTL + one heartbeat.
            await watcher.ReceivePresenceAsync("leave", "Ben", cts.Token);
            var heartbeat = CrashApp.PresenceTtlSeconds / 3.0;
            Assert.True(killedAt.Elapsed.TotalSeconds <= CrashApp.PresenceTtlSeconds + heartbeat + 1,
                $"Ben left {killedAt.Elapsed.TotalSeconds:F1} s after the kill; TTL {CrashApp.PresenceTtlSeconds} s, heartbeat {heartbeat:F1} s");

            // The dead replica's sockets stop counting under the caps once their leases run out.
            var cli = await RedisCli.ForAsync(app, cts.Token);
            async Task<int> DeadLeasesAsync(string key) =>
                (await cli.RunAsync(cts.Token, "ZRANGEBYSCORE", key, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "+inf"))
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(m => m.StartsWith(doomedReplica.Id + " ", StringComparison.Ordinal));
            await Eventually.ValueAsync(async () => await DeadLeasesAsync("letschat:net:127.0.0.1:sockets") + await DeadLeasesAsync($"letschat:user:{{{ben.UserId}}}:sockets") == 0 ? "gone" : null,
                cts.Token, () => "the dead replica's socket leases to run out");
            Assert.True(killedAt.Elapsed.TotalSeconds <= CrashApp.PresenceTtlSeconds + heartbeat + 1, $"its leases ran out {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
            await ben.DisposeAsync();
        }
    }
}
