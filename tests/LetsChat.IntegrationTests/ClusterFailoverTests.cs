using System.Diagnostics;
using System.Globalization;
using System.Net;
using Aspire.Hosting.Testing;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// A Redis Cluster master killed with SIGKILL while its room is under load: its replica takes
/// over, and because an ack waited for that replica (WAIT), no acknowledged message is lost.
/// And a planned handover (CLUSTER FAILOVER) under the same load, which must cost nothing.
/// Its own cluster: the shared one's tests never see a node down.
/// </summary>
[Collection(ClusterFaultCollection.Name)]
public sealed class ClusterFailoverTests(ClusterFaultApp app, ITestOutputHelper output)
{
    private const double MessagesPerSecondPerClient = 8;

    /// <summary>
    /// A fresh room, its slot, the cluster's nodes now, and the master that owns the room; with
    /// <paramref name="besideKey"/>, a room on the same master as that key.
    /// </summary>
    private async Task<(string Room, RedisCli Cli, int Slot, List<ClusterNode> Nodes, ClusterNode Master)> NewRoomAsync(
        string prefix, CancellationToken ct, string? besideKey = null)
    {
        var cli = await RedisCli.ForAsync(app, ct);
        var nodes = ClusterNode.Parse(await cli.RunAsync(ct, "CLUSTER", "NODES"));
        async Task<ClusterNode> MasterOfAsync(string key)
        {
            var keySlot = int.Parse(await cli.RunAsync(ct, "CLUSTER", "KEYSLOT", key), CultureInfo.InvariantCulture);
            return nodes.Single(n => n.IsMaster && n.Owns(keySlot));
        }
        var wanted = besideKey is null ? null : await MasterOfAsync(besideKey);
        while (true)
        {
            var room = $"{prefix}-{Guid.NewGuid():N}"[..24];
            var slot = int.Parse(await cli.RunAsync(ct, "CLUSTER", "KEYSLOT", $"letschat:{{{room}}}:log"), CultureInfo.InvariantCulture);
            var master = nodes.Single(n => n.IsMaster && n.Owns(slot));
            if (wanted is null || master == wanted)
            {
                return (room, cli, slot, nodes, master);
            }
        }
    }

    [Fact]
    public Task KillingARoomsMasterUnderLoadFailsOverWithinSecondsAndLosesNoAcknowledgedMessage() => app.WithRoomLogsAsync(KillAsync);

    [Fact]
    public Task AManualFailoverUnderLoadLosesAndDoublesNothing() => app.WithRoomLogsAsync(HandOverAsync);

    private async Task KillAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var ct = cts.Token;
        var (room, cli, slot, nodes, master) = await NewRoomAsync("failover", ct);
        var survivor = nodes.First(n => n.IsMaster && n != master);
        var masterResource = ClusterFaultApp.ClusterNodeResource(nodes, master);
        using var rooms = app.App.CreateHttpClient("rooms");

