using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// Makes the chat sockets of this replica: each with its connection (<see cref="ChatConnection"/>,
/// the member's outbox), its place in the room (<see cref="Member"/>) and its protocol
/// (<see cref="ChatSession"/>), handed what each of them uses and nothing more.
/// </summary>
public sealed class ChatSockets(
    LocalRooms rooms,
    IRoomBroker broker,
    IRoomHistory history,
    IRoomPresence presence,
    ReplicaIdentity replica,
    IOptions<RoomServiceOptions> options,
    RoomTelemetry telemetry,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ChatSocket> logger)
{
    /// <summary>What a <see cref="ChatSocket"/> uses of the replica: the rooms, presence, telemetry, its id, its stopping, the log.</summary>
    internal sealed record Shared(LocalRooms Rooms, IRoomPresence Presence, RoomTelemetry Telemetry, string Replica, ILogger Logger, CancellationToken Stopping);

    private readonly Shared _shared = new(rooms, presence, telemetry, replica.Id, logger, lifetime.ApplicationStopping);

    /// <summary>A socket for an admitted upgrade, not yet joined (<see cref="ChatSocket.JoinAsync"/>).</summary>
    /// <param name="slot">Its places under the socket caps.</param>
    /// <param name="flood">The frame limits of this socket, its user and its network.</param>
    /// <param name="secWebSocketKey">The upgrade's Sec-WebSocket-Key, answered in the 101.</param>
    public ChatSocket Open(string room, ChatUser user, string connectionId, Admission.Admitted admitted, IDisposable slot, FloodGuard.Meter flood, string secWebSocketKey)
    {
        var settings = options.Value;
        var connection = new ChatConnection(settings, telemetry);
        var member = new Member(user, connectionId, admitted.Protocol, connection, settings.CatchUpHoldLimit);
        var scope = new SocketLogScope(room, connectionId, user.Id);
        // Made during the upgrade request: its span is the one every receive span links to.
        var session = new ChatSession(room, member, connection, replica.Id, broker, history, presence, settings, telemetry, clock, logger)
        {
            Flood = flood,
            LogScope = scope,
        };
        return new ChatSocket(_shared, room, member, connection, session, scope, admitted.Resume, slot, secWebSocketKey);
    }
}
