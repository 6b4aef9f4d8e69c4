using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// Keeps this replica's members present: every third of the TTL, refreshes each local room's
/// entries (and drops other replicas' expired ones, announcing their leaves), then prunes the
/// room directory. Not traced
/// (BackgroundRedisSampler): a failure is a warning and a count of
/// <c>letschat.background.failures{task=presence_heartbeat}</c>.
/// </summary>
public sealed partial class PresenceHeartbeat(
    LocalRooms rooms, IRoomPresence presence, RoomTelemetry telemetry, IOptions<RoomServiceOptions> options, ILogger<PresenceHeartbeat> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var room in rooms.All)
            {
                var entries = room.Members.Select(m => m.Presence).ToArray();
                try
                {
                    await presence.HeartbeatAsync(room.Name, entries, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Redis away: entries will expire and come back with the next beat after it returns.
                    telemetry.BackgroundFailed("presence_heartbeat");
                    LogHeartbeatFailed(logger, room.Name, ex);
                }
            }
            // The directory's own upkeep: rooms whose members all left (or whose replica died) go.
            try
            {
                await presence.PruneDirectoryAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                telemetry.BackgroundFailed("directory_prune");
                LogPruneFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning the room directory failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence heartbeat for room {Room} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, string room, Exception exception);
}
