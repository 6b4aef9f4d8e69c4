using LetsChat.RoomService;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;
using static LetsChat.Tests.TestRooms;

namespace LetsChat.Tests;

public class LocalRoomsTests
{
    private readonly FakeBroker _broker = new();
    private readonly FakeHistory _history = new();
    private readonly LocalRooms _rooms;

    public LocalRoomsTests() =>
        _rooms = new LocalRooms(_broker, new RoomFeed(_broker, _history, Microsoft.Extensions.Options.Options.Create(new RoomServiceOptions { JoinHistory = 2 }), Telemetry, Microsoft.Extensions.Logging.Abstractions.NullLogger<RoomFeed>.Instance));

    [Fact]
    public async Task JoinSubscribesOncePerRoomHoweverManyMembersJoin()
    {
        for (var i = 0; i < 5; i++)
        {
            await _rooms.JoinAsync("a", NewMember(), CancellationToken.None);
        }
        await _rooms.JoinAsync("b", NewMember(), CancellationToken.None);

        Assert.Equal(1, _broker.Active("a"));
        Assert.Equal(1, _broker.Active("b"));
        Assert.Equal(2, _broker.TotalSubscribes);
        Assert.Equal(2, _rooms.Count);
    }

    [Fact]
    public async Task LeaveUnsubscribesOnlyWhenTheLastMemberLeaves()
    {
        var first = NewMember();
        var second = NewMember();
        var room = await _rooms.JoinAsync("a", first, CancellationToken.None);
        await _rooms.JoinAsync("a", second, CancellationToken.None);

        await _rooms.LeaveAsync(room, first);
        Assert.Equal(1, _broker.Active("a"));

        await _rooms.LeaveAsync(room, second);
        Assert.Equal(0, _broker.Active("a"));
        Assert.Equal(0, _rooms.Count);
    }

    [Fact]
    public async Task JoinAfterTheRoomEmptiedSubscribesAgain()
    {
        var member = NewMember();
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);
        await _rooms.LeaveAsync(room, member);

        var again = await _rooms.JoinAsync("a", NewMember(), CancellationToken.None);

