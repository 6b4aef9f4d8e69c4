using LetsChat.RoomService.Rooms;
using static LetsChat.Tests.TestRooms;

namespace LetsChat.Tests;

public class LocalRoomsTests
{
    private readonly FakeBroker _broker = new();
    private readonly LocalRooms _rooms;

    public LocalRoomsTests() => _rooms = new LocalRooms(_broker, Telemetry);

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

        await _broker.PublishTransientAsync("a", MessageFrame(1, "hello"), CancellationToken.None);

        Assert.All(inRoom, member => Assert.Equal(["""{"message":"hello"}"""], Drain(member)));
        Assert.Empty(Drain(elsewhere));
    }

    [Fact]
    public async Task AMemberWhoseQueueFillsIsClosedWith1013AndOthersKeepReceiving()
    {
        var slow = NewMember(queueCapacity: 2);
        var healthy = NewMember(queueCapacity: 16);
        await _rooms.JoinAsync("a", slow, CancellationToken.None);
        await _rooms.JoinAsync("a", healthy, CancellationToken.None);

        for (var seq = 1; seq <= 3; seq++)
        {
            await _broker.PublishTransientAsync("a", MessageFrame(seq), CancellationToken.None);
        }

        Assert.Equal(1013, (int?)slow.Connection.CloseStatus);
        Assert.Null(healthy.Connection.CloseStatus);
        Assert.Equal(3, healthy.Connection.PendingFrames);
    }

    [Fact]
    public async Task AnUnreadableFrameIsDroppedWithoutReachingMembers()
    {
        var member = NewMember();
        await _rooms.JoinAsync("a", member, CancellationToken.None);

        await _broker.PublishTransientAsync("a", "not json"u8.ToArray(), CancellationToken.None);
        await _broker.PublishTransientAsync("a", MessageFrame(1, "after"), CancellationToken.None);

        Assert.Equal(["""{"message":"after"}"""], Drain(member));
    }
}
