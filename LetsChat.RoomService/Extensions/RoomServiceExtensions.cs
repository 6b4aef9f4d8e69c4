using LetsChat.RoomService;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Connections;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class RoomServiceExtensions
{
    /// <summary>Redis, options and the room service's parts. Redis comes from the "redis" connection string.</summary>
    public static WebApplicationBuilder AddRoomService(this WebApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");

        builder.Services.AddOptions<RoomServiceOptions>()
            .BindConfiguration(RoomServiceOptions.SectionName)
            .Validate(o => o.MaxFrameBytes >= 64, "LetsChat:Rooms:MaxFrameBytes must be at least 64.")
            .Validate(o => o.SendQueueCapacity >= 1, "LetsChat:Rooms:SendQueueCapacity must be at least 1.")
            .Validate(o => o.KeepAliveSeconds >= 1 && o.CloseTimeoutSeconds >= 1, "LetsChat:Rooms timeouts must be at least 1 s.")
            .ValidateOnStart();

        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<ReplicaIdentity>();
        builder.Services.AddSingleton<RoomTelemetry>();
        builder.Services.AddSingleton<IRoomBroker, RedisRoomBroker>();
        builder.Services.AddSingleton<LocalRooms>();
        return builder;
    }

    public static WebApplication MapRoomService(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<RoomServiceOptions>>().Value;
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAliveSeconds) });
        app.Map(ChatEndpoint.Route, ChatEndpoint.HandleAsync);
        return app;
    }
}
