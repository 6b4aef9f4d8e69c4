using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Edits, deletes, reactions and replies on the whole app, two replicas, on every Redis backend:
/// each is an event with its own seq in the room's log, so it arrives in order on the other
/// replica, replays once on resume (a message's latest update only), and history pages show every
/// message as it is now.
/// </summary>
public abstract class ConversationSpec(ChatAppFixture app)
{
    private static string NewRoom(string what) => $"{what}-{Guid.NewGuid():N}";

    private static object Edit(string id, long seq, string text) => new { type = "edit", id, seq, text };

    private static object Delete(string id, long seq) => new { type = "delete", id, seq };

    private static object React(string id, long seq, string emoji, bool on) => new { type = "react", id, seq, emoji, on };

    private static object Reply(string id, long replyTo, string text) => new { type = "send", id, text, replyTo };

    [Fact]
    public async Task EditsDeletesReactionsAndRepliesReachTheOtherReplicaInOrderAndHistoryShowsTheResult()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = NewRoom("conversation");
        await using var ana = await V1Client.ConnectAsync(app, room, ct);
        await using var bo = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct);

        var helo = await ana.SendAndAckAsync("helo", "a1", ct);
        var hi = await bo.SendAndAckAsync("hi", "b1", ct);
        var edit = await ana.SendAndAckAsync(Edit("a2", helo, "hello"), "a2", ct);
        var thumbs = await bo.SendAndAckAsync(React("b2", helo, "👍", on: true), "b2", ct);
        var reply = await ana.SendAndAckAsync(Reply("a3", hi, "hey you"), "a3", ct);
        var oops = await ana.SendAndAckAsync("oops, wrong room", "a4", ct);
        var oopsEdit = await ana.SendAndAckAsync(Edit("a6", oops, "oops, still the wrong room"), "a6", ct);
        var delete = await ana.SendAndAckAsync(Delete("a5", oops), "a5", ct);

        // Bo's replica delivers all of it, in seq order: the updates are events of the log like the messages.
        var frames = await bo.ReceiveLoggedAsync(8, ct);
        Assert.Equal([helo, hi, edit, thumbs, reply, oops, oopsEdit, delete], frames.Select(f => f.Seq()));
        Assert.Equal(["message", "message", "update", "update", "message", "message", "update", "update"], frames.Select(f => f.Type()));
        Assert.Equal(("edit", helo, "hello"), (frames[2].GetProperty("change").GetString(), frames[2].GetProperty("target").GetInt64(), frames[2].GetProperty("message").Text()));
        Assert.True(frames[2].GetProperty("message").TryGetProperty("edited", out _), "an edited message says so");
        var reaction = frames[3].GetProperty("message").GetProperty("reactions").EnumerateArray().Single();
        Assert.Equal(("👍", bo.UserId), (reaction.GetProperty("emoji").GetString(), reaction.GetProperty("users").EnumerateArray().Single().GetProperty("id").GetString()));
        Assert.Equal(hi, frames[4].GetProperty("replyTo").GetInt64());
        Assert.Equal(("delete", true, ""), (frames[7].GetProperty("change").GetString(), frames[7].GetProperty("message").GetProperty("deleted").GetBoolean(), frames[7].GetProperty("message").Text()));

        // A page of history is messages, each as it is now: four messages, not eight events.
        using var http = new HttpClient { BaseAddress = app.Gateway };
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages", ct);
        var messages = page.Messages();
        Assert.Equal([helo, hi, reply, oops], messages.Select(m => m.Seq()));
        Assert.Equal(["hello", "hi", "hey you", ""], messages.Select(m => m.Text()));
        Assert.Equal("👍", messages[0].GetProperty("reactions")[0].GetProperty("emoji").GetString());
        Assert.True(messages[3].GetProperty("deleted").GetBoolean());

        // The deleted text, and its edit, are gone from Redis, not only from what the app shows.
        var cli = await RedisCli.ForAsync(app, ct);
        var stored = await cli.RunAsync(ct, "ZRANGE", $"letschat:{{{room}}}:log", "0", "-1") + await cli.RunAsync(ct, "ZRANGE", $"letschat:{{{room}}}:updates", "0", "-1");
        Assert.DoesNotContain("oops", stored);
        Assert.Contains("hello", stored);
    }

    [Fact]
    public async Task AClientThatMissedUpdatesGetsEachOnceWhenItResumesOnTheOtherReplica()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = NewRoom("missed");
        await using var ana = await V1Client.ConnectAsync(app, room, ct);
        var first = await ana.SendAndAckAsync("first", "a1", ct);
        var second = await ana.SendAndAckAsync("second", "a2", ct);

        var reader = await V1Client.ConnectAsync(app, room, ct);
        var (epoch, seen, replica) = (reader.Epoch, reader.Welcome.GetProperty("seq").GetInt64(), reader.Replica);
        await reader.DisposeAsync();

        var edit = await ana.SendAndAckAsync(Edit("a3", first, "first!"), "a3", ct);
        var react = await ana.SendAndAckAsync(React("a4", second, "🎉", on: true), "a4", ct);
        var third = await ana.SendAndAckAsync("third", "a5", ct);
        var unreact = await ana.SendAndAckAsync(React("a6", second, "🎉", on: false), "a6", ct);
        var delete = await ana.SendAndAckAsync(Delete("a7", third), "a7", ct);
        var fourth = await ana.SendAndAckAsync("fourth", "a8", ct);

        await using var back = await V1Client.ConnectElsewhereAsync(app, room, replica, ct, epoch: epoch, after: seen);
        Assert.True(back.Welcome.GetProperty("resumed").GetBoolean());
        // A message keeps only its latest update (it holds the whole message as it is now), so the
        // reaction that was taken off again comes only as its last state.
        var missed = await back.ReceiveLoggedAsync(5, ct);
        Assert.Equal([edit, third, unreact, delete, fourth], missed.Select(f => f.Seq()));
        Assert.DoesNotContain(react, missed.Select(f => f.Seq()));
        // The third message comes as it is now (deleted), and its delete after it; applying both is the same.
        Assert.True(missed[1].GetProperty("deleted").GetBoolean());
        Assert.False(missed[2].GetProperty("message").TryGetProperty("reactions", out _), "the last reaction taken off leaves none");

        // Nothing more comes than what happens next.
        var live = await ana.SendAndAckAsync("live", "a9", ct);
        var next = await back.ReceiveTypeAsync("message", ct);
        Assert.Equal((live, "live"), (next.Seq(), next.Text()));
    }

    [Fact]
    public async Task OnlyTheAuthorEditsOrDeletesAndARefusedChangeLeavesRedisAsItWas()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = NewRoom("authz");
        var anasCookie = await Sessions.CreateAsync(app, "Ana", ct);
        await using var ana = await V1Client.ConnectAsync(app, room, ct, cookie: anasCookie);
        await using var mallory = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct);
        var seq = await ana.SendAndAckAsync("mine", "a1", ct);
        var cli = await RedisCli.ForAsync(app, ct);
        async Task<string> StateAsync() =>
            string.Join("\n", await cli.RunAsync(ct, "GET", $"letschat:{{{room}}}:seq"), await cli.RunAsync(ct, "ZRANGE", $"letschat:{{{room}}}:log", "0", "-1"),
                await cli.RunAsync(ct, "ZRANGE", $"letschat:{{{room}}}:updates", "0", "-1"));
        var before = await StateAsync();

        Assert.Equal("forbidden", (await mallory.SendAndErrorAsync(Edit("m1", seq, "not yours"), "m1", ct)).GetProperty("code").GetString());
        Assert.Equal("forbidden", (await mallory.SendAndErrorAsync(Delete("m2", seq), "m2", ct)).GetProperty("code").GetString());
        Assert.Equal("not_found", (await mallory.SendAndErrorAsync(Edit("m3", 999_999, "nothing there"), "m3", ct)).GetProperty("code").GetString());
        Assert.Equal("not_found", (await mallory.SendAndErrorAsync(React("m4", 999_999, "👍", true), "m4", ct)).GetProperty("code").GetString());
        Assert.Equal("not_found", (await mallory.SendAndErrorAsync(Reply("m5", 999_999, "to nothing"), "m5", ct)).GetProperty("code").GetString());
        Assert.Equal("invalid_emoji", (await mallory.SendAndErrorAsync(React("m6", seq, "<script>", true), "m6", ct)).GetProperty("code").GetString());
        Assert.Equal("invalid_seq", (await mallory.SendAndErrorAsync(new { type = "edit", id = "m7", text = "which?" }, "m7", ct)).GetProperty("code").GetString());
        Assert.Equal("empty_text", (await ana.SendAndErrorAsync(Edit("a2", seq, "  "), "a2", ct)).GetProperty("code").GetString());
        Assert.Equal(before, await StateAsync());

        // The author is the session's user, on any socket: Ana's second tab may edit it.
        await using var anasOtherTab = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct, cookie: anasCookie);
        await anasOtherTab.SendAndAckAsync(Edit("t1", seq, "mine, edited"), "t1", ct);
        // A retry of the same edit (same id) is acked as a duplicate and stored once.
        await anasOtherTab.SendFrameAsync(Edit("t1", seq, "mine, edited"), ct);
        var retry = await anasOtherTab.ReceiveTypeAsync("ack", ct);
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Single((await cli.RunAsync(ct, "ZRANGE", $"letschat:{{{room}}}:updates", "0", "-1")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// The scripts are called by hash. A Redis that has forgotten them (a restart, a failover, or
    /// SCRIPT FLUSH, as here on every master) is sent their text once, and the sends go on.
    /// </summary>
    [Fact]
    public async Task ARedisThatForgotTheScriptsStillStoresSendsAndReactions()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = NewRoom("flushed");
        await using var ana = await V1Client.ConnectAsync(app, room, ct);
        await using var bo = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, ct);
        var before = await ana.SendAndAckAsync("before the flush", "a1", ct);

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
            (await app.App.GetConnectionStringAsync("redis", ct))! + ",allowAdmin=true");
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            await server.ScriptFlushAsync();
        }

        var after = await ana.SendAndAckAsync("after the flush", "a2", ct);
        var reaction = await bo.SendAndAckAsync(React("b1", after, "👍", on: true), "b1", ct);
        Assert.Equal((before + 1, after + 1), (after, reaction));
        var seen = await bo.ReceiveMessagesAsync(2, ct);
        Assert.Equal(["before the flush", "after the flush"], seen.Select(m => m.GetProperty("text").GetString()));
    }

    /// <summary>
    /// The update's compare-and-swap, at the broker, on this Redis: a change decided on a state
    /// that another change replaced before it was stored is decided again on the new state, and
    /// one that loses every try says <c>conflict</c> and stores nothing.
    /// </summary>
    [Fact]
    public async Task AnUpdateThatLostItsMessageToAnotherIsDecidedAgainOnTheNewState()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = NewRoom("cas");
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
            (await app.App.GetConnectionStringAsync("redis", ct))!);
        var broker = Brokers.For(redis);
        var (ana, bo, carol) = (new ChatUser("u_ana", "Ana"), new ChatUser("u_bo", "Bo"), new ChatUser("u_carol", "Carol"));
        var seq = (await broker.PublishAsync(room, new OutgoingMessage(ana, "a1", "react to me", DateTimeOffset.UtcNow), ct)).Seq;
        MessageUpdate Reaction(ChatUser user, string id, string emoji) => new(user, id, "react", seq, DateTimeOffset.UtcNow, emoji);
        Change PutOn(MessageState state, ChatUser user, string emoji) =>
            MessageChanges.React(state.Message, user, emoji, on: true, maxReactions: 100, counted: false);

        // Bo decides on the message as it is; Carol's reaction lands before Bo's is stored.
        var seen = new List<MessageState>();
        var bos = await broker.UpdateAsync(room, Reaction(bo, "b1", "👍"), state =>
        {
            seen.Add(state);
            if (seen.Count == 1)
            {
                // decide is synchronous: the other change must be stored before it returns.
                Assert.Null(broker.UpdateAsync(room, Reaction(carol, "c1", "❤️"), s => PutOn(s, carol, "❤️"), ct).GetAwaiter().GetResult().Refused);
            }
            return PutOn(state, bo, "👍");
        }, ct);

        Assert.Null(bos.Refused);
        Assert.Equal(2, seen.Count);
        Assert.Null(seen[0].Message.Reactions);
        Assert.Equal("❤️", Assert.Single(seen[1].Message.Reactions!).Emoji);
        var after = await broker.UpdateAsync(room, Reaction(ana, "a2", "🎉"), s => PutOn(s, ana, "🎉"), ct);
        Assert.Null(after.Refused);

        // Someone always gets there first: every try is decided anew, then the broker gives up.
        var tries = 0;
        var lost = await broker.UpdateAsync(room, Reaction(bo, "b2", "🔥"), state =>
        {
            tries++;
            Assert.Null(broker.UpdateAsync(room, Reaction(carol, $"c{tries + 1}", "❤️"), s => s.Message.Reactions!.Any(r => r.Emoji == "❤️" && r.Total > 0)
                ? MessageChanges.React(s.Message, carol, "❤️", on: false, maxReactions: 100)
                : PutOn(s, carol, "❤️"), ct).GetAwaiter().GetResult().Refused);
            return PutOn(state, bo, "🔥");
        }, ct);

        // Carol's ❤️ went off and on five times, so it is off; Bo's 🔥 never went in.
        Assert.Equal(("conflict", 5), (lost.Refused, tries));
        using var http = new HttpClient { BaseAddress = app.Gateway };
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages", ct);
        var message = page.Messages().Single(m => m.Seq() == seq);
        Assert.Equal(new HashSet<string?> { "👍", "🎉" }, message.GetProperty("reactions").EnumerateArray().Select(r => r.GetProperty("emoji").GetString()).ToHashSet());
    }
}

[Collection(ServerRedisCollection.Name)]
public sealed class ConversationOnRedisServerTests(ServerRedisApp app) : ConversationSpec(app);

[Collection(GarnetRedisCollection.Name)]
public sealed class ConversationOnGarnetTests(GarnetRedisApp app) : ConversationSpec(app);

[Collection(ClusterCollection.Name)]
public sealed class ConversationOnClusterTests(ClusterApp app) : ConversationSpec(app);
