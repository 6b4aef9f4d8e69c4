using LetsChat.LoadTest;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The load tool, run briefly against the real app through the gateway, so that it cannot rot:
/// every socket connects, every message reaches every member of its room exactly once, in order.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class LoadToolTests(ServerRedisApp app)
{
    [Theory]
    [InlineData(ChatProtocol.Seed)]
    [InlineData(ChatProtocol.V1)]
    public async Task ABriefLoadThroughTheGatewayLosesNothing(ChatProtocol protocol)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var settings = new LoadSettings
        {
            Targets = [app.Gateway],
            Rooms = 3,
            Clients = 4,
            Senders = 2,
            Rate = 5,
            Duration = TimeSpan.FromSeconds(3),
            Drain = TimeSpan.FromSeconds(10),
            Protocol = protocol,
            RoomPrefix = "loadtool",
        };

        var result = await LoadStep.RunAsync(settings, progress: null, cts.Token);

        Assert.Equal(12, result.ConnectionsEstablished);
        Assert.Equal(0, result.ConnectionsFailed);
        Assert.Equal(0, result.ConnectionsClosedEarly);
        // 3 rooms × 2 senders × 5/s × 3 s = 90 sends at most (plus the pacing at the edges). Fewer
        // when the machine is busy: the pacing is a ceiling, not a promise, so only the ceiling is checked.
        Assert.InRange(result.Sent, 1, 96);
        // Every send reached each of its room's 4 clients (the senders included), counted by receipt.
        Assert.Equal(result.Sent * 4, result.Received);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Duplicated);
        Assert.Equal(0, result.OutOfOrder);
        Assert.Equal(0, result.Refused);
        Assert.InRange(result.P50, 1, 5_000_000);
        Assert.True(result.Clean(p99LimitMs: 5_000));
    }
}
