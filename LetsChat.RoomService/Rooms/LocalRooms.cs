using System.Collections.Concurrent;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Telemetry;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// The rooms with members on this replica. Subscribes a room to the broker when its first local
/// member joins and unsubscribes when its last one leaves: one subscription per room per replica,
/// however many sockets are in it.
/// </summary>
public sealed class LocalRooms(IRoomBroker broker, RoomTelemetry telemetry)
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    public int Count => _rooms.Count;

    public IEnumerable<Room> All => _rooms.Values;

    public async Task<Room> JoinAsync(string name, Member member, CancellationToken cancellationToken)
    {
        while (true)
        {
            var room = _rooms.GetOrAdd(name, static n => new Room(n));
            await room.Gate.WaitAsync(cancellationToken);
            try
            {
                if (room.Retired)
                {
                    continue; // its last member left while we waited; the next lookup makes a fresh one
                }
                room.Subscription ??= await broker.SubscribeAsync(name, frame => Deliver(room, frame), cancellationToken);
                room.Add(member);
                return room;
            }
            catch when (room.MemberCount == 0)
            {
                // The first join failed to subscribe: leave no empty room behind.
                Retire(room);
                throw;
            }
            finally
            {
                room.Gate.Release();
            }
        }
    }

    /// <summary>Removes <paramref name="member"/>; the last one out unsubscribes. Never throws: it runs in cleanup paths.</summary>
    public async Task LeaveAsync(Room room, Member member)
    {
        await room.Gate.WaitAsync();
        try
        {
            room.Remove(member);
            if (room.MemberCount > 0)
            {
                return;
            }
            if (room.Subscription is { } subscription)
            {
                room.Subscription = null;
                try
                {
                    await subscription.DisposeAsync();
                }
                catch (Exception)
                {
                    // Redis unreachable: the subscription dies with the connection; nothing to deliver to anyway.
                }
            }
            // Only now may a new instance of this room subscribe: never two subscriptions at once.
            Retire(room);
        }
        finally
        {
            room.Gate.Release();
        }
    }

    // Runs on the room's subscription, one frame at a time: parse once, then hand to every member.
    private void Deliver(Room room, ReadOnlyMemory<byte> frame)
    {
        if (MessageEnvelope.Read(frame) is not { } e)
        {
            telemetry.FrameDropped();
            return;
        }
        var recipients = room.Deliver(e);
        if (e.Kind == RoomEventKind.Message)
        {
            telemetry.MessagesDelivered(recipients);
        }
    }

    private void Retire(Room room)
    {
        room.Retired = true;
        _rooms.TryRemove(KeyValuePair.Create(room.Name, room));
    }
}
