using System.Net;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>The gateway is the one origin: pages come from the frontend, sockets and API from the room service.</summary>
[Collection(ServerRedisCollection.Name)]
public sealed class GatewayRouteTests(ServerRedisApp app)
{
    [Theory]
    [InlineData("/", "room-name-input")]
    [InlineData("/chat/", "room-name-input")]
    [InlineData("/chat/x/", "chat-log")]
    [InlineData("/chat/some-room.v2/", "chat-log")]
    [InlineData("/static/js/app.js", "RoomController")]
    [InlineData("/static/js/room-controller.js", "ChatSocket")]
    public async Task PagesAreServedByTheFrontend(string path, string marker)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        using var response = await http.GetAsync(path, cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(marker, await response.Content.ReadAsStringAsync(cts.Token));
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("/ws/chat/bad%20name/", "Invalid room name")]
    [InlineData("/ws/chat/semi%3Bcolon/", "Invalid room name")]
    [InlineData("/ws/chat/lobby/", "WebSocket required")]
    public async Task RefusedUpgradesGet400WithProblemDetails(string path, string title)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        using var response = await http.GetAsync(path, cts.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task WebSocketUpgradeWithAnInvalidRoomNameIsRefused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var uri = new Uri($"ws://{app.Gateway.Authority}/ws/chat/bad%20name/");

        var error = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(
            () => ChatClient.ConnectAsync(uri, cts.Token));

        Assert.Contains("400", error.Message);
    }
}