        var clients = await ResumingClient.StartOnBothReplicasAsync(app, room, perReplica: 2, ct);
        try
        {
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var load = clients.Select(c => Load.SendSteadilyAsync(c, MessagesPerSecondPerClient, sending.Token)).ToArray();
            await Load.AckedMoreAsync(clients, 10, ct);
            Assert.Equal(HttpStatusCode.OK, (await rooms.GetAsync("/health", ct)).StatusCode);

            var killed = Stopwatch.StartNew();
            await app.KillAsync(masterResource, ct);
            // Delivery has resumed once every client has had 5 more sends acked (and so published).
            async Task<TimeSpan> ResumedAsync()
            {
                await Load.AckedMoreAsync(clients, 5, ct);
                return killed.Elapsed;
            }
            var resuming = ResumedAsync();
            // What the clients saw meanwhile, every half second: acks, refusals, sends pending.
            var timeline = new System.Text.StringBuilder();
            var watching = Task.Run(async () =>
            {
                while (!resuming.IsCompleted)
                {
                    timeline.Append(CultureInfo.InvariantCulture, $"{killed.Elapsed.TotalSeconds:F1} s: {clients.Sum(c => c.AckedTexts.Count)} acked, {clients.Sum(c => c.Refusals)} refused, {clients.Sum(c => c.PendingCount)} pending; ");
                    await Task.Delay(500, CancellationToken.None); // a sampling period, not a wait
                }
            }, CancellationToken.None);

            var promoted = await Eventually.ValueAsync(async () =>
            {
                var now = ClusterNode.Parse(await cli.On(survivor.Port).RunAsync(ct, "CLUSTER", "NODES"));
                return now.FirstOrDefault(n => n.IsMaster && n.Owns(slot) && n.Port != master.Port);
            }, ct, () => $"a replica of {master.Port} to take slot {slot} over");
            var failover = killed.Elapsed;
            // The room service says so while a node of the cluster is down.
            await Eventually.ValueAsync(async () => (await rooms.GetAsync("/health", ct)).StatusCode == HttpStatusCode.ServiceUnavailable ? "" : null, ct,
                () => "/health to answer 503 with a node down");
            var resumed = await resuming;
            await watching;
            output.WriteLine(timeline.ToString());

            // The killed node comes back as a replica of the promoted one; health recovers.
            await app.StartAsync(masterResource, ct);
            await Eventually.ValueAsync(async () => (await rooms.GetAsync("/health", ct)).StatusCode == HttpStatusCode.OK ? "" : null, ct,
                () => "/health to answer 200 once the killed node is back");
            await sending.CancelAsync();
            await Task.WhenAll(load);
            await Load.SettleAsync(clients, ct);

            var counts = DeliveryCounts.Of(clients);
            var history = await History.AllAsync(app, room, ct);
            output.WriteLine($"master {master.Port} killed; {promoted.Port} took slot {slot} over after {failover.TotalSeconds:F1} s; " +
                $"delivery resumed {resumed.TotalSeconds:F1} s after the kill; {counts}; refused and resent: {clients.Sum(c => c.RefusedTexts.Count)}; {string.Join("; ", clients)}");
            history.AssertEveryAckKeptOnce(clients, counts, "the failover");
            Assert.True(resumed < TimeSpan.FromSeconds(10), $"delivery resumed {resumed.TotalSeconds:F1} s after the kill");
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    private async Task HandOverAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        // The room's master also holds the room directory (letschat:rooms), which every join
        // writes: a handover of that master must not refuse joins (a full run once gave 503s).
        var (room, cli, slot, nodes, master) = await NewRoomAsync("handover", ct, besideKey: "letschat:rooms");
        var replica = nodes.First(n => n.MasterId == master.Id);

        var clients = await ResumingClient.StartOnBothReplicasAsync(app, room, perReplica: 2, ct);
        try
        {
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var load = clients.Select(c => Load.SendSteadilyAsync(c, MessagesPerSecondPerClient, sending.Token)).ToArray();
            await Load.AckedMoreAsync(clients, 10, ct);

            // The replica asks its master to hand over: the master stops taking writes, the replica
            // catches up, then takes the slots. Nothing acknowledged can be behind it.
            var handover = Stopwatch.StartNew();
            Assert.Equal("OK", await cli.On(replica.Port).RunAsync(ct, "CLUSTER", "FAILOVER"));
            await Eventually.ValueAsync(async () =>
                ClusterNode.Parse(await cli.On(replica.Port).RunAsync(ct, "CLUSTER", "NODES")).SingleOrDefault(n => n.Port == replica.Port && n.IsMaster && n.Owns(slot)),
                ct, () => $"{replica.Port} to take slot {slot} over from {master.Port}");
            var tookOver = handover.Elapsed;
            // Someone joining now, on each replica, finds the room where it went.
            // As the page does, a join refused with 503 is tried again (a full run once saw one here).
            await using var newcomer = await Eventually.ValueAsync(async () =>
            {
                try
                {
                    return await V1Client.ConnectAsync(app, room, ct);
                }
                catch (System.Net.WebSockets.WebSocketException e) when (e.Message.Contains("503", StringComparison.Ordinal))
                {
                    output.WriteLine($"{handover.Elapsed.TotalSeconds:F1} s after the handover began, a join was refused: {e.Message}");
                    return null;
                }
            }, ct, () => "a newcomer to join after the handover");
            await using var another = await V1Client.ConnectElsewhereAsync(app, room, newcomer.Replica, ct);
            await Load.AckedMoreAsync(clients, 10, ct);
            await sending.CancelAsync();
            await Task.WhenAll(load);
            await Load.SettleAsync(clients, ct);

            var counts = DeliveryCounts.Of(clients);
            var history = await History.AllAsync(app, room, ct);
            output.WriteLine($"{replica.Port} took slot {slot} over from {master.Port} in {tookOver.TotalSeconds:F1} s; {counts}; {string.Join("; ", clients)}");
            history.AssertEveryAckKeptOnce(clients, counts, "the handover");
            Assert.All(clients, c => Assert.Equal(0, c.Resets)); // a clean handover: the log never went back
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }
}
