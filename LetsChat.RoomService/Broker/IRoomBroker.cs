namespace LetsChat.RoomService.Broker;

/// <summary>
/// Moves a room's messages between room-service replicas.
/// <list type="bullet">
/// <item>Delivery is at most once, to subscribers live at the moment of publishing; there is no history yet.</item>
/// <item>Messages published by one caller, awaited one after another, reach every subscriber in that order.</item>
/// <item>The payload is opaque bytes: subscribers get exactly the bytes that were published.</item>
/// <item><see cref="PublishAsync"/> completes once the broker has accepted the message, and throws when it cannot.</item>
/// </list>
/// </summary>
public interface IRoomBroker
{
    Task PublishAsync(string room, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Starts delivering <paramref name="room"/>'s messages to <paramref name="onMessage"/>, one at a time,
    /// in publish order. Dispose the result to stop. Callers keep one subscription per room (see LocalRooms).
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string room, Action<ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken);
}
