using System.Globalization;
using Xunit.Abstractions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// LetsChat on a Redis Cluster of three masters and three replicas, started by the AppHost:
/// rooms spread over the masters, and each room's messages travel through its own shard only
/// (sharded pub/sub), never broadcast to every node; an ack waits for the room's replica (WAIT).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterApp app, ITestOutputHelper output)
{
    [Fact]
    public async Task RoomsLandOnEveryMasterAndTheirMessagesGoOnlyThroughTheirOwnShard()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        var cli = await RedisCli.ForAsync(app, ct);
        var masters = ClusterNode.Parse(await cli.RunAsync(ct, "CLUSTER", "NODES")).Where(n => n.IsMaster).ToList();
        Assert.Equal(3, masters.Count);

        // Rooms until every master owns at least one; a room's channel is in its keys' slot.
        var rooms = new List<(string Room, ClusterNode Master)>();
        for (var i = 0; masters.Any(m => rooms.All(r => r.Master != m)); i++)
        {
            Assert.True(i < 100, $"100 rooms and still a master without one: {string.Join(", ", rooms.Select(r => $"{r.Room} on {r.Master.Port}"))}");
            var room = $"shard-{Guid.NewGuid():N}"[..20];
            var slot = int.Parse(await cli.RunAsync(ct, "CLUSTER", "KEYSLOT", $"letschat:{{{room}}}:log"), CultureInfo.InvariantCulture);
            Assert.Equal(slot.ToString(CultureInfo.InvariantCulture), await cli.RunAsync(ct, "CLUSTER", "KEYSLOT", $"letschat:{{{room}}}:live"));
            rooms.Add((room, masters.Single(m => m.Owns(slot))));
        }
        var nodes = ClusterNode.Parse(await cli.RunAsync(ct, "CLUSTER", "NODES"));
        var before = await CallsAsync(nodes, ct);

        foreach (var (room, _) in rooms)
        {
            await using var ana = await V1Client.ConnectAsync(app, room, ct);
            await using var ben = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct);
            var seq = await ana.SendAndAckAsync($"hello {room}", "c1", ct);
            var seen = await ben.ReceiveTypeAsync("message", ct);
            Assert.Equal((seq, $"hello {room}"), (seen.Seq(), seen.Text()));
        }

        var after = await CallsAsync(nodes, ct);
        output.WriteLine(string.Join("; ", nodes.Select(n => $"{n.Port} {(n.IsMaster ? "master" : "replica")}: spublish {before[n.Port].Spublish}->{after[n.Port].Spublish}, publish {before[n.Port].Publish}->{after[n.Port].Publish}")));
        foreach (var master in masters)
        {
            var owned = rooms.Count(r => r.Master == master);
            // Each room's message and its members' joins, published by the scripts on the room's master.
            Assert.True(after[master.Port].Spublish - before[master.Port].Spublish >= owned,
                $"master {master.Port} owns {owned} of the rooms but ran {after[master.Port].Spublish - before[master.Port].Spublish} SPUBLISH");
            // An ack on a cluster waits for a replica to have the message: one WAIT per send.
            Assert.True(after[master.Port].Wait - before[master.Port].Wait >= owned,
                $"master {master.Port} acked {owned} sends but ran {after[master.Port].Wait - before[master.Port].Wait} WAIT");
        }
        Assert.All(nodes, n => Assert.True(after[n.Port].Publish == before[n.Port].Publish, $"node {n.Port} ran classic PUBLISH, which a cluster sends to every node"));
    }

    /// <summary>
    /// What a failover can do to a room: the replica that took over had not received the last
    /// messages (unacked ones can be lost, or the WAIT timed out). Made exact here by cutting the
    /// log's tail on its master. No one sends afterwards, so only the feed check (read.lua through
    /// RedisRoomHistory.HeadAsync) can find it: its rewind record must reach both replicas' members
    /// through the room's shard (SPUBLISH), or nobody learns that the seqs they saw are gone.
    /// </summary>
    [Fact]
    public async Task ALogThatLostItsTailIsFoundByTheFeedCheckAndEveryReplicasMembersGetAReset()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = $"rewind-{Guid.NewGuid():N}"[..20];
        await using var ana = await V1Client.ConnectAsync(app, room, ct);
        await using var ben = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct);
        for (var i = 1; i <= 3; i++)
        {
            await ana.SendAndAckAsync($"m{i}", $"c{i}", ct);
            Assert.Equal($"m{i}", (await ben.ReceiveTypeAsync("message", ct)).Text());
        }
        var cli = await RedisCli.ForAsync(app, ct);
        var nodes = ClusterNode.Parse(await cli.RunAsync(ct, "CLUSTER", "NODES"));
        var before = await CallsAsync(nodes, ct);

        Assert.Equal("2", await cli.RunAsync(ct, "ZREMRANGEBYSCORE", $"letschat:{{{room}}}:log", "2", "+inf"));
        Assert.Equal("OK", await cli.RunAsync(ct, "SET", $"letschat:{{{room}}}:seq", "1", "KEEPTTL"));

        var resets = new List<System.Text.Json.JsonElement>();
        foreach (var member in new[] { ana, ben })
        {
            var reset = await member.ReceiveTypeAsync("reset", ct);
            Assert.NotEqual(ana.Epoch, reset.Epoch());
            Assert.Equal(["m1"], reset.Messages().Select(m => m.Text()));
            resets.Add(reset);
        }
        Assert.Equal(resets[0].Epoch(), resets[1].Epoch());
        var after = await CallsAsync(nodes, ct);
        Assert.All(nodes, n => Assert.True(after[n.Port].Publish == before[n.Port].Publish, $"node {n.Port} ran classic PUBLISH for the rewind"));

        // The room goes on under the new epoch, after what it kept.
        var seq = await ben.SendAndAckAsync("after", "c4", ct);
        var seen = await ana.ReceiveTypeAsync("message", ct);
        output.WriteLine($"rewound from {ana.Epoch}:3 to {resets[0].Epoch()}:1; next send acked at {seq}");
        Assert.Equal(("after", seq, resets[0].Epoch()), (seen.Text(), seen.Seq(), seen.Epoch()));
        Assert.Equal(2, seq);
    }

    private async Task<Dictionary<int, (long Spublish, long Publish, long Wait)>> CallsAsync(IReadOnlyList<ClusterNode> nodes, CancellationToken ct)
    {
        var cli = await RedisCli.ForAsync(app, ct);
        var calls = new Dictionary<int, (long, long, long)>();
        foreach (var node in nodes)
        {
            var stats = await cli.On(node.Port).RunAsync(ct, "INFO", "commandstats");
            calls[node.Port] = (Calls(stats, "spublish"), Calls(stats, "publish"), Calls(stats, "wait"));
        }
        return calls;
    }

    private static long Calls(string commandstats, string command) =>
        commandstats.Split('\n').FirstOrDefault(l => l.StartsWith($"cmdstat_{command}:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture)
            : 0;
}

/// <summary>One line of CLUSTER NODES: "id ip:port@bus flags master ping pong epoch state slots…".</summary>
public sealed record ClusterNode(string Id, int Port, bool IsMaster, bool Failed, string MasterId, IReadOnlyList<(int From, int To)> Slots)
{
    public bool Owns(int slot) => Slots.Any(r => slot >= r.From && slot <= r.To);

    public static List<ClusterNode> Parse(string clusterNodes) =>
    [
        .. clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var fields = line.Trim().Split(' ');
            var port = int.Parse(fields[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);
            var slots = fields.Skip(8).Where(f => !f.StartsWith('[')).Select(f => f.Split('-')).Select(r =>
                (int.Parse(r[0], CultureInfo.InvariantCulture), int.Parse(r[^1], CultureInfo.InvariantCulture))).ToList();
            return new ClusterNode(fields[0], port, fields[2].Contains("master", StringComparison.Ordinal), fields[2].Contains("fail", StringComparison.Ordinal), fields[3], slots);
        }).OrderBy(n => n.Port),
    ];
}
