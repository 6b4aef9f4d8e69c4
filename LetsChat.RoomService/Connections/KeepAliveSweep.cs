using LetsChat.RoomService.Rooms;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// Keep-alives for every socket of this replica from one timer, instead of a timer per socket
/// (what the framework's WebSocket would start for each): every KeepAliveSeconds each member is
/// sent an unsolicited pong, a shared two-byte frame.
/// </summary>
public sealed class KeepAliveSweep(LocalRooms rooms, IOptions<RoomServiceOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.KeepAliveSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var room in rooms.All)
            {
                foreach (var member in room.Members)
                {
                    member.Connection.KeepAlive();
                }
            }
        }
    }
}
