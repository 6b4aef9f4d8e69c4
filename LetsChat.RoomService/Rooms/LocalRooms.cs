using System.Collections.Concurrent;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// The rooms with members on this replica. Subscribes a room to the broker when its first local
/// member joins and unsubscribes when its last one leaves: one subscription per room per replica,
/// however many sockets are in it. What the subscription brings goes through the room's
/// <see cref="RoomFeed"/>.
/// </summary>
public sealed class LocalRooms(IRoomBroker broker, RoomFeed feed)
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
                room.Subscription ??= await broker.SubscribeAsync(name, events => feed.DeliverAsync(room, events), cancellationToken);
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

    /// <summary>Compares a room with its log and heals a deaf subscription (see <see cref="RoomFeed.CheckAsync"/>).</summary>
    public Task<bool> CheckFeedAsync(Room room, CancellationToken cancellationToken) =>
        feed.CheckAsync(room, () => ResubscribeAsync(room, cancellationToken), cancellationToken);

    private async Task ResubscribeAsync(Room room, CancellationToken cancellationToken)
    {
        await room.Gate.WaitAsync(cancellationToken);
        try
        {
            if (room.Retired || room.Subscription is not { } old)
            {
                return;
            }
            // Unsubscribe first: the client keeps one server subscription per channel, so a second
            // subscribe beside a deaf one would not send SUBSCRIBE again. Messages in between are
            // in the log, and the refill that follows delivers them.
            room.Subscription = null;
            try
            {
                await old.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A dead connection may not answer; the new subscription does not depend on it.
            }
            room.Subscription = await broker.SubscribeAsync(room.Name, events => feed.DeliverAsync(room, events), cancellationToken);
        }
        finally
        {
            room.Gate.Release();
        }
    }

    /// <summary>Bytes waiting behind unfinished flushes in this replica's sockets.</summary>
    public long PendingBytes() => _rooms.Values.Sum(r => r.Members.Sum(m => m.Outbox.PendingBytes));

    private void Retire(Room room)
    {
        room.Retired = true;
        _rooms.TryRemove(KeyValuePair.Create(room.Name, room));
    }
}
