using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

/// <summary>What edits, deletes and reactions do to a message, who may make them, and how they travel.</summary>
public class MessageChangesTests
{
    private static readonly ChatUser Ana = new("u_ana", "Ana");
    private static readonly ChatUser Bo = new("u_bo", "Bo");

    private static MessageBody Message(ChatUser author, string text = "hello") =>
        new("c1", author, text, 1_764_500_000_000) { ReplyTo = 3 };

    /// <summary>Reactions a message may carry in all, as LetsChat:Rooms:MaxReactionsPerMessage.</summary>
    private const int Limit = 30;

    private static Change React(MessageBody m, ChatUser user, string emoji, bool on, bool counted = false) =>
        MessageChanges.React(m, user, emoji, on, Limit, counted);

    private static ChatUser Person(int i) => new($"u_{i:D4}", $"P{i}");

    [Fact]
    public void TheAuthorEditsTheTextAndTheMessageIsMarkedEdited()
    {
        var change = MessageChanges.Edit(Message(Ana), Ana, "hello, world", at: 1_764_500_060_000);

        Assert.Equal(("hello, world", 1_764_500_060_000L, 1, 3L), (change.Message!.Text, change.Message.Edited, change.Message.Version, change.Message.ReplyTo));
    }

    [Fact]
    public void NobodyButTheAuthorEditsOrDeletes()
    {
        var edit = MessageChanges.Edit(Message(Ana), Bo, "mine now", 0);
        Assert.Equal(("forbidden", null), (edit.Code, edit.Message));
        Assert.Equal("forbidden", MessageChanges.Delete(Message(Ana), Bo).Code);
        // The name is not the identity: a namesake is someone else.
        Assert.Equal("forbidden", MessageChanges.Delete(Message(Ana), new ChatUser("u_other", "Ana")).Code);
    }

    [Fact]
    public void ADeleteLeavesATombstoneWithoutTheTextReactionsOrReply()
    {
        var reacted = React(Message(Ana, "secret"), Bo, "👍", on: true).Message!;

        var tombstone = MessageChanges.Delete(reacted, Ana).Message!;

        Assert.True(tombstone.Deleted);
        Assert.Equal(("", null, null, Ana), (tombstone.Text, tombstone.Reactions, tombstone.ReplyTo, tombstone.User));
        Assert.DoesNotContain("secret", RoomRecords.Body(tombstone));
        Assert.Equal(2, tombstone.Version);
    }

    [Fact]
    public void ADeletedMessageCannotBeEditedOrReactedToAndDeletingItAgainChangesNothing()
    {
        var tombstone = MessageChanges.Delete(Message(Ana), Ana).Message!;

        Assert.Equal("not_found", MessageChanges.Edit(tombstone, Ana, "back", 0).Code);
        Assert.Equal("not_found", React(tombstone, Bo, "👍", true).Code);
        var again = MessageChanges.Delete(tombstone, Ana);
        Assert.True(again.Unchanged, "a second delete stores nothing (a retry is acked by the log's dedupe)");
        Assert.Equal(tombstone, again.Message);
        Assert.Equal("forbidden", MessageChanges.Delete(tombstone, Bo).Code);
    }

    [Fact]
    public void AChangeThatChangesNothingIsMarkedUnchangedAndKeepsTheVersion()
    {
        var m = MessageChanges.Edit(Message(Ana), Ana, "hello again", 1).Message!;
        var reacted = React(m, Bo, "👍", on: true).Message!;

        Assert.True(MessageChanges.Edit(m, Ana, "hello again", 2) is { Unchanged: true, Message.Version: 1 });
        Assert.True(React(reacted, Bo, "👍", on: true) is { Unchanged: true, Message.Version: 2 });
        Assert.True(React(reacted, Ana, "👍", on: false).Unchanged, "taking off a reaction one never made changes nothing");
        Assert.False(React(reacted, Bo, "👍", on: false).Unchanged);
        Assert.False(MessageChanges.Edit(m, Ana, "hello, again", 2).Unchanged);
    }

    [Fact]
    public void ReactionsAreSetPerUserInTheOrderTheyCameAndEmptyOnesDisappear()
    {
        var m = Message(Ana);
        m = React(m, Bo, "👍", on: true).Message!;
        m = React(m, Ana, "🎉", on: true).Message!;
        m = React(m, Ana, "👍", on: true).Message!;
        m = React(m, Ana, "👍", on: true).Message!; // again: still once

        Assert.Equal(["👍", "🎉"], m.Reactions!.Select(r => r.Emoji));
        Assert.Equal(["u_bo", "u_ana"], m.Reactions![0].Users.Select(u => u.Id));

        m = React(m, Bo, "👍", on: false).Message!;
        m = React(m, Ana, "🎉", on: false).Message!;
        m = React(m, Bo, "🎉", on: false).Message!; // taking off what is not there changes nothing

        var only = Assert.Single(m.Reactions!);
        Assert.Equal(("👍", "u_ana"), (only.Emoji, Assert.Single(only.Users).Id));
    }

