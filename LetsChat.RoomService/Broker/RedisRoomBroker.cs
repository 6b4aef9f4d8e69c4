using StackExchange.Redis;

namespace LetsChat.RoomService.Broker;

/// <summary>Redis pub/sub: one channel per room, one subscription per room per replica.</summary>
public sealed class RedisRoomBroker(IConnectionMultiplexer redis) : IRoomBroker
{
    public async Task PublishAsync(string room, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        // StackExchange.Redis has no per-call cancellation; its own timeouts bound the wait.
        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.LiveChannel(room)), payload);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(
        string room, Action<ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A message queue (not a handler) keeps the channel's order: messages are handed over one at a time.
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.LiveChannel(room)));
        queue.OnMessage(message => onMessage((byte[])message.Message!));
        return new Subscription(queue);
    }

    private sealed class Subscription(ChannelMessageQueue queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await queue.UnsubscribeAsync();
    }
}
