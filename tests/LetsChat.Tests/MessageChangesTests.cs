using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Rooms;

namespace LetsChat.Tests;

/// <summary>What edits, deletes and reactions do to a message, who may make them, and how they travel.</summary>
public class MessageChangesTests
{
    private static readonly ChatUser Ana = new("u_ana", "Ana");
    private static readonly ChatUser Bo = new("u_bo", "Bo");

    private static MessageBody Message(ChatUser author, string text = "hello") =>
        new("c1", author, text, 1_764_500_000_000, "00-trace") { ReplyTo = 3 };

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
        var reacted = MessageChanges.React(Message(Ana, "secret"), Bo, "👍", on: true).Message!;

        var tombstone = MessageChanges.Delete(reacted, Ana).Message!;

        Assert.True(tombstone.Deleted);
        Assert.Equal(("", null, null, null, Ana), (tombstone.Text, tombstone.Reactions, tombstone.ReplyTo, tombstone.TraceParent, tombstone.User));
        Assert.DoesNotContain("secret", RoomRecords.Body(tombstone));
        Assert.Equal(2, tombstone.Version);
    }

    [Fact]
    public void ADeletedMessageCannotBeEditedOrReactedToAndDeletingItAgainChangesNothing()
    {
        var tombstone = MessageChanges.Delete(Message(Ana), Ana).Message!;

        Assert.Equal("not_found", MessageChanges.Edit(tombstone, Ana, "back", 0).Code);
        Assert.Equal("not_found", MessageChanges.React(tombstone, Bo, "👍", true).Code);
        var again = MessageChanges.Delete(tombstone, Ana);
        Assert.True(again.Unchanged, "a second delete stores nothing (a retry is acked by the log's dedupe)");
        Assert.Equal(tombstone, again.Message);
        Assert.Equal("forbidden", MessageChanges.Delete(tombstone, Bo).Code);
    }

    [Fact]
    public void AChangeThatChangesNothingIsMarkedUnchangedAndKeepsTheVersion()
    {
        var m = MessageChanges.Edit(Message(Ana), Ana, "hello again", 1).Message!;
        var reacted = MessageChanges.React(m, Bo, "👍", on: true).Message!;

        Assert.True(MessageChanges.Edit(m, Ana, "hello again", 2) is { Unchanged: true, Message.Version: 1 });
        Assert.True(MessageChanges.React(reacted, Bo, "👍", on: true) is { Unchanged: true, Message.Version: 2 });
        Assert.True(MessageChanges.React(reacted, Ana, "👍", on: false).Unchanged, "taking off a reaction one never made changes nothing");
        Assert.False(MessageChanges.React(reacted, Bo, "👍", on: false).Unchanged);
        Assert.False(MessageChanges.Edit(m, Ana, "hello, again", 2).Unchanged);
    }

    [Fact]
    public void ReactionsAreSetPerUserInTheOrderTheyCameAndEmptyOnesDisappear()
    {
        var m = Message(Ana);
        m = MessageChanges.React(m, Bo, "👍", on: true).Message!;
        m = MessageChanges.React(m, Ana, "🎉", on: true).Message!;
        m = MessageChanges.React(m, Ana, "👍", on: true).Message!;
        m = MessageChanges.React(m, Ana, "👍", on: true).Message!; // again: still once

        Assert.Equal(["👍", "🎉"], m.Reactions!.Select(r => r.Emoji));
        Assert.Equal(["u_bo", "u_ana"], m.Reactions![0].Users.Select(u => u.Id));

        m = MessageChanges.React(m, Bo, "👍", on: false).Message!;
        m = MessageChanges.React(m, Ana, "🎉", on: false).Message!;
        m = MessageChanges.React(m, Bo, "🎉", on: false).Message!; // taking off what is not there changes nothing

        var only = Assert.Single(m.Reactions!);
        Assert.Equal(("👍", "u_ana"), (only.Emoji, Assert.Single(only.Users).Id));
    }

    [Fact]
    public void AMessageCarriesABoundedNumberOfDistinctReactions()
    {
        var m = Message(Ana);
        var emoji = Enumerable.Range(0, MessageChanges.MaxReactions + 1).Select(i => char.ConvertFromUtf32(0x1F600 + i)).ToList();
        foreach (var e in emoji.Take(MessageChanges.MaxReactions))
        {
            m = MessageChanges.React(m, Bo, e, true).Message!;
        }

        Assert.Equal("too_many_reactions", MessageChanges.React(m, Bo, emoji[^1], true).Code);
        Assert.NotNull(MessageChanges.React(m, Ana, emoji[0], true).Message); // joining an existing one is fine
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
        var body = RoomRecords.Update(new UpdateBody("c9", Ana, "edit", 5, 1_764_500_060_000, edited));

        // What publish.lua publishes: "u " .. epoch .. " " .. seq .. " " .. target .. " " .. body
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
        var body = RoomRecords.Update(new UpdateBody("c9", Bo, "react", 5, 0, MessageChanges.React(Message(Ana), Bo, "👍", true).Message!));

        var e = RoomRecords.ReadUpdateEntry("lobby", "e1", Encoding.UTF8.GetBytes($"42 5 {body}"))!;

        Assert.Equal((42L, 5L, "u_bo"), (e.Seq, e.Target, e.SenderId));
        Assert.Null(RoomRecords.ReadUpdateEntry("lobby", "e1", Encoding.UTF8.GetBytes($"42 {body}")));
    }

    [Fact]
    public void AMessageEntryReadsBackWhole()
    {
        var m = MessageChanges.React(Message(Ana), Bo, "👍", true).Message!;

        var back = RoomRecords.ReadBody(RoomRecords.Entry(7, m))!;

        Assert.Equal((m.Text, m.ReplyTo, m.Version, "👍", "u_bo"), (back.Text, back.ReplyTo, back.Version, back.Reactions![0].Emoji, back.Reactions[0].Users[0].Id));
        Assert.Equal(1, RoomRecords.ReadEntry("lobby", "e1", Encoding.UTF8.GetBytes(RoomRecords.Entry(7, m)))!.Version);
    }
}
