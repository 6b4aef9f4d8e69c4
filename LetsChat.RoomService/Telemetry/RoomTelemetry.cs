using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LetsChat.RoomService.Telemetry;

/// <summary>
/// The room service's telemetry: the ActivitySource and Meter "LetsChat.RoomService" (both
/// exported by ServiceDefaults). No per-room metric labels: room names are unbounded, and metrics
/// must not be. Span and metric names are explained in docs/operations.md.
/// </summary>
public sealed class RoomTelemetry
{
    public const string Name = "LetsChat.RoomService";

    /// <summary>Spans of one chat message: receive (from the socket), publish (to Redis), process (on each replica).</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _messagesPublished;
    private readonly Counter<long> _messagesDelivered;
    private readonly Histogram<double> _deliveryLatency;
    private readonly Counter<long> _framesRejected;
    private readonly Counter<long> _upgradesRefused;
    private readonly Counter<long> _requestsLimited;
    private readonly Counter<long> _sessionsRefused;
    private readonly Counter<long> _backgroundFailures;
    private readonly Counter<long> _slowConsumerCloses;
    private readonly Counter<long> _connectionsAborted;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _subscribeFailures;
    private readonly Counter<long> _redisConnectionFailures;
    private readonly Counter<long> _redisReconnects;
    private readonly Counter<long> _framesDropped;
    private readonly Counter<long> _gapsFilled;
    private readonly Counter<long> _deafRooms;
    private readonly Counter<long> _rewinds;
    private readonly Counter<long> _replicaWaitTimeouts;
    private readonly Counter<long> _unreplicatedAcks;

    public RoomTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _activeConnections = meter.CreateUpDownCounter<long>("letschat.connections.active", "{connection}", "Open chat WebSockets on this replica.");
        _messagesReceived = meter.CreateCounter<long>("letschat.messages.received", "{message}", "Chat messages received from clients (before validation and publishing).");
        _messagesPublished = meter.CreateCounter<long>("letschat.messages.published", "{message}", "Messages stored and published to Redis (duplicates not counted).");
        _messagesDelivered = meter.CreateCounter<long>("letschat.messages.delivered", "{message}", "Messages written to a local socket (one per recipient).");
        _deliveryLatency = meter.CreateHistogram<double>("letschat.delivery.duration", "s", "From publish (the message's server timestamp) to written to a recipient's socket.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _framesRejected = meter.CreateCounter<long>("letschat.frames.rejected", "{frame}", "Inbound frames of open sockets refused, by reason.");
        _sessionsRefused = meter.CreateCounter<long>("letschat.sessions.refused", "{request}", "POST /api/session answered with a 4xx, by reason (invalid_name).");
        _requestsLimited = meter.CreateCounter<long>("letschat.requests.limited", "{request}", "HTTP requests and upgrades refused with 429 because their network or user spent its budget, by kind (upgrades, sessions, reads).");
        _upgradesRefused = meter.CreateCounter<long>("letschat.upgrades.refused", "{request}", "WebSocket upgrades answered with a 4xx or 503 instead of a socket, by reason.");
        _backgroundFailures = meter.CreateCounter<long>("letschat.background.failures", "{run}", "Runs of background work (feed checks, presence heartbeats, directory pruning) that failed, by task; they are not traced.");
        _slowConsumerCloses = meter.CreateCounter<long>("letschat.connections.slow_consumer_closed", "{connection}", "Sockets closed (1013) because they fell too far behind (SendBufferBytes waiting).");
        _connectionsAborted = meter.CreateCounter<long>("letschat.connections.aborted", "{connection}", "Sockets aborted without a close handshake, by reason: stalled (the transport took nothing for DrainTimeoutSeconds), no_pong (nothing came back from a ping).");
        _publishFailures = meter.CreateCounter<long>("letschat.redis.publish_failures", "{message}", "Publishes Redis did not accept.");
        _subscribeFailures = meter.CreateCounter<long>("letschat.redis.subscribe_failures", "{subscription}", "Room subscriptions Redis did not accept (the upgrade got 503).");
        _redisConnectionFailures = meter.CreateCounter<long>("letschat.redis.connection_failures", "{event}", "Redis connections lost or not established.");
        _redisReconnects = meter.CreateCounter<long>("letschat.redis.reconnects", "{event}", "Redis connections restored (subscriptions are restored with them).");
        _framesDropped = meter.CreateCounter<long>("letschat.redis.frames_dropped", "{frame}", "Frames on a room channel this service could not read (never expected).");
        _deafRooms = meter.CreateCounter<long>("letschat.redis.deaf_subscriptions", "{room}", "Rooms whose subscription stopped bringing messages the log had; each was refilled from history and subscribed again.");
        _rewinds = meter.CreateCounter<long>("letschat.redis.log_rewinds", "{room}", "Rooms whose log was found behind what this replica had delivered (Redis lost its last writes); each got a new epoch and its members a reset.");
        _replicaWaitTimeouts = meter.CreateCounter<long>("letschat.redis.replica_wait_timeouts", "{message}", "Cluster only: sends refused because no replica confirmed them within LetsChat:Rooms:ReplicaWaitMilliseconds.");
        _unreplicatedAcks = meter.CreateCounter<long>("letschat.redis.unreplicated_acks", "{message}", "Cluster only: sends acked on a master that had no replica at all (after a failover, until the old master is back as its replica).");
        _gapsFilled = meter.CreateCounter<long>("letschat.redis.gap_messages_filled", "{message}", "Messages pub/sub did not bring (a reconnect, a restart) that were delivered from history instead.");
    }

    /// <summary>Registers gauges read at collection time: rooms with local members, bytes waiting for slow sockets.</summary>
    public void ObserveRooms(IMeterFactory meterFactory, Func<int> activeRooms, Func<long> pendingBytes)
    {
        var meter = meterFactory.Create(Name);
        meter.CreateObservableGauge("letschat.rooms.active", () => activeRooms(), "{room}", "Rooms with at least one member on this replica.");
        meter.CreateObservableGauge("letschat.outbound.pending", () => pendingBytes(), "By", "Bytes waiting for sockets whose last flush has not finished (clients reading slowly), in total.");
    }

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void MessageReceived() => _messagesReceived.Add(1);

    public void MessagePublished() => _messagesPublished.Add(1);

    public void MessageDelivered(double seconds)
    {
        _messagesDelivered.Add(1);
        _deliveryLatency.Record(seconds);
    }

    public void FrameRejected(string reason) => _framesRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SessionRefused(string reason) => _sessionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RequestLimited(string kind) => _requestsLimited.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void UpgradeRefused(string reason) => _upgradesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void BackgroundFailed(string task) => _backgroundFailures.Add(1, new KeyValuePair<string, object?>("task", task));

    public void ConnectionAborted(string reason) => _connectionsAborted.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SlowConsumerClosed() => _slowConsumerCloses.Add(1);

    public void PublishFailed() => _publishFailures.Add(1);

    public void SubscribeFailed() => _subscribeFailures.Add(1);

    public void RedisConnectionFailed() => _redisConnectionFailures.Add(1);

    public void RedisReconnected() => _redisReconnects.Add(1);

    public void FrameDropped() => _framesDropped.Add(1);

    public void GapFilled() => _gapsFilled.Add(1);

    public void DeafSubscription() => _deafRooms.Add(1);

    public void LogRewound() => _rewinds.Add(1);

    public void ReplicaWaitTimedOut() => _replicaWaitTimeouts.Add(1);

    public void UnreplicatedAck() => _unreplicatedAcks.Add(1);
}
