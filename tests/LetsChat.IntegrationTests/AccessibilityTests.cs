using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// axe-core in a real Chromium: the lobby and a room with a whole conversation on it (an edit, a
/// reaction, a reply, a delete, a link, a mention), light and dark, have no serious or critical
/// violations. The message log is a list, and new messages are announced by one live region.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class AccessibilityTests(ServerRedisApp app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    static AccessibilityTests() => SetDefaultExpectTimeout(15_000);

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task TheLobbyAndARoomHaveNoSeriousViolations(ColorScheme scheme)
    {
        var room = $"a11y-{scheme}-{Guid.NewGuid():N}"[..20].ToLowerInvariant();
        await using var ana = await browser.Browser.NewContextAsync(new() { ColorScheme = scheme });
        await using var ben = await browser.Browser.NewContextAsync(new() { ColorScheme = scheme });
        var anaPage = await ChatPage.JoinAsync(ana, app.Gateway, "Ana", room);
        var benPage = await ChatPage.JoinAsync(ben, app.Gateway, "Ben", room);
        await ChatPage.SendAsync(anaPage, "helo @Ben, see https://example.com");
        await ChatPage.SendAsync(anaPage, "oops");
        await Expect(benPage.Locator(ChatPage.Messages)).ToHaveCountAsync(2);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        await using (var api = await V1Client.ConnectAsync(app, room, cts.Token))
        {
            // The rest through the protocol, so this test is about how it looks, not how it is made.
            var history = await api.ReceiveTypeAsync("history", cts.Token);
            var seqs = history.Messages().Select(m => m.Seq()).ToList();
            await api.SendAndAckAsync(new { type = "react", id = "r1", seq = seqs[0], emoji = "👍", on = true }, "r1", cts.Token);
            await api.SendAndAckAsync(new { type = "send", id = "s1", text = "a reply", replyTo = seqs[0] }, "s1", cts.Token);
        }
        await anaPage.Locator("#chat-log li", new() { HasText = "oops" }).HoverAsync();
        anaPage.Dialog += (_, dialog) => dialog.AcceptAsync();
        await anaPage.Locator("#chat-log li", new() { HasText = "oops" }).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(benPage.Locator(ChatPage.Messages)).ToHaveTextAsync(["helo @Ben, see https://example.com", "message deleted", "a reply"]);
        await benPage.Locator("#chat-log li", new() { HasText = "a reply" }).HoverAsync(); // its buttons showing

        AssertNoSeriousViolations(await benPage.RunAxe(), $"the room ({scheme})");
        var lobby = await ben.NewPageAsync();
        await lobby.GotoAsync(new Uri(app.Gateway, "/chat/").ToString());
        await Expect(lobby.Locator("#room-form[data-ready]")).ToHaveCountAsync(1);
        AssertNoSeriousViolations(await lobby.RunAxe(), $"the lobby ({scheme})");

        // One live region tells of new messages; the history a page loads is not read out.
        await Expect(benPage.Locator("#announcer[aria-live=polite]")).ToHaveCountAsync(1);
        await ChatPage.WithJournalAsync(benPage, async () =>
        {
            await benPage.ReloadAsync();
            await Expect(benPage.Locator(ChatPage.Messages)).ToHaveCountAsync(3);
        });
        await Expect(benPage.Locator("#announcer p")).ToHaveCountAsync(0);
        await ChatPage.SendAsync(anaPage, "one more");
        await Expect(benPage.Locator("#announcer p")).ToHaveTextAsync(["Ana: one more"]);
    }

    private static void AssertNoSeriousViolations(Deque.AxeCore.Commons.AxeResult result, string what)
    {
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: " + string.Join("\n", serious.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} — {string.Join("; ", v.Nodes.Select(n => n.Html))}")));
    }
}
