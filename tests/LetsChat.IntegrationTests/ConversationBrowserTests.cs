using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Edits, deletes, reactions, replies, links, mentions and the unread count in a real Chromium,
/// two people in one room, each seen from the other side.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class ConversationBrowserTests(ServerRedisApp app, BrowserFixture browser) : BrowserPeople(app, browser), IClassFixture<BrowserFixture>
{
    private const string Messages = ChatPage.Messages;

    [Fact]
    public async Task AnEditAReactionAReplyAndADeleteAreSeenFromTheOtherSide()
    {
        var room = "book-club"; // a plain name: the screenshot goes in the README (each app run starts with an empty Redis)
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);
        await ChatPage.SendAsync(ana, "helo Ben");
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(["helo Ben"]);

        // Ana fixes her typo from the message's own Edit button.
        await Item(ana, "helo Ben").HoverAsync();
        await Item(ana, "helo Ben").GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Expect(ana.Locator("#chat-message-input")).ToHaveValueAsync("helo Ben");
        await ana.Locator("#chat-message-input").FillAsync("hello Ben");
        await ana.Locator("#chat-message-input").PressAsync("Enter");
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(["hello Ben (edited)"]);

        // Ben reacts; both see the count, and who it is from.
        await Item(ben, "hello Ben").HoverAsync();
        await Item(ben, "hello Ben").GetByRole(AriaRole.Button, new() { Name = "React with 👍" }).ClickAsync();
        foreach (var page in new[] { ana, ben })
        {
            await Expect(page.Locator("#chat-log .reaction")).ToHaveTextAsync(["👍 1"]);
            await Expect(page.Locator("#chat-log .reaction")).ToHaveAttributeAsync("aria-label", "👍 1: Ben");
        }
        await Expect(ben.Locator("#chat-log .reaction")).ToHaveAttributeAsync("aria-pressed", "true");

        // Ben replies: Ana sees the quote of her message.
        await Item(ben, "hello Ben").HoverAsync();
        await Item(ben, "hello Ben").GetByRole(AriaRole.Button, new() { Name = "Reply" }).ClickAsync();
        await Expect(ben.Locator("#composing")).ToContainTextAsync("Replying to Ana");
        await ChatPage.SendAsync(ben, "hi Ana");
        await Expect(ana.Locator("#chat-log li", new() { HasText = "hi Ana" }).Locator(".quote")).ToHaveTextAsync("↩ Ana: hello Ben");

        // Ana posts in the wrong room and takes it back.
        await ChatPage.SendAsync(ana, "oops, wrong room");
        await Expect(ben.Locator(Messages)).ToHaveCountAsync(3);
        ana.Dialog += (_, dialog) => dialog.AcceptAsync();
        await Item(ana, "oops, wrong room").HoverAsync();
        await Item(ana, "oops, wrong room").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(["hello Ben (edited)", "hi Ana", "message deleted"]);

        // ↑ in the empty box edits her last message still standing; Esc gives the box back.
        await ana.Locator("#chat-message-input").PressAsync("ArrowUp");
        await Expect(ana.Locator("#chat-message-input")).ToHaveValueAsync("hello Ben");
        await ana.Locator("#chat-message-input").PressAsync("Escape");
        await Expect(ana.Locator("#chat-message-input")).ToHaveValueAsync("");
        await Expect(ana.Locator("#composing")).ToBeHiddenAsync();

        // Ben's page after a reload shows the same, from history.
        await ben.ReloadAsync();
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(["hello Ben (edited)", "hi Ana", "message deleted"]);
        await Expect(ben.Locator("#chat-log .reaction")).ToHaveTextAsync(["👍 1"]);
        await ben.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory(), "room-conversation.png") });
    }

    [Fact]
    public async Task AnyOneEmojiCanBeAReactionAndALongPressNamesWhoReacted()
    {
        var room = NewRoom("talk");
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);
        await SendAsync(ana, "guess what");
        await Expect(ben.Locator(Messages)).ToHaveCountAsync(1);
        var answers = new Queue<string>(["not one", "🦄"]);
        ben.Dialog += (_, dialog) => dialog.AcceptAsync(answers.Dequeue());

        foreach (var _ in new[] { 1, 2 })
        {
            await Item(ben, "guess what").HoverAsync();
            await Item(ben, "guess what").GetByRole(AriaRole.Button, new() { Name = "React with another emoji" }).ClickAsync();
        }
        await Expect(ben.Locator("#room-error")).ToHaveTextAsync("A reaction is one emoji.");
        await Expect(ana.Locator("#chat-log .reaction")).ToHaveTextAsync(["🦄 1"]); // the first answer never went

        await ana.Locator("#chat-log .reaction").DispatchEventAsync("contextmenu");
        await Expect(ana.Locator("#chat-log .reactors")).ToHaveTextAsync("Ben");
    }

    [Fact]
    public async Task APopularReactionCountsWhomItDoesNotNameAndItsChipTakesAnUnnamedOneOff()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        var room = NewRoom("crowd");
        var ben = await JoinAsync("Ben", room);
        long seq;
        await using (var cara = await V1Client.ConnectAsync(app, room, ct))
        {
            seq = await cara.SendAndAckAsync("vote here", "m0", ct);
        }
        // Ten others fill the names a reaction keeps (MessageChanges.ShownReactors).
        for (var i = 0; i < 10; i++)
        {
            await using var other = await V1Client.ConnectAsync(app, room, ct);
            await other.SendAndAckAsync(new { type = "react", id = $"r{i}", seq, emoji = "👍", on = true }, $"r{i}", ct);
        }
        var chip = ben.Locator("#chat-log .reaction");
        await Expect(chip).ToHaveTextAsync(["👍 10"]);

        // Ben's is counted, not named: his own ack tells his page it is his.
        await chip.ClickAsync();
        await Expect(chip).ToHaveTextAsync(["👍 11"]);
        await Expect(chip).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(chip).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("^👍 11: .+ and 1 more$"));

        // After a reload the page cannot tell; a press still takes his off (the server says it is there).
        await ben.ReloadAsync();
        await Expect(chip).ToHaveAttributeAsync("aria-pressed", "false");
        await chip.ClickAsync();
        await Expect(chip).ToHaveTextAsync(["👍 10"]);
        await Expect(ben.Locator("#room-error")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task HttpLinksAreClickableAndOtherSchemesStayText()
    {
        var room = NewRoom("talk");
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);

        await ChatPage.SendAsync(ana, "docs at https://example.com/a?b=1. not javascript:alert(1) nor data:text/html,hi");

        var link = ben.Locator("#chat-log .text a");
        await Expect(link).ToHaveCountAsync(1);
        await Expect(link).ToHaveAttributeAsync("href", "https://example.com/a?b=1");
        await Expect(link).ToHaveAttributeAsync("target", "_blank");
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(ben.Locator(Messages)).ToHaveTextAsync(["docs at https://example.com/a?b=1. not javascript:alert(1) nor data:text/html,hi"]);
    }

    [Fact]
    public async Task AHiddenTabCountsNewMessagesInItsTitleAndShowsWhereTheyStartWhenBack()
    {
        var room = NewRoom("talk");
        var ana = await JoinAsync("Ana", room);
        var ben = await JoinAsync("Ben", room);
        await ChatPage.SendAsync(ana, "before");
        await Expect(ben.Locator(Messages)).ToHaveCountAsync(1);

        await SetHiddenAsync(ben, true);
        await ChatPage.SendAsync(ana, "one");
        await ChatPage.SendAsync(ana, "two");
        await Expect(ben).ToHaveTitleAsync($"(2) {room} · LetsChat");

        await SetHiddenAsync(ben, false);
        await Expect(ben).ToHaveTitleAsync($"{room} · LetsChat");
        // The divider sits right before the first message that came while away.
        await Expect(ben.Locator("#chat-log li.divider + li .text")).ToHaveTextAsync("one");
    }

    [Fact]
    public async Task AMentionInAHiddenTabNotifiesAndPermissionIsAskedOnlyAfterAClick()
    {
        var room = NewRoom("talk");
        var ana = await JoinAsync("Ana", room);
        var context = await NewContextAsync();
        // A stand-in Notification that records: Chromium headless shows none.
        await context.AddInitScriptAsync("""
            window.__asked = 0; window.__notes = [];
            window.Notification = class {
              static permission = 'default';
              static requestPermission() { window.__asked++; Notification.permission = 'granted'; return Promise.resolve('granted'); }
              constructor(title) { window.__notes.push(title); }
            };
            """);
        var ben = await ChatPage.JoinAsync(context, app.Gateway, "Ben", room);
        Assert.Equal(0, await ben.EvaluateAsync<int>("window.__asked")); // not on load

        await ben.Locator("#chat-message-input").ClickAsync();
        Assert.Equal(1, await ben.EvaluateAsync<int>("window.__asked"));

        await SetHiddenAsync(ben, true);
        await ChatPage.SendAsync(ana, "no mention here");
        await ChatPage.SendAsync(ana, "@Ben are you there?");
        await Expect(ben.Locator(Messages)).ToHaveCountAsync(2);
        await Expect(ben.Locator("#chat-log li.mentions-me mark.mention")).ToHaveTextAsync("@Ben");
        Assert.Equal([$"Ana mentioned you in {room}"], await ben.EvaluateAsync<string[]>("window.__notes"));
    }

    [Fact]
    public async Task TypingAnAtOffersThePeopleHereAndTabPicksOne()
    {
        var room = NewRoom("talk");
        await JoinAsync("Ana", room);
        var bea = await JoinAsync("Bea", room);
        var ben = await JoinAsync("Ben", room);
        await Expect(ben.Locator("#member-list li")).ToHaveCountAsync(3);
        var input = ben.Locator("#chat-message-input");

        await input.PressSequentiallyAsync("hi @");
        await Expect(ben.Locator("#mention-list [role=option]")).ToHaveTextAsync(["Ana", "Bea"]); // not Ben himself
        await input.PressSequentiallyAsync("b");
        await Expect(ben.Locator("#mention-list [role=option]")).ToHaveTextAsync(["Bea"]);
        await Expect(input).ToHaveAttributeAsync("aria-activedescendant", "mention-0");
        await input.PressAsync("Tab");
        await Expect(input).ToHaveValueAsync("hi @Bea ");
        await Expect(ben.Locator("#mention-list")).ToBeHiddenAsync();

        await input.PressSequentiallyAsync("look");
        await input.PressAsync("Enter");
        await Expect(bea.Locator("#chat-log li.mentions-me mark.mention")).ToHaveTextAsync("@Bea");
    }

    [Fact]
    public async Task AQuoteOfAMessageThatIsNotLoadedLoadsOlderHistoryUntilItShowsIt()
    {
        var room = NewRoom("talk");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (var writer = await V1Client.ConnectAsync(app, room, cts.Token))
        {
            var original = await writer.SendAndAckAsync("the original question", "w0", cts.Token);
            for (var i = 1; i <= 60; i++)
            {
                await writer.SendAndAckAsync($"filler {i}", $"w{i}", cts.Token);
            }
            await writer.SendAndAckAsync(new { type = "send", id = "w-reply", text = "the answer", replyTo = original }, "w-reply", cts.Token);
        }
        var ana = await JoinAsync("Ana", room);
        var quote = ana.Locator("#chat-log li", new() { HasText = "the answer" }).Locator(".quote");
        await Expect(quote).ToHaveTextAsync("↩ an earlier message"); // the join's 50 do not reach back to it

        await quote.ClickAsync();
        await Expect(ana.Locator("#chat-log li.flash .text")).ToHaveTextAsync("the original question");
        await Expect(quote).ToHaveTextAsync("↩ anonymous: the original question");
    }

    [Fact]
    public async Task OnAPhoneTheLongestNameStaysInItsRowAndTheMessagesKeepTheScreen()
    {
        var room = NewRoom("talk");
        var longest = new string('W', 32); // DisplayName.MaxLength, in the widest letter
        var ana = await JoinAsync(longest, room, 375, 740);
        await JoinAsync("Ben", room, 375, 740);
        await ChatPage.SendAsync(ana, "Does my name fit?");
        await Expect(ana.Locator("#member-list li")).ToHaveCountAsync(2);

        var members = (await ana.Locator(".members").BoundingBoxAsync())!;
        var log = (await ana.Locator("#chat-log").BoundingBoxAsync())!;
        foreach (var name in await ana.Locator("#member-list li").AllAsync())
        {
            var box = (await name.BoundingBoxAsync())!;
            Assert.True(box.Y + box.Height <= log.Y, $"a member name ({box.Y}+{box.Height}) runs into the messages (at {log.Y})");
        }
        Assert.True(members.X + members.Width <= 375, $"the member list is {members.X + members.Width} px wide on a 375 px screen");
        Assert.True(log.Height > 740 * 0.55, $"the messages get {log.Height} of 740 px");
        await ana.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory(), "room-phone-long-name.png") });
    }

    private static ILocator Item(IPage page, string text) => page.Locator("#chat-log li:not([data-pending])", new() { HasText = text });

    // As the browser does when the tab goes to the background or comes back.
    private static async Task SetHiddenAsync(IPage page, bool hidden) => await page.EvaluateAsync(
        "hidden => { Object.defineProperty(document, 'hidden', { value: hidden, configurable: true }); document.dispatchEvent(new Event('visibilitychange')); }",
        hidden);
}
