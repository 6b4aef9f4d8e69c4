using LetsChat.RoomService.Rooms;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// Keep-alives and dead-peer checks for every socket of this replica from one timer, instead of a
/// timer per socket (what the framework's WebSocket would start for each): once a second each
/// member is looked at (<see cref="ChatConnection.Sweep"/>: a few field reads), and pinged when
/// its KeepAliveSeconds are up. The ping is a shared two-byte frame.
/// </summary>
public sealed class KeepAliveSweep(LocalRooms rooms) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = Environment.TickCount64;
            foreach (var room in rooms.All)
            {
                foreach (var member in room.Members)
                {
                    // Every member of this process is a socket's (ChatEndpoint makes them).
                    if (member.Outbox is ChatConnection connection)
                    {
                        connection.Sweep(now);
                    }
                }
            }
        }
    }
}
