using StackExchange.Redis;

namespace LetsChat.RoomService.Telemetry;

/// <summary>
/// Counts and logs Redis connection losses and recoveries. StackExchange.Redis reconnects by itself
/// and restores every pub/sub subscription when it does; this makes both visible.
/// </summary>
public sealed partial class RedisConnectionTelemetry(
    IConnectionMultiplexer redis, RoomTelemetry telemetry, ILogger<RedisConnectionTelemetry> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnFailed;
        redis.ConnectionRestored += OnRestored;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnFailed;
        redis.ConnectionRestored -= OnRestored;
        return Task.CompletedTask;
    }

    private void OnFailed(object? sender, ConnectionFailedEventArgs e)
    {
        telemetry.RedisConnectionFailed();
        LogFailed(logger, e.ConnectionType, e.FailureType, e.Exception);
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        telemetry.RedisReconnected();
        LogRestored(logger, e.ConnectionType);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {ConnectionType} connection lost ({FailureType})")]
    private static partial void LogFailed(ILogger logger, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis {ConnectionType} connection restored")]
    private static partial void LogRestored(ILogger logger, ConnectionType connectionType);
}
