using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>Guest sessions: made by POST /api/session, honoured by every replica, impossible to forge.</summary>
[Collection(ServerRedisCollection.Name)]
public sealed class IdentityTests(ServerRedisApp app)
{
    [Fact]
    public async Task ASessionNamesTheUserAndIsAnHttpOnlyLaxCookie()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        using var response = await http.PostAsJsonAsync("/api/session", new { name = "  Ana  " }, cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
        Assert.Equal("Ana", user.GetProperty("name").GetString());
        Assert.StartsWith("u_", user.GetProperty("id").GetString());
        var setCookie = response.Headers.GetValues("Set-Cookie").Single().ToLowerInvariant();
        Assert.Contains("httponly", setCookie);
        Assert.Contains("samesite=lax", setCookie);
        Assert.Contains("path=/", setCookie);
    }

    [Fact]
    public async Task RenamingKeepsTheUserId()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var cookie = await Sessions.CreateAsync(app, "Ana", cts.Token);
        using var http = new HttpClient { BaseAddress = app.Gateway };
        var before = await GetSessionAsync(http, cookie, cts.Token);

        using var rename = new HttpRequestMessage(HttpMethod.Post, "/api/session") { Content = JsonContent.Create(new { name = "Ana B." }) };
        rename.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(rename, cts.Token);
        var after = await GetSessionAsync(http, Sessions.CookieFrom(response), cts.Token);

        Assert.Equal(before.GetProperty("id").GetString(), after.GetProperty("id").GetString());
        Assert.Equal("Ana B.", after.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("123456789012345678901234567890123")] // 33 characters
    [InlineData("line\nbreak")]
    [InlineData("bell\u0007")]
    [InlineData("evil\u202Eeman")]
    public async Task BadNamesAreRefusedWithProblemDetails(string name)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        using var response = await http.PostAsJsonAsync("/api/session", new { name }, cts.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task ThirtyTwoEmojiAreAValidName()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var name = string.Concat(Enumerable.Repeat("👩🏽‍🚀", 32));

        var cookie = await Sessions.CreateAsync(app, name, cts.Token);

        using var http = new HttpClient { BaseAddress = app.Gateway };
        Assert.Equal(name, (await GetSessionAsync(http, cookie, cts.Token)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task ATamperedOrForgedCookieIsRefusedByTheApiAndTheSocket()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var cookie = await Sessions.CreateAsync(app, "Ana", cts.Token);
        using var http = new HttpClient { BaseAddress = app.Gateway };

        foreach (var bad in new[] { Sessions.Tamper(cookie), $"{Sessions.CookieName}=forged", $"{Sessions.CookieName}=CfDJ8{new string('A', 120)}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
            request.Headers.Add("Cookie", bad);
            using var response = await http.SendAsync(request, cts.Token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

            var refused = await Assert.ThrowsAsync<WebSocketException>(
                () => V1Client.ConnectAsync(app, "identity", cts.Token, cookie: bad));
            Assert.Contains("401", refused.Message);
        }
    }

    [Fact]
    public async Task ASessionMadeOnOneReplicaWorksOnTheOtherAndNamesItsMessages()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"who-{Guid.NewGuid():N}";
        var cookie = await Sessions.CreateAsync(app, "Ana", cts.Token);

        await using var first = await V1Client.ConnectAsync(app, room, cts.Token, cookie: cookie);
        await using var second = await V1Client.ConnectElsewhereAsync(app, room, first.Replica, cts.Token, cookie: cookie);
        await using var anonymous = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);

        var id = first.Welcome.GetProperty("user").GetProperty("id").GetString();
        Assert.Equal(id, second.Welcome.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("Ana", second.Welcome.GetProperty("user").GetProperty("name").GetString());

        // A client cannot claim a name: the server writes the sender from the session.
        await second.SendFrameAsync(new { type = "send", id = "c1", text = "hi", user = new { id = "u_other", name = "Mallory" } }, cts.Token);
        var message = await first.ReceiveTypeAsync("message", cts.Token);
        Assert.Equal("Ana", message.UserName());
        Assert.Equal(id, message.UserId());
        Assert.Equal("hi", await anonymous.ReceiveMessageAsync(cts.Token));
    }

    [Fact]
    public async Task ASocketWithoutASessionIsAnonymous()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await V1Client.ConnectAsync(app, $"anon-{Guid.NewGuid():N}", cts.Token);

        await client.SendAsync("hello", "c1", cts.Token);
        var message = await client.ReceiveTypeAsync("message", cts.Token);

        Assert.Equal("anonymous", message.UserName());
        Assert.StartsWith("anon-", message.UserId());
    }

    private static async Task<JsonElement> GetSessionAsync(HttpClient http, string cookie, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }
}
