using LetsChat.RoomService.Protocol;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Broker;

/// <summary>Redis: publish.lua for messages, one pub/sub channel per room, one subscription per room per replica.</summary>
public sealed class RedisRoomBroker(IConnectionMultiplexer redis, IOptions<RoomServiceOptions> options) : IRoomBroker
{
    private readonly RoomServiceOptions _options = options.Value;

    public async Task<PublishResult> PublishAsync(string room, OutgoingMessage message, CancellationToken cancellationToken)
    {
        // StackExchange.Redis has no per-call cancellation; its own timeouts bound the wait.
        cancellationToken.ThrowIfCancellationRequested();
        var dedupeKey = message.ClientId is null ? "" : $"{message.User.Id} {message.ClientId}";
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            RedisScripts.Publish,
            RedisKeys.Log(room),
            [
                RedisKeys.LiveChannel(room),
                NewEpoch(),
                dedupeKey,
                MessageEnvelope.Head(room),
                MessageEnvelope.Tail(message),
                _options.HistoryLength,
                _options.RetentionSeconds,
            ]))!;
        return new PublishResult((string)result[0]!, (long)result[1], (long)result[2] == 1);
    }

    public async Task PublishTransientAsync(string room, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.LiveChannel(room)), frame);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(
        string room, Func<ReadOnlyMemory<byte>, Task> onFrame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A message queue (not a handler) keeps the channel's order: frames are handed over one at a
        // time, each after the previous one's task completed.
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.LiveChannel(room)));
        queue.OnMessage(message => onFrame((byte[])message.Message!));
        return new Subscription(queue);
    }

    /// <summary>A candidate epoch; Redis keeps it only when the room has none.</summary>
    internal static string NewEpoch() => Guid.NewGuid().ToString("N")[..16];

    private sealed class Subscription(ChannelMessageQueue queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await queue.UnsubscribeAsync();
    }
}
