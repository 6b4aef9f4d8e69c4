using static Microsoft.Playwright.Assertions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The chat page in a real Chromium, through the gateway: what people see and do. Each browser
/// context is one person (the tutorial's "a window and an incognito window").
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class BrowserTests(ServerRedisApp app, BrowserFixture browser) : BrowserPeople(app, browser), IClassFixture<BrowserFixture>
{
    private const string Messages = ChatPage.Messages;

    [Fact]
    public async Task TwoWindowsInOneRoomSeeEachOthersMessagesAndAnotherRoomSeesNone()
    {
        var room = NewRoom();
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);
        var cy = await JoinAsync("Cy", room + "-other");

        await SendAsync(ana, "hello from Ana");
        await SendAsync(ben, "hi Ana");

        foreach (var page in new[] { ana, ben })
        {
            await Expect(page.Locator(Messages)).ToHaveTextAsync(["hello from Ana", "hi Ana"]);
        }
        await Expect(ana.Locator("#chat-log li.mine .text")).ToHaveTextAsync(["hello from Ana"]);
        await SendAsync(cy, "only here");
        await Expect(cy.Locator(Messages)).ToHaveTextAsync(["only here"]);
    }

    [Fact]
    public async Task MarkupInAMessageShowsAsTextAndRunsNothing()
    {
        var room = NewRoom();
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("<b>Ben</b>", room);
        var dialogs = 0;
        ben.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        const string attack = "<img src=x onerror=alert(1)><script>window.__xss=1</script>";

        await SendAsync(ana, attack);

        await Expect(ben.Locator(Messages)).ToHaveTextAsync([attack]);
        Assert.Equal(0, await ben.Locator("#chat-log img, #chat-log script").CountAsync());
        await Expect(ana.Locator("#member-list li", new() { HasText = "<b>Ben</b>" })).ToHaveCountAsync(1);
        Assert.Null(await ben.EvaluateAsync<int?>("() => window.__xss ?? null"));
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task AWindowThatWasOfflineShowsEveryMessageOnceInOrderAndSendsWhatItQueued()
    {
        var room = NewRoom();
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);
        await SendAsync(ben, "before");
        await Expect(ana.Locator(Messages)).ToHaveTextAsync(["before"]);

        await ana.Context.SetOfflineAsync(true);
        await Expect(ana.Locator("#connection")).ToHaveAttributeAsync("data-state", "offline");
        for (var i = 1; i <= 5; i++)
        {
            await SendAsync(ben, $"while away {i}");
        }
        await SendAsync(ana, "written offline");
        await Expect(ana.Locator("#chat-log li.pending .text")).ToHaveTextAsync(["written offline"]);
        await ana.Context.SetOfflineAsync(false);

        string[] expected = ["before", "while away 1", "while away 2", "while away 3", "while away 4", "while away 5", "written offline"];
        // Up to 30 s: once in three CI runs the first attempts after "online" failed and the page's
        // backoff (0.5, 1, 2, 4, 8 s) ran past 15 s. The journal in the failure message says why.
        await ChatPage.WithJournalAsync(ana, () => Expect(ana.Locator("#connection")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 }));
        await Expect(ana.Locator(Messages)).ToHaveTextAsync(expected);
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(expected);
        await Expect(ana.Locator("#chat-log li.pending")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ANewcomerSeesHistoryEveryoneSeesWhoIsHereAndTypingShows()
    {
        var room = NewRoom();
        var ana = await JoinAsync("Ana", room);
        await SendAsync(ana, "first");
        await SendAsync(ana, "second\nwith a second line");
        await Expect(ana.Locator(Messages)).ToHaveCountAsync(2);

        var dee = await JoinAsync("Dee", room);

        await Expect(dee.Locator(Messages)).ToHaveTextAsync(["first", "second\nwith a second line"]);
        foreach (var page in new[] { ana, dee })
        {
            await Expect(page.Locator("#member-list li")).ToHaveTextAsync(["Ana", "Dee"]);
        }
        await dee.Locator("#chat-message-input").PressSequentiallyAsync("typing something");
        await Expect(ana.Locator("#typing")).ToHaveTextAsync("Dee is typing…");
    }

    [Fact]
    public async Task TwoPeopleOfOneNameAreToldApartByATagFromTheirIds()
    {
        var room = NewRoom("names");
        var ana = await JoinAsync("Ana", room);
        var sam = await JoinAsync("Sam", room);
        await SendAsync(sam, "I am the first Sam");
        await Expect(ana.Locator(Messages)).ToHaveCountAsync(1);
        // One Sam: no tag anywhere.
        await Expect(ana.Locator("#chat-log .user-tag")).ToHaveCountAsync(0);

        var other = await JoinAsync("sam", room); // the same name in another case
        await SendAsync(other, "so am I");
        await Expect(ana.Locator(Messages)).ToHaveCountAsync(2);

        // Both Sams are tagged, on their messages and in the member list, with different tags; Ana is not.
        var tags = ana.Locator("#chat-log .sender .user-tag");
        await Expect(tags).ToHaveCountAsync(2);
        var texts = await tags.AllTextContentsAsync();
        Assert.All(texts, t => Assert.Matches("^#[0-9a-z]{4}$", t));
        Assert.NotEqual(texts[0], texts[1]);
        await Expect(ana.Locator("#member-list .user-tag")).ToHaveCountAsync(2);
        await Expect(ana.Locator("#member-list li", new() { HasText = "Ana" }).Locator(".user-tag")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ACrowdListsItsFirstHundredAndCountsEveryone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = NewRoom("crowd");
        var others = new List<V1Client>();
        try
        {
            for (var i = 0; i < 120; i++)
            {
                others.Add(await V1Client.ConnectAsync(app, room, cts.Token));
            }
            var ana = await JoinAsync("Ana", room);

            // LetsChat:Rooms:PresenceListed (100) are listed, the rest counted.
            await Expect(ana.Locator("#member-count")).ToHaveTextAsync("(121)");
            await Expect(ana.Locator("#member-list li")).ToHaveCountAsync(101);
            await Expect(ana.Locator("#member-list li").Last).ToHaveTextAsync("and 21 more");
            await Expect(ana.Locator("#member-list li.me")).ToHaveTextAsync("Ana"); // the joiner is always listed
        }
        finally
        {
            foreach (var other in others) await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task ScrollingUpLoadsOlderMessages()
    {
        var room = NewRoom();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var sender = await V1Client.ConnectAsync(app, room, cts.Token))
        {
            for (var i = 1; i <= 60; i++)
            {
                await sender.SendAndAckAsync($"m{i}", $"c{i}", cts.Token);
            }
        }

        var page = await JoinAsync("Ana", room);
        await Expect(page.Locator(Messages)).ToHaveCountAsync(50);
        await Expect(page.Locator(Messages).First).ToHaveTextAsync("m11");
        await Expect(page.Locator("#load-older")).ToBeVisibleAsync();

        await page.Locator("#chat-log").EvaluateAsync("log => log.scrollTop = 0");

        await Expect(page.Locator(Messages)).ToHaveCountAsync(60);
        await Expect(page.Locator(Messages).First).ToHaveTextAsync("m1");
        await Expect(page.Locator("#load-older")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task TheLengthCounterAppearsNearTheLimitAndStopsOverlongMessages()
    {
        var page = await JoinAsync("Ana", NewRoom());
        var input = page.Locator("#chat-message-input");

        await input.FillAsync(new string('x', 3000));
        await Expect(page.Locator("#char-count")).ToHaveTextAsync("");
        await input.FillAsync(new string('x', 3600));
        await Expect(page.Locator("#char-count")).ToHaveTextAsync("3600 / 4000");
        await input.FillAsync(new string('x', 4001));
        await Expect(page.Locator("#chat-message-submit")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task ScreenshotsOfTheLobbyAndARoomOnDesktopAndPhone()
    {
        var directory = BrowserFixture.ScreenshotDirectory();
        // Plain room names: these pictures go in the README. Each app run starts with an empty Redis.
        foreach (var (device, width, height, room) in new[] { ("desktop", 1280, 800, "lobby"), ("phone", 375, 740, "general") })
        {
            var ana = await JoinAsync("Ana", room, width, height);
            var ben = await JoinAsync("Ben", room, width, height);
            await SendAsync(ana, $"Hi Ben! This is the {device} layout.");
            await SendAsync(ben, "Looks good. <b>Markup</b> stays text.");
            await SendAsync(ben, "And long lines wrap nicely instead of running off the edge of the screen.");
            await Expect(ana.Locator(Messages)).ToHaveCountAsync(3);
            await ana.ScreenshotAsync(new() { Path = Path.Combine(directory, $"room-{device}.png") });

            var lobby = await (await NewContextAsync(width, height)).NewPageAsync();
            await lobby.GotoAsync(new Uri(app.Gateway, "/chat/").ToString());
            await Expect(lobby.Locator("#active-rooms a", new() { HasText = room })).ToBeVisibleAsync();
            await lobby.ScreenshotAsync(new() { Path = Path.Combine(directory, $"lobby-{device}.png") });
        }

        foreach (var name in new[] { "room-desktop", "room-phone", "lobby-desktop", "lobby-phone" })
        {
            Assert.True(new FileInfo(Path.Combine(directory, $"{name}.png")).Length > 5_000, $"{name}.png is missing or empty");
        }
    }
}