    [Fact]
    public void AMessageCarriesABoundedNumberOfDistinctReactions()
    {
        var m = Message(Ana);
        var emoji = Enumerable.Range(0, MessageChanges.MaxEmoji + 1).Select(i => char.ConvertFromUtf32(0x1F600 + i)).ToList();
        foreach (var e in emoji.Take(MessageChanges.MaxEmoji))
        {
            m = React(m, Bo, e, true).Message!;
        }

        Assert.Equal("too_many_reactions", React(m, Bo, emoji[^1], true).Code);
        Assert.NotNull(React(m, Ana, emoji[0], true).Message); // joining an existing one is fine
    }

    [Fact]
    public void AReactionNamesItsFirstReactorsAndCountsTheRest()
    {
        var m = Message(Ana);
        for (var i = 0; i < 25; i++)
        {
            var change = React(m, Person(i), "👍", true);
            Assert.Equal(ReactorChange.Add, change.Reactors);
            m = change.Message!;
        }

        var r = Assert.Single(m.Reactions!);
        Assert.Equal((25, MessageChanges.ShownReactors), (r.Total, r.Users.Count));
        Assert.Equal(Enumerable.Range(0, MessageChanges.ShownReactors).Select(i => Person(i).Id), r.Users.Select(u => u.Id));
        // Past the named, the message cannot say who reacted: the reactors set does.
        Assert.True(MessageChanges.NeedsReactorLookup(m, Person(20), "👍"));
        Assert.False(MessageChanges.NeedsReactorLookup(m, Person(3), "👍"), "a named reactor is known from the message");
        Assert.False(MessageChanges.NeedsReactorLookup(m, Person(3), "🎉"), "an emoji nobody put there needs no lookup");

        Assert.True(React(m, Person(20), "👍", on: true, counted: true).Unchanged, "a counted reactor reacting again changes nothing");
        Assert.True(React(m, Person(99), "👍", on: false, counted: false).Unchanged, "taking off what one never put there changes nothing");
        var off = React(m, Person(20), "👍", on: false, counted: true);
        Assert.Equal((ReactorChange.Remove, 24, MessageChanges.ShownReactors), (off.Reactors, off.Message!.Reactions![0].Total, off.Message.Reactions[0].Users.Count));
        // A named one taking theirs off leaves a gap the next to react fills.
        m = React(off.Message, Person(0), "👍", on: false).Message!;
        Assert.Equal((23, MessageChanges.ShownReactors - 1), (m.Reactions![0].Total, m.Reactions[0].Users.Count));
        m = React(m, Bo, "👍", on: true).Message!;
        Assert.Equal((24, "u_bo"), (m.Reactions![0].Total, m.Reactions[0].Users[^1].Id));
    }

    [Fact]
    public void AMessageCarriesABoundedNumberOfReactionsInAll()
    {
        var m = Message(Ana);
        for (var i = 0; i < Limit; i++)
        {
            m = React(m, Person(i), i % 2 == 0 ? "👍" : "🎉", true).Message!;
        }

        var refused = React(m, Bo, "👍", true);
        Assert.Equal(("too_many_reactions", null), (refused.Code, refused.Message));
        Assert.Equal("too_many_reactions", React(m, Bo, "😮", true).Code);
        // Taking one off is always possible, and makes room again.
        m = React(m, Person(0), "👍", false).Message!;
        Assert.NotNull(React(m, Bo, "👍", true).Message);
    }

    [Fact]
    public void AMessageStoredBeforeCountsWereKeptCountsItsNamedReactors()
    {
        // {"emoji":"👍","users":[…]} with no count: what earlier versions stored.
        var old = JsonSerializer.Deserialize("{\"emoji\":\"👍\",\"users\":[{\"id\":\"u_bo\",\"name\":\"Bo\"}]}", RecordJson.Context.Reaction)!;
        var m = Message(Ana) with { Reactions = [old] };

        Assert.Equal(1, old.Total);
        Assert.False(MessageChanges.NeedsReactorLookup(m, Ana, "👍"));
        Assert.Equal(2, React(m, Ana, "👍", true).Message!.Reactions![0].Count);
        Assert.Null(React(m, Bo, "👍", false).Message!.Reactions);
    }

    [Fact]
    public void ADeleteTakesEveryReactionOfTheMessageOutOfTheReactorsSet()
    {
        var reacted = React(Message(Ana), Bo, "👍", true).Message!;

        Assert.Equal(ReactorChange.Clear, MessageChanges.Delete(reacted, Ana).Reactors);
        Assert.Equal(ReactorChange.None, MessageChanges.Delete(Message(Ana), Ana).Reactors);
        Assert.Equal(ReactorChange.None, MessageChanges.Edit(reacted, Ana, "new", 0).Reactors);
    }

