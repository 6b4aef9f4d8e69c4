using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LetsChat.IntegrationTests;

/// <summary>What a person does on the chat page, for every browser test: one copy.</summary>
public static class ChatPage
{
    /// <summary>Messages the server confirmed (pending ones carry data-pending).</summary>
    public const string Messages = "#chat-log li:not([data-pending]) .text";

    /// <summary>
    /// The lobby, a name, a room, Enter; back when the room's socket is open. Waits for the room's
    /// URL to commit, not for its load event: readiness is the open socket. The failure message
    /// carries what the page requested and logged.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> s_journals = new();

    /// <summary>What the page requested, logged and did with its WebSockets, for failure messages.</summary>
    public static string Journal(IPage page) =>
        s_journals.TryGetValue(page, out var journal) ? string.Join("\n", journal) : "(no journal)";

    /// <summary>Runs <paramref name="step"/>; a timeout comes back with the page's journal.</summary>
    public static async Task WithJournalAsync(IPage page, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            throw new TimeoutException($"{e.Message}\nat {page.Url}; the page's requests, sockets and console:\n{Journal(page)}", e);
        }
    }

    public static async Task<IPage> JoinAsync(IBrowserContext context, Uri gateway, string name, string room)
    {
        var page = await context.NewPageAsync();
        var journal = s_journals.GetValue(page, _ => new());
        var started = System.Diagnostics.Stopwatch.StartNew();
        void Note(string line) => journal.Enqueue($"{started.Elapsed.TotalSeconds,6:F2} s {line}");
        page.Request += (_, r) => Note($"→ {r.Method} {r.Url}");
        page.RequestFinished += (_, r) => Note($"✓ {r.Url}");
        page.RequestFailed += (_, r) => Note($"✗ {r.Url} {r.Failure}");
        page.Response += (_, r) =>
        {
            if (r.Status >= 300) Note($"{r.Status} {r.Url}");
        };
        page.Console += (_, m) => Note($"console {m.Type}: {m.Text}");
        page.WebSocket += (_, ws) =>
        {
            Note($"ws open {ws.Url}");
            ws.Close += (_, _) => Note($"ws closed {ws.Url}");
            ws.SocketError += (_, error) => Note($"ws error {ws.Url}: {error}");
        };
        try
        {
            await page.GotoAsync(new Uri(gateway, "/chat/").ToString());
            await Expect(page.Locator("#room-form[data-ready]")).ToHaveCountAsync(1);
            await page.Locator("#display-name-input").FillAsync(name);
            await page.Locator("#room-name-input").FillAsync(room);
            await page.Locator("#room-name-input").PressAsync("Enter");
            // Polls the URL: WaitForURLAsync waits for a navigation event, and once missed one that
            // committed while it started (a CI run timed out on the room's page, at the right URL).
            await Expect(page).ToHaveURLAsync(new Regex($"/chat/{Regex.Escape(room)}/$"));
            await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "open");
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            throw new TimeoutException($"{e.Message}\nat {page.Url}; the page's requests, sockets and console:\n{Journal(page)}", e);
        }
        return page;
    }

    /// <summary>Types like a person: Shift+Enter for new lines, Enter to send.</summary>
    public static async Task SendAsync(IPage page, string text)
    {
        var input = page.Locator("#chat-message-input");
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                await input.PressAsync("Shift+Enter");
            }
            await input.PressSequentiallyAsync(lines[i], new() { Delay = 0 });
        }
        await input.PressAsync("Enter");
    }
}
