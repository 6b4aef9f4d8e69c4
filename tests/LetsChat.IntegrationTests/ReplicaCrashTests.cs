using System.Diagnostics;

namespace LetsChat.IntegrationTests;

/// <summary>A replica that dies without cleaning up: its members leave by themselves, within the presence TTL.</summary>
[Collection(CrashCollection.Name)]
public sealed class ReplicaCrashTests(CrashApp app)
{
    [Fact]
    public async Task KillingAReplicaRemovesItsMembersWithinTheTtl()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"crash-{Guid.NewGuid():N}";
        // Ben first, then Ana on the other replica: Ana's retries make presence events about Ana only,
        // so the leave for Ben that Ana waits for below can only come from the crash.
        var doomed = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ben", cts.Token));
        await using var survivor = await V1Client.ConnectElsewhereAsync(app, room, doomed.Replica, cts.Token, cookie: await Sessions.CreateAsync(app, "Ana", cts.Token));
        var snapshot = await survivor.ReceiveTypeAsync("presence", cts.Token);
        Assert.Contains(snapshot.GetProperty("members").EnumerateArray(), u => u.GetProperty("name").GetString() == "Ben");

        // X-LetsChat-Replica is "<host>-<pid>-<random>": the pid of the process holding Ben's socket.
        var pid = int.Parse(doomed.Replica.Split('-')[^2]);
        using var replica = Process.GetProcessById(pid);
        var killedAt = Stopwatch.StartNew();
        replica.Kill(); // SIGKILL: no leave, no unsubscribe, nothing
        doomed.Abort();
        await doomed.DisposeAsync();

        await survivor.ReceivePresenceAsync("leave", "Ben", cts.Token);
        var heartbeat = CrashApp.PresenceTtlSeconds / 3.0;
        Assert.True(killedAt.Elapsed.TotalSeconds <= CrashApp.PresenceTtlSeconds + heartbeat + 1,
            $"Ben left {killedAt.Elapsed.TotalSeconds:F1} s after the kill; TTL {CrashApp.PresenceTtlSeconds} s, heartbeat {heartbeat:F1} s");
    }
}
