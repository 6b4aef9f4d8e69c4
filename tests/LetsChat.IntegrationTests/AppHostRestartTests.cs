using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LetsChat.IntegrationTests;

/// <summary>An app that its test stops and starts whole, on one data directory.</summary>
public sealed class RestartedApp() : ChatAppFixture("server");

[CollectionDefinition(Name)]
public sealed class RestartCollection : ICollectionFixture<RestartedApp>
{
    public const string Name = "app that is stopped and started again";
}

/// <summary>
/// A developer's Ctrl+C and <c>dotnet run</c>: the AppHost stops every resource and starts them
/// again (Redis on the same data directory). History is still there, and a browser session made
/// before the restart still works: the Data Protection key ring lives in Redis and survives with it.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class AppHostRestartTests(RestartedApp app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Messages = ChatPage.Messages;

    static AppHostRestartTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task HistoryAndABrowserSessionSurviveAStopAndStartOfTheWholeApp()
    {
        var room = $"restart-{Guid.NewGuid():N}"[..20];
        var context = await browser.Browser.NewContextAsync();
        try
        {
            var page = await ChatPage.JoinAsync(context, app.Gateway, "Ada", room);
            await ChatPage.SendAsync(page, "before the restart");
            await Expect(page.Locator(Messages)).ToHaveTextAsync(["before the restart"]);
            var cookie = await SessionCookieAsync(context);
            var user = await WhoAsync(cookie);

            await app.RestartAsync(); // a new gateway port, new Redis password, same data directory

            // The same browser (same cookie) opens the room on the restarted app.
            await page.GotoAsync(new Uri(app.Gateway, $"/chat/{room}/").ToString(), new() { WaitUntil = WaitUntilState.Commit });
            await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "open");
            await Expect(page.Locator(Messages)).ToHaveTextAsync(["before the restart"]);
            await ChatPage.SendAsync(page, "after the restart");
            await Expect(page.Locator(Messages)).ToHaveTextAsync(["before the restart", "after the restart"]);

            Assert.Equal(cookie, await SessionCookieAsync(context)); // the page did not need a new session
            Assert.Equal(user, await WhoAsync(cookie)); // the old cookie is still accepted, as the same user
            // ... by both replicas, each of which started with no key ring but the one in Redis.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var header = $"{Sessions.CookieName}={cookie}";
            await using var first = await V1Client.ConnectAsync(app, room, cts.Token, cookie: header);
            await using var second = await V1Client.ConnectElsewhereAsync(app, room, first.Replica, cts.Token, cookie: header);
            Assert.Equal([user, user], new[] { first, second }.Select(c => c.Welcome.GetProperty("user").GetProperty("id").GetString()));
            var history = await History.AllAsync(app, room, CancellationToken.None);
            Assert.Equal(["before the restart", "after the restart"], history.Texts);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task<string> SessionCookieAsync(IBrowserContext context) =>
        (await context.CookiesAsync()).Single(c => c.Name == Sessions.CookieName).Value;

    /// <summary>GET /api/session with the cookie: who it names (fails on 401).</summary>
    private async Task<string> WhoAsync(string cookie)
    {
        using var http = new HttpClient { BaseAddress = app.Gateway };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        request.Headers.Add("Cookie", $"{Sessions.CookieName}={cookie}");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"GET /api/session with the browser's cookie: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("id").GetString()!;
    }
}
