using Microsoft.Playwright;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The people of a browser test class: each browser context is one person (the tutorial's "a
/// window and an incognito window"), closed after each test.
/// </summary>
public abstract class BrowserPeople(ChatAppFixture app, BrowserFixture browser) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    static BrowserPeople() => Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(15_000);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    protected static string NewRoom(string prefix = "web") => $"{prefix}-{Guid.NewGuid():N}"[..16];

    protected async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 800)
    {
        var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        _contexts.Add(context);
        return context;
    }

    /// <summary>A new person: the lobby, a name, a room, Enter; back when the room is connected.</summary>
    protected async Task<IPage> JoinAsync(string name, string room, int width = 1280, int height = 800) =>
        await ChatPage.JoinAsync(await NewContextAsync(width, height), app.Gateway, name, room);

    protected static Task SendAsync(IPage page, string text) => ChatPage.SendAsync(page, text);
}
