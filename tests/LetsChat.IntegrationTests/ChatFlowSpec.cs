using Aspire.Hosting.Testing;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The tutorial's promise, through the gateway, across both room-service replicas: everyone in a
/// room sees every message, each sender's in order; nobody in another room sees any. Run once per
/// Redis backend by the subclasses below.
/// </summary>
public abstract class ChatFlowSpec(ChatAppFixture app)
{
    private const int MessagesPerSender = 20;

    [Fact]
    public async Task TwoClientsOnDifferentReplicasReceiveEveryMessageInSenderOrder()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"flow-{app.RedisMode}-{Guid.NewGuid():N}";
        var otherRoom = room + "-other";

        await using var alice = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        await using var bob = await ChatClient.ConnectElsewhereAsync(app.WebSocketUri(room), alice.Replica, cts.Token);
        await using var carol = await ChatClient.ConnectAsync(app.WebSocketUri(otherRoom), cts.Token);
        Assert.NotEqual(Replica.Unknown, alice.Replica);
        Assert.NotEqual(alice.Replica, bob.Replica);

        var aliceReceives = alice.ReceiveMessagesAsync(2 * MessagesPerSender, cts.Token);
        var bobReceives = bob.ReceiveMessagesAsync(2 * MessagesPerSender, cts.Token);
        await Task.WhenAll(SendAllAsync(alice, "alice"), SendAllAsync(bob, "bob"));

        // ReceiveMessagesAsync returns exactly 40; each sender's 20 among them, once each and in order:
        var (seenByAlice, seenByBob) = (await aliceReceives, await bobReceives);
        foreach (var received in new[] { seenByAlice, seenByBob })
        {
            Assert.Equal(Expected("alice"), received.Where(m => m.StartsWith("alice-", StringComparison.Ordinal)));
            Assert.Equal(Expected("bob"), received.Where(m => m.StartsWith("bob-", StringComparison.Ordinal)));
        }
        // and one order for the room: both replicas deliver the log's order, however the sends raced.
        Assert.Equal(seenByAlice, seenByBob);

        // Carol's room is another room: the first thing she receives is her own room's message.
        await carol.SendAsync("carol-only", cts.Token);
        Assert.Equal("carol-only", await carol.ReceiveMessageAsync(cts.Token));

        async Task SendAllAsync(ChatClient client, string name)
        {
            foreach (var message in Expected(name))
            {
                await client.SendAsync(message, cts.Token);
            }
        }
    }

    [Fact]
    public async Task RedisListensOnLoopbackAndRefusesClientsWithoutThePassword()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var redis = app.App.GetEndpoint(app.RedisNode, "tcp");
        Assert.Contains(redis.Host, (string[])["localhost", "127.0.0.1"]);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(redis.Host, redis.Port, cts.Token);
        var stream = tcp.GetStream();

        await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
        var buffer = new byte[128];
        var reply = System.Text.Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, cts.Token));

        Assert.StartsWith("-NOAUTH", reply);
    }

    private static IEnumerable<string> Expected(string sender) =>
        Enumerable.Range(0, MessagesPerSender).Select(i => $"{sender}-{i:D2}");
}

[Collection(ServerRedisCollection.Name)]
public sealed class ChatFlowOnRedisServerTests(ServerRedisApp app) : ChatFlowSpec(app);

[Collection(GarnetRedisCollection.Name)]
public sealed class ChatFlowOnGarnetTests(GarnetRedisApp app) : ChatFlowSpec(app);

[Collection(ClusterCollection.Name)]
public sealed class ChatFlowOnClusterTests(ClusterApp app) : ChatFlowSpec(app);
