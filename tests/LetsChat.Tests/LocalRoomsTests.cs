using System.Diagnostics.Metrics;
using System.Text;
using LetsChat.RoomService;
using LetsChat.RoomService.Connections;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LetsChat.Tests;

public class LocalRoomsTests
{
    private static readonly RoomTelemetry s_telemetry =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    private readonly FakeBroker _broker = new();
    private readonly LocalRooms _rooms;

    public LocalRoomsTests() => _rooms = new LocalRooms(_broker, s_telemetry);

    private static ChatConnection NewConnection(int queueCapacity = 16) =>
        new(new RoomServiceOptions { SendQueueCapacity = queueCapacity }, s_telemetry);

    [Fact]
    public async Task JoinSubscribesOncePerRoomHoweverManyMembersJoin()
    {
        for (var i = 0; i < 5; i++)
        {
            await _rooms.JoinAsync("a", NewConnection(), CancellationToken.None);
        }
        await _rooms.JoinAsync("b", NewConnection(), CancellationToken.None);

        Assert.Equal(1, _broker.Active("a"));
        Assert.Equal(1, _broker.Active("b"));
        Assert.Equal(2, _broker.TotalSubscribes);
        Assert.Equal(2, _rooms.Count);
    }

    [Fact]
    public async Task LeaveUnsubscribesOnlyWhenTheLastMemberLeaves()
    {
        var first = NewConnection();
        var second = NewConnection();
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
        var member = NewConnection();
        var room = await _rooms.JoinAsync("a", member, CancellationToken.None);
        await _rooms.LeaveAsync(room, member);

        var again = await _rooms.JoinAsync("a", NewConnection(), CancellationToken.None);

        Assert.NotSame(room, again);
        Assert.Equal(1, _broker.Active("a"));
        Assert.Equal(2, _broker.TotalSubscribes);
    }

    [Fact]
    public async Task ConcurrentJoinsAndLeavesNeverHoldTwoSubscriptionsForOneRoom()
    {
        var work = Enumerable.Range(0, 200).Select(async _ =>
        {
            var member = NewConnection();
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

        await Assert.ThrowsAsync<InvalidOperationException>(() => _rooms.JoinAsync("a", NewConnection(), CancellationToken.None));

        Assert.Equal(0, _rooms.Count);
        _broker.FailSubscribe = null;
        await _rooms.JoinAsync("a", NewConnection(), CancellationToken.None);
        Assert.Equal(1, _broker.Active("a"));
    }

    [Fact]
    public async Task PublishedBytesReachEveryMemberOfTheRoomOnly()
    {
        var inRoom = new[] { NewConnection(), NewConnection(), NewConnection() };
        var elsewhere = NewConnection();
        foreach (var member in inRoom)
        {
            await _rooms.JoinAsync("a", member, CancellationToken.None);
        }
        await _rooms.JoinAsync("b", elsewhere, CancellationToken.None);

        await _broker.PublishAsync("a", Encoding.UTF8.GetBytes("""{"message":"hi"}"""), CancellationToken.None);

        Assert.All(inRoom, member => Assert.Equal(1, member.PendingFrames));
        Assert.Equal(0, elsewhere.PendingFrames);
    }

    [Fact]
    public async Task AMemberWhoseQueueFillsIsClosedWith1013AndOthersKeepReceiving()
    {
        var slow = NewConnection(queueCapacity: 2);
        var healthy = NewConnection(queueCapacity: 16);
        await _rooms.JoinAsync("a", slow, CancellationToken.None);
        await _rooms.JoinAsync("a", healthy, CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            await _broker.PublishAsync("a", new byte[] { (byte)i }, CancellationToken.None);
        }

        Assert.Equal(1013, (int?)slow.CloseStatus);
        Assert.Null(healthy.CloseStatus);
        Assert.Equal(3, healthy.PendingFrames);
    }
}
