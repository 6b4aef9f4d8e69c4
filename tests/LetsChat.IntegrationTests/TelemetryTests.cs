using System.Net;
using System.Net.WebSockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LetsChat.IntegrationTests;

/// <summary>What an SRE sees: one message as one trace across replicas, counters that add up, honest health.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(TelemetryApp app)
{
    private OtlpReceiver Receiver => app.Receiver;

    [Fact]
    public async Task LogsHoldNeitherMessageTextNorNamesNorTheRedisPassword()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var marker = $"secret-{Guid.NewGuid():N}";
        var room = $"logs-{Guid.NewGuid():N}";
        var name = $"N{Guid.NewGuid():N}"[..20];
        await using var ana = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, name, cts.Token));
        await using var seed = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        await ana.SendAndAckAsync($"v1 {marker}", "c1", cts.Token);
        await seed.SendAsync($"seed {marker}", cts.Token);
        // Paths that log: a refused frame, and a socket closed for a bad frame that carries the marker.
        await ana.SendFrameAsync(new { type = "send", id = "c2", text = marker + new string('x', 5000) }, cts.Token);
        await seed.SendRawAsync(System.Text.Encoding.UTF8.GetBytes($"{{\"message\": {marker}}}"), System.Net.WebSockets.WebSocketMessageType.Text, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(2), cts.Token); // console output reaches the orchestrator

        var password = (await app.App.GetConnectionStringAsync("redis", cts.Token))!.Split(',')
            .Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        var lines = app.ResourceLogs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("Socket opened")); // the capture works: the room service's lines are here
        Assert.DoesNotContain(lines, l => l.Contains(marker));
        Assert.DoesNotContain(lines, l => l.Contains(name));
        Assert.DoesNotContain(lines, l => l.Contains(password));
    }

    [Fact]
    public async Task OneMessageAcrossTwoReplicasIsOneTraceWithAConsumerSpanPerReplica()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"trace-{Guid.NewGuid():N}";
        await using var ana = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var ben = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, cts.Token);

        var seq = await ana.SendAndAckAsync("traced", "c-traced", cts.Token);
        await ben.ReceiveTypeAsync("message", cts.Token);
        var messageId = $"{ana.Epoch}:{seq}";

        var publish = await EventuallyAsync(() => Receiver.Spans.SingleOrDefault(s => s.Name == $"publish {room}"), cts.Token);
        var processes = await EventuallyAsync(() =>
        {
            var spans = Receiver.Spans.Where(s => s.Name == $"process {room}").ToList();
            return spans.Count >= 2 ? spans : null;
        }, cts.Token);
        var receive = Receiver.Spans.Single(s => s.Name == $"receive {room}" && s.SpanId == publish.ParentSpanId);

        Assert.Equal(ReceivedSpan.Producer, publish.Kind);
        Assert.Equal("rooms", publish.Service);
        Assert.Equal("redis", publish.Attributes["messaging.system"]);
        Assert.Equal($"letschat:{{{room}}}:live", publish.Attributes["messaging.destination.name"]);
        Assert.Equal(messageId, publish.Attributes["messaging.message.id"]);
        Assert.Equal("6", publish.Attributes["messaging.message.body.size"]);

        Assert.Equal(ReceivedSpan.Consumer, receive.Kind);
        Assert.Equal(receive.TraceId, publish.TraceId);
        Assert.Single(receive.Links); // to the socket's upgrade request, which is a trace of its own
        Assert.NotEqual(receive.TraceId, receive.Links[0].TraceId);

        Assert.Equal(2, processes.Count);
        Assert.All(processes, process =>
        {
            Assert.Equal(ReceivedSpan.Consumer, process.Kind);
            Assert.Equal(publish.TraceId, process.TraceId);
            Assert.Equal(publish.SpanId, process.ParentSpanId);
            Assert.Equal("redis", process.Attributes["messaging.system"]);
            Assert.Equal(messageId, process.Attributes["messaging.message.id"]);
            Assert.Equal("1", process.Attributes["letschat.recipients"]);
        });
        Assert.Equal(2, processes.Select(p => p.Instance).Distinct().Count());
    }

    [Fact]
    public async Task CountersMoveByTheExpectedAmounts()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"count-{Guid.NewGuid():N}";
        await Task.Delay(1500, cts.Token); // one export interval: the baseline below is current
        double Published() => Receiver.Latest("rooms", "letschat.messages.published");
        double Received() => Receiver.Latest("rooms", "letschat.messages.received");
        double Delivered() => Receiver.Latest("rooms", "letschat.messages.delivered");
        double DeliveryCount() => Receiver.Latest("rooms", "letschat.delivery.duration");
        double Binary() => Receiver.Latest("rooms", "letschat.frames.rejected", a => a.GetValueOrDefault("reason") == "binary");
        double Upgrades() => Receiver.Latest("gateway", "letschat.gateway.websockets.opened");
        var before = (Published(), Received(), Delivered(), DeliveryCount(), Binary(), Upgrades());

        await using var a = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var b = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var c = await V1Client.ConnectAsync(app, room, cts.Token);
        for (var i = 0; i < 5; i++)
        {
            await a.SendAndAckAsync($"m{i}", $"c{i}", cts.Token);
        }
        await a.SendAndAckAsync("m0", "c0", cts.Token); // a duplicate: received, not published again
        foreach (var client in new[] { a, b, c })
        {
            await client.ReceiveMessagesAsync(5, cts.Token);
        }
        await using (var offender = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token))
        {
            await offender.SendRawAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, cts.Token);
            await offender.ReceiveCloseAsync(cts.Token);
        }

        // 6 sends (one a duplicate) -> 6 received, 5 published; 5 messages x 3 members -> 15 delivered.
        await EventuallyAsync(() =>
            (Published(), Received(), Delivered(), DeliveryCount(), Binary(), Upgrades()) ==
            (before.Item1 + 5, before.Item2 + 6, before.Item3 + 15, before.Item4 + 15, before.Item5 + 1, before.Item6 + 4)
                ? "ok" : null, cts.Token,
            () => $"published {Published() - before.Item1}, received {Received() - before.Item2}, delivered {Delivered() - before.Item3}, " +
                  $"latency samples {DeliveryCount() - before.Item4}, binary {Binary() - before.Item5}, upgrades {Upgrades() - before.Item6}");
    }

    [Fact]
    public async Task HealthIsUnhealthyWhileRedisIsStoppedAndHealthyWhenItIsBack()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var rooms = app.App.CreateHttpClient("rooms");
        var commands = app.App.Services.GetRequiredService<ResourceCommandService>();
        Assert.Equal(HttpStatusCode.OK, (await rooms.GetAsync("/health", cts.Token)).StatusCode);

        Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StopCommand, cts.Token)).Success);
        try
        {
            await EventuallyAsync(async () => (await rooms.GetAsync("/health", cts.Token)).StatusCode == HttpStatusCode.ServiceUnavailable ? "down" : null, cts.Token);
            Assert.Equal(HttpStatusCode.OK, (await rooms.GetAsync("/alive", cts.Token)).StatusCode);
        }
        finally
        {
            Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StartCommand, cts.Token)).Success);
        }

        await EventuallyAsync(async () => (await rooms.GetAsync("/health", cts.Token)).StatusCode == HttpStatusCode.OK ? "up" : null, cts.Token);
        // And chat works again (Redis came back empty: a new room log, a new epoch).
        await using var client = await V1Client.ConnectAsync(app, $"after-{Guid.NewGuid():N}", cts.Token);
        Assert.True(await client.SendAndAckAsync("back", "c1", cts.Token) >= 1);
    }

    private static Task<T> EventuallyAsync<T>(Func<T?> probe, CancellationToken ct, Func<string>? describe = null) where T : class =>
        EventuallyAsync(() => Task.FromResult(probe()), ct, describe);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, CancellationToken ct, Func<string>? describe = null) where T : class
    {
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // the service is between states; ask again
            }
            if (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Condition not met in time. {describe?.Invoke()}");
            }
            await Task.Delay(250, CancellationToken.None);
        }
    }
}
