using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Sockets;

/// <summary>What a chat socket works with, from its upgrade to its close: one singleton, so the endpoint takes one parameter.</summary>
public sealed class ChatServices(
    LocalRooms rooms,
    IRoomBroker broker,
    IRoomHistory history,
    IRoomPresence presence,
    SessionCookie sessions,
    RoomTelemetry telemetry,
    ReplicaIdentity replica,
    IOptions<RoomServiceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ConnectionCap cap,
    FloodGuard flood,
    ILogger<ChatConnection> logger)
{
    public LocalRooms Rooms => rooms;
    public IRoomBroker Broker => broker;
    public IRoomHistory History => history;
    public IRoomPresence Presence => presence;
    public SessionCookie Sessions => sessions;
    public RoomTelemetry Telemetry => telemetry;
    public ReplicaIdentity Replica => replica;
    public RoomServiceOptions Options => options.Value;
    public IHostApplicationLifetime Lifetime => lifetime;
    public TimeProvider Clock => clock;
    public ConnectionCap Cap => cap;
    public FloodGuard Flood => flood;
    public ILogger Logger => logger;
}
