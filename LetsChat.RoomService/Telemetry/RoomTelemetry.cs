using System.Diagnostics.Metrics;

namespace LetsChat.RoomService.Telemetry;

/// <summary>
/// The room service's meter ("LetsChat.RoomService", exported by ServiceDefaults). No per-room
/// labels: room names are unbounded, and metrics must not be.
/// </summary>
public sealed class RoomTelemetry
{
    public const string MeterName = "LetsChat.RoomService";

    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _messagesPublished;
    private readonly Counter<long> _messagesDelivered;
    private readonly Counter<long> _framesRejected;
    private readonly Counter<long> _slowConsumerCloses;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _framesDropped;

    public RoomTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _activeConnections = meter.CreateUpDownCounter<long>("letschat.connections.active", "{connection}", "Open chat WebSockets on this replica.");
        _messagesPublished = meter.CreateCounter<long>("letschat.messages.published", "{message}", "Messages accepted from clients and published to Redis.");
        _messagesDelivered = meter.CreateCounter<long>("letschat.messages.delivered", "{message}", "Messages queued to a local socket (one per recipient).");
        _framesRejected = meter.CreateCounter<long>("letschat.frames.rejected", "{frame}", "Inbound frames refused, by reason.");
        _slowConsumerCloses = meter.CreateCounter<long>("letschat.connections.slow_consumer_closed", "{connection}", "Sockets closed (1013) because their send queue filled.");
        _publishFailures = meter.CreateCounter<long>("letschat.redis.publish_failures", "{message}", "Publishes Redis did not accept.");
        _framesDropped = meter.CreateCounter<long>("letschat.redis.frames_dropped", "{frame}", "Frames on a room channel this service could not read (never expected).");
    }

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void MessagePublished() => _messagesPublished.Add(1);

    public void MessagesDelivered(int recipients) => _messagesDelivered.Add(recipients);

    public void FrameRejected(string reason) => _framesRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SlowConsumerClosed() => _slowConsumerCloses.Add(1);

    public void PublishFailed() => _publishFailures.Add(1);

    public void FrameDropped() => _framesDropped.Add(1);
}