    [Theory]
    [InlineData("👍", true)]
    [InlineData("❤️", true)]
    [InlineData("👍🏽", true)]
    [InlineData("👩‍👩‍👧", true)]
    [InlineData("🇫🇷", true)]
    [InlineData("1️⃣", true)]
    [InlineData("✓", true)]
    [InlineData("a", false)]
    [InlineData("1", false)]
    [InlineData(":)", false)]
    [InlineData("👍👍", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("<b>", false)]
    public void AReactionIsOneEmoji(string? text, bool ok) => Assert.Equal(ok, MessageChanges.IsEmoji(text));

    [Fact]
    public void AnUpdateRecordBecomesTheV1UpdateFrameWithTheMessageAsItIsNow()
    {
        var edited = MessageChanges.Edit(Message(Ana), Ana, "fixed", 1_764_500_060_000).Message!;
        var body = RoomRecords.Update(new UpdateHead("c9", Ana, "edit", 5, 1_764_500_060_000), RoomRecords.Body(edited));

        // What update.lua publishes: "u " .. epoch .. " " .. seq .. " " .. target .. " " .. body
        var e = RoomRecords.Read("lobby", Encoding.UTF8.GetBytes($"u e1 42 5 {body}"))!;

        Assert.Equal((RoomEventKind.Update, "e1", 42L, 5L, "u_ana", true), (e.Kind, e.Epoch, e.Seq, e.Target, e.SenderId, e.IsLogged));
        using var json = JsonDocument.Parse(e.V1);
        var root = json.RootElement;
        Assert.Equal(("update", "lobby", 42L, "edit", 5L, "c9"),
            (root.GetProperty("type").GetString(), root.GetProperty("room").GetString(), root.GetProperty("seq").GetInt64(),
             root.GetProperty("change").GetString(), root.GetProperty("target").GetInt64(), root.GetProperty("id").GetString()));
        var message = root.GetProperty("message");
        Assert.Equal(("fixed", 1_764_500_060_000L, 3L), (message.GetProperty("text").GetString(), message.GetProperty("edited").GetInt64(), message.GetProperty("replyTo").GetInt64()));
    }

    [Fact]
    public void AnUpdateEntryFromHistoryReadsLikeTheRecord()
    {
        var body = RoomRecords.Update(new UpdateHead("c9", Bo, "react", 5, 0), RoomRecords.Body(React(Message(Ana), Bo, "👍", true).Message!));

        var e = RoomRecords.ReadUpdateEntry("lobby", "e1", Encoding.UTF8.GetBytes($"42 5 {body}"))!;

        Assert.Equal((42L, 5L, "u_bo"), (e.Seq, e.Target, e.SenderId));
        Assert.Null(RoomRecords.ReadUpdateEntry("lobby", "e1", Encoding.UTF8.GetBytes($"42 {body}")));
    }

    [Fact]
    public void AMessageEntryReadsBackWhole()
    {
        var m = React(Message(Ana), Bo, "👍", true).Message!;

        var entry = Encoding.UTF8.GetBytes($"7 {RoomRecords.Body(m)}");
        var back = RoomRecords.ReadBody(entry)!;

        Assert.Equal((m.Text, m.ReplyTo, m.Version, "👍", "u_bo"), (back.Text, back.ReplyTo, back.Version, back.Reactions![0].Emoji, back.Reactions[0].Users[0].Id));
        Assert.Equal(1, RoomRecords.ReadEntry("lobby", "e1", entry)!.Version);
        Assert.Equal(entry.Length, RoomRecords.EntryBytes(7, RoomRecords.Body(m)));
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("-", null)]
    public void AMessageRecordCarriesItsTraceAndTheFrameDoesNot(string trace, string? expected)
    {
        var body = RoomRecords.Body(Message(Ana));

        var e = RoomRecords.Read("lobby", Encoding.UTF8.GetBytes($"m e1 {trace} 7 {body}"))!;

        Assert.Equal((7L, "hello", expected), (e.Seq, e.Text, e.TraceParent));
        Assert.DoesNotContain("traceparent", Encoding.UTF8.GetString(e.V1.Span));
        Assert.DoesNotContain("traceparent", body);
    }

    [Fact]
    public void ARecordFromAReplicaBeforeTracesLeftTheBodyStillReadsWithItsTrace()
    {
        const string old = """m e1 7 {"id":"c1","user":{"id":"u_ana","name":"Ana"},"text":"hi","ts":1,"traceparent":"00-abc-def-01"}""";

        var e = RoomRecords.Read("lobby", Encoding.UTF8.GetBytes(old))!;

        Assert.Equal((7L, "hi", "00-abc-def-01"), (e.Seq, e.Text, e.TraceParent));
    }
}
