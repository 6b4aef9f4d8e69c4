using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using LetsChat.LoadTest;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Issue 22, item 4: 2,000 raw TCP clients with a 4 KiB receive window upgrade into a room of 50
/// of the largest messages and never read a byte. Each replica holds a bounded frame for each of
/// them (a join's history is cut at HistoryFrameBytes), lets every one go (a transport that takes
/// nothing for DrainTimeoutSeconds, or a peer that answers no ping), and the room's members stay
/// connected with every send acked. (Their latency is printed: it does not hold yet.)
/// </summary>
[Collection(NonReaderCollection.Name)]
public sealed class NonReaderTests(NonReaderApp app, ITestOutputHelper output)
{
    private const int NonReaders = 2000;

    /// <summary>A replica may grow by this much holding them all (without the cut, each held ~0.5 MB of history: 1,000 a replica is ~500 MB).</summary>
    private const long MaxGrowthMiB = 150;

    [Fact]
    public async Task TwoThousandSocketsThatNeverReadHoldLittleMemoryAndAreLetGo()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var ct = cts.Token;
        var room = $"nonreaders-{Guid.NewGuid():N}";

        // 50 messages of MaxMessageChars (4,000) three-byte characters: 12 KB each, 600 KB a page.
        await using var talker = await V1Client.ConnectAsync(app, room, ct);
        var text = new string('語', 4000);
        for (var i = 0; i < 50; i++)
        {
            await talker.SendUnescapedAsync(new { type = "send", id = $"big{i}", text }, ct);
            await talker.AckAsync($"big{i}", ct);
        }
        var pids = await ReplicaPidsAsync(room, ct);
        // A member of another room, on the other replica from the talker's: what the attack costs those not in its room.
        await using var bystander = await V1Client.ConnectElsewhereAsync(app, $"bystanders-{Guid.NewGuid():N}", talker.Replica, ct);
        // Both at once: a client that stops reading for longer than the keep-alive is let go of too.
        var (atRest, bystanderAtRest) = await BothAsync(talker, bystander, "rest", ct);
        var rssBefore = pids.ToDictionary(pid => pid, RssMiB);

