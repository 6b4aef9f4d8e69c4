using System.Collections.Concurrent;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

/// <summary>An in-process broker that counts subscriptions, for testing LocalRooms in isolation.</summary>
internal sealed class FakeBroker : IRoomBroker
{
    private readonly ConcurrentDictionary<string, List<Func<IReadOnlyList<RoomEvent>, Task>>> _subscribers = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _active = [];
    private readonly Dictionary<string, int> _maxActive = [];

    public Exception? FailSubscribe { get; set; }

    public string MessagingSystem => "fake";

    public string DestinationOf(string room) => "fake:" + room;

    public int TotalSubscribes { get; private set; }

    public int Active(string room) { lock (_lock) { return _active.GetValueOrDefault(room); } }

    public int MaxActive(string room) { lock (_lock) { return _maxActive.GetValueOrDefault(room); } }

    public Task<PublishResult> PublishAsync(string room, OutgoingMessage message, CancellationToken cancellationToken) =>
        throw new NotSupportedException("LocalRooms never publishes; tests hand events to subscribers with DeliverAsync.");

    public Task<PublishResult> UpdateAsync(string room, MessageUpdate update, Func<MessageState, Change> decide, CancellationToken cancellationToken) =>
        throw new NotSupportedException("LocalRooms never publishes; tests hand events to subscribers with DeliverAsync.");

    public Task PublishTypingAsync(string room, ChatUser user, CancellationToken cancellationToken) =>
        DeliverAsync(room, RoomRecords.Read(room, RoomRecords.Typing(user))!);

    /// <summary>Hands <paramref name="e"/> to the room's subscribers, as a batch of one.</summary>
    public async Task DeliverAsync(string room, RoomEvent e)
    {
        if (_subscribers.TryGetValue(room, out var handlers))
        {
            Func<IReadOnlyList<RoomEvent>, Task>[] snapshot;
            lock (_lock) { snapshot = [.. handlers]; }
            foreach (var handler in snapshot)
            {
                await handler([e]);
            }
        }
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string room, Func<IReadOnlyList<RoomEvent>, Task> onMessage, CancellationToken cancellationToken)
    {
        await Task.Yield(); // a real subscribe is a network round trip: let other joiners interleave
        if (FailSubscribe is { } failure)
        {
            throw failure;
        }
        lock (_lock)
        {
            TotalSubscribes++;
            _subscribers.GetOrAdd(room, _ => []).Add(onMessage);
            var active = _active[room] = _active.GetValueOrDefault(room) + 1;
            _maxActive[room] = Math.Max(_maxActive.GetValueOrDefault(room), active);
        }
        return new Subscription(this, room, onMessage);
    }

    private sealed class Subscription(FakeBroker broker, string room, Func<IReadOnlyList<RoomEvent>, Task> handler) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Task.Yield();
            lock (broker._lock)
            {
                broker._subscribers[room].Remove(handler);
                broker._active[room]--;
            }
        }
    }
}
