using System.Net;
using System.Net.WebSockets;

namespace LetsChat.IntegrationTests;

/// <summary>Hostile clients: foreign pages, floods, too many sockets. Honest clients never notice.</summary>
[Collection(LimitsCollection.Name)]
public sealed class SecurityTests(LimitsApp app)
{
    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://localhost:1")]
    public async Task AnUpgradeFromAForeignOriginIsRefusedWith403(string origin)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => TestSocket.ConnectAsync(app.WebSocketUri("lobby"), cts.Token, origin: origin));

        Assert.Contains("403", refused.Message);
    }

    [Fact]
    public async Task AnUpgradeFromTheSitesOwnOriginIsAccepted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var socket = await TestSocket.ConnectAsync(app.WebSocketUri("lobby"), cts.Token, origin: $"http://{app.Gateway.Authority}");

        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task AFlooderIsThrottledWithAnErrorThenClosedWith1008AndOthersAreUnaffected()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = $"flood-{Guid.NewGuid():N}";
        await using var honest = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var listener = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var flooder = await V1Client.ConnectAsync(app, room, cts.Token);

        // Past the default burst of 30: refused frames earn one error frame, and the socket stays open...
        for (var i = 0; i < 40; i++)
        {
            await flooder.SendAsync($"spam {i}", $"s{i}", cts.Token);
        }
        var error = await flooder.ReceiveTypeAsync("error", cts.Token);
        Assert.Equal("rate_limited", error.GetProperty("code").GetString());
        Assert.Equal(WebSocketState.Open, flooder.State);

        // ...until it keeps on: then it is closed with 1008.
        var moreErrors = 0;
        var flooding = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 40; i < 400 && flooder.State == WebSocketState.Open; i++)
            {
                await flooder.SendAsync($"spam {i}", $"s{i}", cts.Token);
            }
            while (true)
            {
                moreErrors += (await flooder.ReceiveAsync(cts.Token)).Type() == "error" ? 1 : 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or InvalidOperationException)
        {
            // closed under us: that is the point
        }
        // Told, in words, why the socket went: the close frame says what the error frames said.
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, flooder.CloseStatus);
        Assert.Contains("Too many frames", flooder.CloseStatusDescription);
        // Told once per burst, never once per refused frame (the close needs FloodCloseAfter = 50
        // refusals in a row, so per-frame errors would be 50 or more). Each refill of the bucket
        // (once a second, on a timer not aligned with this test; one may also fall in the first
        // 40 frames) lets a few frames through and starts a new burst, with its own error frame.
        var refills = (int)Math.Ceiling(flooding.Elapsed.TotalSeconds);
        Assert.True(moreErrors <= refills + 2, $"{moreErrors} more error frames in {flooding.Elapsed.TotalSeconds:F1} s of flooding: more than one per burst");

        // The room saw the burst the limit allowed, and the honest client's message after it.
        await honest.SendAndAckAsync("still here", "h1", cts.Token);
        var seen = new List<string>();
        while (seen.LastOrDefault() != "still here")
        {
            seen.Add((await listener.ReceiveTypeAsync("message", cts.Token)).Text());
        }
        Assert.InRange(seen.Count(t => t.StartsWith("spam", StringComparison.Ordinal)), 30, 45);
    }

    [Fact]
    public async Task SocketsBeyondTheNetworksCapAreRefusedWith429OnBothReplicasUntilOneCloses()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var sockets = new List<ChatClient>();
        try
        {
            WebSocketException? refused = null;
            // Both replicas behind the gateway, one cap for the two: the refusal comes after exactly cap sockets.
            for (var i = 0; i <= 2 * LimitsApp.MaxConnectionsPerIp && refused is null; i++)
            {
                try
                {
                    sockets.Add(await ChatClient.ConnectAsync(app.WebSocketUri($"cap-{i % 4}"), ct));
                }
                catch (WebSocketException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Contains("429", refused.Message);
            Assert.Equal(LimitsApp.MaxConnectionsPerIp, sockets.Count);
            Assert.Equal(2, sockets.Select(s => s.Replica).Distinct().Count());
            var (status, code) = await UpgradeAsync(ct);
            Assert.Equal((HttpStatusCode.TooManyRequests, "connection_cap"), (status, code));

            // A place comes back when a socket closes (the lease is given back as the socket ends).
            await sockets[0].DisposeAsync();
            sockets.RemoveAt(0);
            sockets.Add(await Eventually.ValueAsync(async () =>
            {
                try
                {
                    return await ChatClient.ConnectAsync(app.WebSocketUri("cap-after"), ct);
                }
                catch (WebSocketException)
                {
                    return null;
                }
            }, ct, () => "a socket to be let in after one closed"));
            Assert.Equal(WebSocketState.Open, sockets[^1].State);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task OneUsersSocketsAreCappedAcrossNetworksAndReplicasAndNoOneElseNotices()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var cookie = await Sessions.CreateAsync(app, "Tabby", ct);
        var tabs = new List<V1Client>();
        try
        {
            // Each tab from a network of its own: only the user's cap can refuse them.
            // The first two on different replicas (a socket that lands on the first one's again is closed,
            // and its place given back before the rest connect).
            tabs.Add(await V1Client.ConnectAsync(app, "tabs", ct, cookie, forwardedFor: "198.51.100.1"));
            tabs.Add(await V1Client.ConnectElsewhereAsync(app, "tabs", tabs[0].Replica, ct, cookie, forwardedFor: "198.51.100.2"));
            var cli = await RedisCli.ForAsync(app, ct);
            var leases = $"letschat:user:{{{tabs[0].UserId}}}:sockets";
            await Eventually.ValueAsync(async () => await cli.RunAsync(ct, "ZCARD", leases) == "2" ? "two" : null, ct, () => $"{leases} to hold the two tabs");
            for (var i = 2; i < LimitsApp.MaxConnectionsPerUser; i++)
            {
                tabs.Add(await V1Client.ConnectAsync(app, "tabs", ct, cookie, forwardedFor: $"198.51.100.{i + 1}"));
            }
            var (status, code) = await UpgradeAsync(ct, cookie, forwardedFor: "198.51.100.200");

            Assert.Equal((HttpStatusCode.TooManyRequests, "connection_cap"), (status, code));
            Assert.Equal(2, tabs.Select(t => t.Replica).Distinct().Count());
            // Someone else, and anonymous sockets, from one of those networks, are let in.
            await using var other = await V1Client.ConnectAsync(app, "tabs", ct, await Sessions.CreateAsync(app, "Ana", ct), forwardedFor: "198.51.100.1");
            await using var anonymous = await V1Client.ConnectAsync(app, "tabs", ct, forwardedFor: "198.51.100.1");
            // Closing a tab gives its place back.
            await tabs[0].DisposeAsync();
            tabs.RemoveAt(0);
            await Eventually.ValueAsync(async () => (await UpgradeStatusOnlyAsync(cookie, ct)) is var s && s != HttpStatusCode.TooManyRequests ? s.ToString() : null,
                ct, () => "the user's next socket to be let in after a tab closed");
        }
        finally
        {
            foreach (var tab in tabs)
            {
                await tab.DisposeAsync();
            }
        }
    }

    private async Task<HttpStatusCode> UpgradeStatusOnlyAsync(string cookie, CancellationToken ct) => (await UpgradeAsync(ct, cookie, "198.51.100.201")).Status;

    /// <summary>A WebSocket upgrade sent as a plain HTTP request, to read a refusal's problem details; the socket of an accepted one is dropped.</summary>
    private async Task<(HttpStatusCode Status, string? Code)> UpgradeAsync(CancellationToken ct, string? cookie = null, string? forwardedFor = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app.Gateway, "/ws/chat/cap-probe/"));
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            return (response.StatusCode, null);
        }
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return (response.StatusCode, problem.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null);
    }
}