        // The attack: connect them all, 50 at a time, and never read.
        var clock = Stopwatch.StartNew();
        var sockets = new List<Socket>(NonReaders);
        var peak = pids.ToDictionary(pid => pid, RssMiB);
        try
        {
            for (var batch = 0; batch < NonReaders / 50; batch++)
            {
                sockets.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => UpgradeAndNeverReadAsync(room, ct))));
                Sample(peak);
                // The talker is a member like any other: it reads (and so answers the pings).
                await talker.SendAndAckAsync($"during {batch}", $"during{batch}", ct);
                await bystander.SendAndAckAsync($"during {batch}", $"during{batch}", ct);
            }
            var connectedAfter = clock.Elapsed;
            var cli = await RedisCli.ForAsync(app, ct);
            var present = long.Parse(await cli.RunAsync(ct, "HLEN", $"letschat:{{{room}}}:users"), System.Globalization.CultureInfo.InvariantCulture);
            var (underAttack, bystanderUnderAttack) = await BothAsync(talker, bystander, "attack", ct);
            Sample(peak);

            // Let go of, all of them: presence has only the talker left.
            using (var within = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                within.CancelAfter(TimeSpan.FromSeconds(60));
                var left = "";
                var probe = 0;
                await Eventually.ValueAsync(async () =>
                {
                    Sample(peak);
                    // Both keep reading (and answering pings) meanwhile.
                    probe++;
                    await Task.WhenAll(talker.SendAndAckAsync($"release {probe}", $"release{probe}", ct), bystander.SendAndAckAsync($"release {probe}", $"release{probe}", ct));
                    left = await cli.RunAsync(ct, "HLEN", $"letschat:{{{room}}}:users");
                    return left == "1" ? left : null;
                }, within.Token, () => $"{left} users still in the room");
            }
            var releasedAfter = clock.Elapsed;
            var growth = pids.ToDictionary(pid => pid, pid => peak[pid] - rssBefore[pid]);

            output.WriteLine($"{NonReaders} non-readers connected in {connectedAfter.TotalSeconds:F1} s ({present} still present then), " +
                $"all let go after {releasedAfter.TotalSeconds:F1} s; RSS growth by replica: {string.Join(", ", growth.Select(g => $"{g.Key}: {g.Value} MiB"))}; " +
                $"talker send->ack p50/p99 at rest {Latencies.Percentile(atRest, 50):F2}/{Latencies.Percentile(atRest, 99):F2} ms, with them {Latencies.Percentile(underAttack, 50):F2}/{Latencies.Percentile(underAttack, 99):F2} ms; " +
                $"bystander in another room at rest {Latencies.Percentile(bystanderAtRest, 50):F2}/{Latencies.Percentile(bystanderAtRest, 99):F2} ms, " +
                $"with them {Latencies.Percentile(bystanderUnderAttack, 50):F2}/{Latencies.Percentile(bystanderUnderAttack, 99):F2} ms");
            Assert.All(growth, g => Assert.True(g.Value < MaxGrowthMiB, $"replica {g.Key} grew {g.Value} MiB holding sockets that never read"));
            // The latencies are printed, not asserted: they do not hold on this machine. With the
            // 2,000 present, the talker's median send->ack goes from ~4-6 ms to ~32 ms, and so does
            // the bystander's in another room on the other replica (2026-12-07): what slows both is
            // the 2 cores, full (per-process CPU while the sockets are held and let go of: the
            // orchestrator's proxy ~55% of a core, the gateway ~50%, each replica ~35%, the test ~15%:
            // bench/cpu_by_process.py),
            // not the room's own path. What holds: both stay connected and every send is acked.
            Assert.Equal(WebSocketStateOpen, talker.State);
            await talker.SendAndAckAsync("after", "after", ct);
            await bystander.SendAndAckAsync("after", "after", ct);
        }
        catch
        {
            // What the replicas said about it, for the failure's record.
            foreach (var line in app.ResourceLogs.Lines.Where(l => l.Contains("rooms", StringComparison.Ordinal) && (l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal))).TakeLast(40))
            {
                output.WriteLine(line);
            }
            throw;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task<(List<double>, List<double>)> BothAsync(V1Client talker, V1Client bystander, string prefix, CancellationToken ct)
    {
        var both = await Task.WhenAll(Latencies.SendAckAsync(talker, prefix, 200, ct), Latencies.SendAckAsync(bystander, prefix, 200, ct));
        return (both[0], both[1]);
    }

    private const System.Net.WebSockets.WebSocketState WebSocketStateOpen = System.Net.WebSockets.WebSocketState.Open;

    /// <summary>A WebSocket upgrade written by hand on a socket with a 4 KiB receive window, never read.</summary>
    private async Task<Socket> UpgradeAndNeverReadAsync(string room, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(app.Gateway.Host, app.Gateway.Port, ct);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET /ws/chat/{room}/ HTTP/1.1\r\nHost: {app.Gateway.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {TestSocket.V1Protocol}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, ct);
        // The 101's head, and not a byte of a frame more than fits in what that read takes (the
        // welcome, presence and history follow and stay unread): so the attack goes at the pace
        // the upgrades are answered, and each is known to have become a socket.
        var head = new byte[1024];
        var read = await socket.ReceiveAsync(head, SocketFlags.None, ct);
        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(head, 0, read), StringComparison.Ordinal);
        return socket;
    }

    /// <summary>Both replicas' process ids, from sockets that land on each.</summary>
    private async Task<int[]> ReplicaPidsAsync(string room, CancellationToken ct)
    {
        var pids = new HashSet<int>();
        for (var i = 0; i < 20 && pids.Count < 2; i++)
        {
            await using var probe = await V1Client.ConnectAsync(app, room, ct);
            pids.Add(probe.Replica.Pid);
        }
        Assert.Equal(2, pids.Count);
        return [.. pids];
    }

    private static void Sample(Dictionary<int, long> peak)
    {
        foreach (var pid in peak.Keys)
        {
            peak[pid] = Math.Max(peak[pid], RssMiB(pid));
        }
    }

    private static long RssMiB(int pid) => ProcessSample.Of(pid)!.Value.RssKiB / 1024;
}

/// <summary>Short keep-alive and drain deadlines, so sockets that never read are let go of within a test.</summary>
public sealed class NonReaderApp() : ChatAppFixture("server",
    [.. Unthrottled, "--LetsChat:Rooms:KeepAliveSeconds=5", "--LetsChat:Rooms:DrainTimeoutSeconds=5", "--LetsChat:Rooms:MaxConnectionsPerIp=5000"]); // all from loopback

[CollectionDefinition(Name)]
public sealed class NonReaderCollection : ICollectionFixture<NonReaderApp>
{
    public const string Name = "sockets that never read";
}