        Assert.NotSame(room, again);
        Assert.Equal(1, _broker.Active("a"));
        Assert.Equal(2, _broker.TotalSubscribes);
    }

    [Fact]
    public async Task ConcurrentJoinsAndLeavesNeverHoldTwoSubscriptionsForOneRoom()
    {
        var work = Enumerable.Range(0, 200).Select(async _ =>
        {
            var member = NewMember();
            var room = await _rooms.JoinAsync("busy", member, CancellationToken.None);
            await Task.Yield();
            await _rooms.LeaveAsync(room, member);
        });
        await Task.WhenAll(work);

        Assert.Equal(1, _broker.MaxActive("busy"));
        Assert.Equal(0, _broker.Active("busy"));
        Assert.Equal(0, _rooms.Count);
    }

    [Fact]
    public async Task FailedFirstSubscribeLeavesNoRoomBehind()
    {
        _broker.FailSubscribe = new InvalidOperationException("redis down");

        await Assert.ThrowsAsync<InvalidOperationException>(() => _rooms.JoinAsync("a", NewMember(), CancellationToken.None));

        Assert.Equal(0, _rooms.Count);
        _broker.FailSubscribe = null;
        await _rooms.JoinAsync("a", NewMember(), CancellationToken.None);
        Assert.Equal(1, _broker.Active("a"));
    }

    [Fact]
    public async Task PublishedFramesReachEveryMemberOfTheRoomOnly()
    {
        var inRoom = new[] { NewMember(), NewMember(), NewMember() };
        var elsewhere = NewMember();
        foreach (var member in inRoom)
        {
            await _rooms.JoinAsync("a", member, CancellationToken.None);
        }
        await _rooms.JoinAsync("b", elsewhere, CancellationToken.None);

        await _broker.DeliverAsync("a", MessageEvent(1, "hello"));

        Assert.All(inRoom, member => Assert.Equal(["""{"message":"hello"}"""], Drain(member)));
        Assert.Empty(Drain(elsewhere));
    }

    [Fact]
    public async Task AMemberWhoseSendBufferFillsIsClosedWith1013AndOthersKeepReceiving()
    {
        // A connection without a socket keeps everything waiting, as one whose client stopped reading does.
        var frameBytes = MessageEvent(1).SeedWire.Length;
        var slow = NewMember(sendBufferBytes: 2 * frameBytes);
        var healthy = NewMember(sendBufferBytes: 16 * frameBytes);
        await _rooms.JoinAsync("a", slow, CancellationToken.None);
        await _rooms.JoinAsync("a", healthy, CancellationToken.None);

        for (var seq = 1; seq <= 3; seq++)
        {
            await _broker.DeliverAsync("a", MessageEvent(seq));
        }

        Assert.Equal(1013, (int?)slow.Socket().CloseStatus);
        Assert.Null(healthy.Socket().CloseStatus);
        Assert.Equal(3 * frameBytes, healthy.Socket().PendingBytes);
    }

    [Fact]
    public async Task AGapInTheSeqsIsFilledFromHistoryInOrderBeforeTheMessageThatRevealedIt()
    {
        var member = NewMember();
        await _rooms.JoinAsync("a", member, CancellationToken.None);
        for (var seq = 1; seq <= 5; seq++)
        {
            _history.Log.Add(MessageEvent(seq, $"m{seq}"));
        }

        await _broker.DeliverAsync("a", MessageEvent(1, "m1"));
        // 2, 3 and 4 never came over pub/sub (a reconnect, say); 5 reveals the gap.
        await _broker.DeliverAsync("a", MessageEvent(5, "m5"));

        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], Drain(member).Select(SeedText));
        Assert.Equal([("a", 1L, 3)], _history.AfterCalls);
    }

    [Fact]
    public async Task ANewEpochThatStartedUnheardIsFilledFromItsFirstMessage()
    {
        var member = NewMember();
        await _rooms.JoinAsync("a", member, CancellationToken.None);
        await _broker.DeliverAsync("a", MessageEvent(7, "old", epoch: "e1"));
        _history.Log.Add(MessageEvent(1, "new1", epoch: "e2"));
        _history.Log.Add(MessageEvent(2, "new2", epoch: "e2"));

        await _broker.DeliverAsync("a", MessageEvent(3, "new3", epoch: "e2"));

        Assert.Equal(["old", "new1", "new2", "new3"], Drain(member).Select(SeedText));
    }

    [Fact]
    public async Task NoGapNoHistoryRead()
    {
        var member = NewMember();
        await _rooms.JoinAsync("a", member, CancellationToken.None);

        for (var seq = 3; seq <= 6; seq++)
        {
            await _broker.DeliverAsync("a", MessageEvent(seq));
        }

        Assert.Empty(_history.AfterCalls);
        Assert.Equal(4, Drain(member).Count);
    }

    [Fact]
    public async Task WhenHistoryIsUnreachableTheLiveMessageStillGoesOut()
    {
        var member = NewMember();
        await _rooms.JoinAsync("a", member, CancellationToken.None);
        await _broker.DeliverAsync("a", MessageEvent(1, "m1"));
        _history.Fail = new InvalidOperationException("redis down");

        await _broker.DeliverAsync("a", MessageEvent(4, "m4"));

        Assert.Equal(["m1", "m4"], Drain(member).Select(SeedText));
    }

    [Fact]
    public async Task AFeedCheckThatFindsTheLogBehindWhatWasDeliveredRewindsIt()
    {
        var room = await _rooms.JoinAsync("a", NewMember(), CancellationToken.None);
        for (var seq = 1; seq <= 5; seq++)
        {
            await _broker.DeliverAsync("a", MessageEvent(seq, $"m{seq}"));
        }
        // Redis came back with only the first 3 (its last writes lost): this replica delivered 5.
        _history.Log.AddRange([MessageEvent(1, "m1"), MessageEvent(2, "m2"), MessageEvent(3, "m3")]);

        Assert.True(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.All(_history.Log, m => Assert.Equal("e1-rewound", m.Epoch));
    }

    [Fact]
    public async Task ARewindGivesV1MembersOneResetWithTheKeptLogAndSeedMembersNothing()
    {
        var seed = NewMember();
        var v1 = NewMember(ChatProtocolKind.V1);
        var room = await _rooms.JoinAsync("a", seed, CancellationToken.None);
        await _rooms.JoinAsync("a", v1, CancellationToken.None);
        v1.GoLive("e1", 0);
        for (var seq = 1; seq <= 5; seq++)
        {
            await _broker.DeliverAsync("a", MessageEvent(seq, $"m{seq}"));
        }
        Drain(seed);
        Drain(v1);
        // The log kept 1..3 and goes on as e2 (what publish.lua and read.lua announce).
        _history.Log.AddRange([MessageEvent(1, "m1", "e2"), MessageEvent(2, "m2", "e2"), MessageEvent(3, "m3", "e2")]);

        await _broker.DeliverAsync("a", RoomRecords.Read("a", "r e2 3"u8.ToArray())!);
        await _broker.DeliverAsync("a", MessageEvent(4, "new4", epoch: "e2"));

        var frames = Drain(v1);
        Assert.Equal(2, frames.Count);
        using (var reset = System.Text.Json.JsonDocument.Parse(frames[0]))
        {
            Assert.Equal("reset", reset.RootElement.GetProperty("type").GetString());
            Assert.Equal("e2", reset.RootElement.GetProperty("epoch").GetString());
            Assert.Equal(["m2", "m3"], reset.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        }
        Assert.Equal(MessageFrame(4, "new4", "e2"), frames[1]);
        Assert.Equal(["new4"], Drain(seed).Select(SeedText));
        Assert.Equal(("e2", 4L), room.Feed);
    }

    [Fact]
    public async Task ADeafSubscriptionIsRefilledFromTheLogAndResubscribedAtTheSecondCheck()
    {
        var member = NewMember();
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);
        _history.Log.Add(MessageEvent(1, "m1"));
        await _broker.DeliverAsync("a", MessageEvent(1, "m1"));
        // 2 and 3 reach the log, but the subscription has gone deaf: pub/sub brings nothing.
        _history.Log.Add(MessageEvent(2, "m2"));
        _history.Log.Add(MessageEvent(3, "m3"));

        // The first check only notices the log is ahead (the messages may still be in flight).
        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.Equal(["m1"], Drain(member).Select(SeedText));
        // The second finds nothing arrived since: it refills, in order, and subscribes again.
        Assert.True(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.Equal(["m2", "m3"], Drain(member).Select(SeedText));
        Assert.Equal(2, _broker.TotalSubscribes);
        Assert.Equal(1, _broker.Active("a"));

        // The new subscription delivers, and a late copy of 3 from anywhere is not delivered twice.
        await _broker.DeliverAsync("a", MessageEvent(3, "m3"));
        await _broker.DeliverAsync("a", MessageEvent(4, "m4"));
        Assert.Equal(["m4"], Drain(member).Select(SeedText));
    }

    [Fact]
    public async Task AFeedThatKeepsUpIsNeverResubscribed()
    {
        var member = NewMember();
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);
        for (var seq = 1; seq <= 4; seq++)
        {
            _history.Log.Add(MessageEvent(seq, $"m{seq}"));
            // Each check sees the log one ahead (the message is in flight), then the message arrives.
            Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
            await _broker.DeliverAsync("a", MessageEvent(seq, $"m{seq}"));
        }
        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.Equal(1, _broker.TotalSubscribes);
        Assert.Equal(["m1", "m2", "m3", "m4"], Drain(member).Select(SeedText));
    }

    [Fact]
    public async Task ARoomDeafFromItsStartIsRefilledFromTheLogsHeadAtTheFirstCheck()
    {
        var member = NewMember();
        _history.Log.Add(MessageEvent(7, "before the join"));
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);

        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None)); // baseline: seq 7
        _history.Log.Add(MessageEvent(8, "m8"));
        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.True(await _rooms.CheckFeedAsync(room, CancellationToken.None));

        Assert.Equal(["m8"], Drain(member).Select(SeedText));
    }

    [Fact]
    public async Task ALogThatCameBackAsANewIncarnationIsDeliveredFromItsFirstMessage()
    {
        var member = NewMember();
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);
        _history.Log.Add(MessageEvent(5, "old", epoch: "e1"));
        await _broker.DeliverAsync("a", MessageEvent(5, "old", epoch: "e1"));
        // Redis restarted empty; the subscription stayed deaf through it.
        _history.Log.Clear();
        _history.Log.Add(MessageEvent(1, "new1", epoch: "e2"));
        _history.Log.Add(MessageEvent(2, "new2", epoch: "e2"));

        Assert.False(await _rooms.CheckFeedAsync(room, CancellationToken.None));
        Assert.True(await _rooms.CheckFeedAsync(room, CancellationToken.None));

        Assert.Equal(["old", "new1", "new2"], Drain(member).Select(SeedText));
    }

    private static string SeedText(string frame) =>
        System.Text.Json.JsonDocument.Parse(frame).RootElement.GetProperty("message").GetString()!;
}
