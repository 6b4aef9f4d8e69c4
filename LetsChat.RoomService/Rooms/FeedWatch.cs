using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// Every <see cref="RoomServiceOptions.FeedCheckSeconds"/>, compares each local room with its log
/// (<see cref="LocalRooms.CheckFeedAsync"/>) so that a subscription that went deaf heals itself.
/// One small Redis read per room per check; not traced (BackgroundRedisSampler), so a failure is
/// a warning and a count of <c>letschat.background.failures{task=feed_check}</c>.
/// </summary>
public sealed partial class FeedWatch(LocalRooms rooms, RoomTelemetry telemetry, IOptions<RoomServiceOptions> options, ILogger<FeedWatch> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.FeedCheckSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var room in rooms.All)
            {
                try
                {
                    await rooms.CheckFeedAsync(room, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Redis away: /health says so; the check runs again when it is back.
                    telemetry.BackgroundFailed("feed_check");
                    LogCheckFailed(logger, room.Name, ex.Message);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed check of room {Room} failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string room, string reason);
}
