using System.Net;
using System.Net.WebSockets;
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
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await seed.ReceiveCloseAsync(cts.Token));
        // The service logs that close last: once its line reached the orchestrator, so did the earlier ones.
        await Eventually.TrueAsync(() => app.ResourceLogs.LinesOf("rooms").Any(l => l.Contains("Socket closed") && l.Contains("with 1007")), cts.Token,
            () => $"the room service's log of the close; it wrote {app.ResourceLogs.LinesOf("rooms").Count()} lines");

        var password = (await app.App.GetConnectionStringAsync("redis", cts.Token))!.Split(',')
            .Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        var lines = app.ResourceLogs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("Socket opened")); // the capture works: the room service's lines are here
        // Behind Kestrel's socket transport, deliveries go to the socket itself, not through its pipe (issue 23).
        Assert.All(lines.Where(l => l.Contains("Socket opened")), l => Assert.Contains("writes to the socket", l));
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

        var publish = await Eventually.ValueAsync(() => Receiver.Spans.SingleOrDefault(s => s.Name == $"publish {room}"), cts.Token,
            () => $"the publish span; spans of this room: {SpansOf(room)}");
        var processes = await Eventually.ValueAsync(() =>
        {
            var spans = Receiver.Spans.Where(s => s.Name == $"process {room}").ToList();
            return spans.Count >= 2 ? spans : null;
        }, cts.Token, () => $"a process span from each replica; spans of this room: {SpansOf(room)}");
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
    public async Task BackgroundWorkMakesNoRootSpanWhileEachSentMessageIsOneTraceAcrossBothReplicas()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var room = $"idle-{Guid.NewGuid():N}";
        await using var ana = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ana", cts.Token));
        await using var ben = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, cts.Token, cookie: await Sessions.CreateAsync(app, "Ben", cts.Token));
        await ana.ReceivePresenceAsync("join", "Ben", cts.Token);
        var cli = await RedisCli.ForAsync(app, cts.Token);

        // Ten idle seconds with members on both replicas: feed checks (every 2 s) and presence
        // heartbeats (every 10 s) run against Redis the whole time. The window is an observation, not a wait.
        var scriptsBefore = await ScriptCallsAsync(cli, cts.Token);
        var window = (Start: DateTimeOffset.UtcNow, End: DateTimeOffset.UtcNow.AddSeconds(10));
        await Task.Delay(window.End - window.Start, cts.Token);
        var backgroundScripts = await ScriptCallsAsync(cli, cts.Token) - scriptsBefore;

        // A message from each replica. The Redis instrumentation turns commands into spans on a
        // timer (every 10 s); once each message's Redis span is here, so is anything made before it.
        await ana.SendAndAckAsync("from ana", "a1", cts.Token);
        await ben.SendAndAckAsync("from ben", "b1", cts.Token);
        var traces = await Eventually.ValueAsync(() =>
        {
            var receives = Receiver.Spans.Where(s => s.Name == $"receive {room}" && s.Start > window.End).ToList();
            return receives.Count == 2 && receives.All(r => Receiver.Spans.Any(s => s.TraceId == r.TraceId && s.Attributes.GetValueOrDefault("db.system") == "redis"))
                ? receives : null;
        }, cts.Token, () => $"both messages' traces with their Redis spans; spans of this room: {SpansOf(room)}");

        var rootsInWindow = Receiver.Spans.Where(s => s.IsRoot && s.Start >= window.Start && s.Start < window.End).ToList();
        Assert.True(backgroundScripts >= 4, $"only {backgroundScripts} scripts ran in Redis during the idle window: the background work this test is about did not run");
        Assert.True(rootsInWindow.Count == 0,
            $"{rootsInWindow.Count} root spans while the room was idle: {string.Join(", ", rootsInWindow.Select(s => $"{s.Service}/{s.Instance}: {s.Name}"))}");
        foreach (var receive in traces)
        {
            var trace = Receiver.Spans.Where(s => s.TraceId == receive.TraceId).ToList();
            Assert.Single(trace, s => s.IsRoot);
            Assert.Equal(2, trace.Where(s => s.Name == $"process {room}").Select(s => s.Instance).Distinct().Count());
        }
    }

    private static async Task<long> ScriptCallsAsync(RedisCli cli, CancellationToken ct) =>
        (await cli.RunAsync(ct, "INFO", "commandstats")).Split('\n')
            .Where(l => l.StartsWith("cmdstat_eval", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task CountersMoveByTheExpectedAmounts()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"count-{Guid.NewGuid():N}";
        await AfterTheNextExportsAsync(cts.Token); // the baseline below is current
        double Published() => Receiver.Latest("rooms", "letschat.messages.published");
        double Received() => Receiver.Latest("rooms", "letschat.messages.received");
        double Delivered() => Receiver.Latest("rooms", "letschat.messages.delivered");
        double DeliveryCount() => Receiver.Latest("rooms", "letschat.delivery.duration");
        double Binary() => Receiver.Latest("rooms", "letschat.frames.rejected", a => a.GetValueOrDefault("reason") == "binary");
        double Upgrades() => Receiver.Latest("gateway", "letschat.gateway.websockets.opened");
        double Foreign() => Receiver.Latest("rooms", "letschat.upgrades.refused", a => a.GetValueOrDefault("reason") == "origin");
        var before = (Published(), Received(), Delivered(), DeliveryCount(), Binary(), Upgrades());
        var foreignBefore = Foreign();

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
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => TestSocket.ConnectAsync(app.WebSocketUri(room), cts.Token, origin: "https://evil.example"));
        Assert.Contains("403", refused.Message);

        // 6 sends (one a duplicate) -> 6 received, 5 published; 5 messages x 3 members -> 15 delivered.
        // 5 upgrade requests through the gateway (it counts the refused one too); 1 refused by the room service.
        await Eventually.TrueAsync(() =>
            (Published(), Received(), Delivered(), DeliveryCount(), Binary(), Upgrades()) ==
            (before.Item1 + 5, before.Item2 + 6, before.Item3 + 15, before.Item4 + 15, before.Item5 + 1, before.Item6 + 5)
            && Foreign() == foreignBefore + 1, cts.Token,
            () => $"published {Published() - before.Item1}, received {Received() - before.Item2}, delivered {Delivered() - before.Item3}, " +
                  $"latency samples {DeliveryCount() - before.Item4}, binary {Binary() - before.Item5}, upgrades {Upgrades() - before.Item6}, refused for their origin {Foreign() - foreignBefore}");
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
            await Eventually.ValueAsync(async () => (await rooms.GetAsync("/health", cts.Token)).StatusCode == HttpStatusCode.ServiceUnavailable ? "down" : null, cts.Token,
                () => "/health to answer 503 while Redis is stopped");
            Assert.Equal(HttpStatusCode.OK, (await rooms.GetAsync("/alive", cts.Token)).StatusCode);
            // An API call meanwhile is told to retry (503, Retry-After, problem details), not handed a bare 500.
            var history = await rooms.GetAsync("/api/rooms/lobby/messages", cts.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, history.StatusCode);
            Assert.Equal("application/problem+json", history.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(history.Headers.RetryAfter);
            Assert.Contains("\"code\":\"unavailable\"", await history.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        }
        finally
        {
            Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StartCommand, cts.Token)).Success);
        }

        await Eventually.ValueAsync(async () => (await rooms.GetAsync("/health", cts.Token)).StatusCode == HttpStatusCode.OK ? "up" : null, cts.Token,
            () => "/health to answer 200 once Redis is back");
        // And chat works again (Redis came back empty: a new room log, a new epoch).
        await using var client = await V1Client.ConnectAsync(app, $"after-{Guid.NewGuid():N}", cts.Token);
        Assert.True(await client.SendAndAckAsync("back", "c1", cts.Token) >= 1);
    }

    private string SpansOf(string room) =>
        string.Join(", ", Receiver.Spans.Where(s => s.Name.EndsWith(room, StringComparison.Ordinal)).Select(s => $"{s.Name} ({s.Service} {s.Instance})"));

    /// <summary>Until every service instance exporting metrics has exported again since now.</summary>
    private async Task AfterTheNextExportsAsync(CancellationToken ct)
    {
        var now = Receiver.MetricExports;
        await Eventually.TrueAsync(() => Receiver.MetricExports is var later && later.Count >= 3 && later.All(e => e.Value > now.GetValueOrDefault(e.Key)), ct,
            () => $"an export from each of the 2 replicas and the gateway; exports before: {string.Join(", ", now)}, now: {string.Join(", ", Receiver.MetricExports)}");
    }
}
