using LetsChat.RoomService;
using LetsChat.RoomService.Api;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Sockets;
using LetsChat.RoomService.Telemetry;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.AspNetCore.Builder;

public static class RoomServiceExtensions
{
    /// <summary>Redis, options and the room service's parts, layer by layer. Redis comes from the "redis" connection string.</summary>
    public static WebApplicationBuilder AddRoomService(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RoomServiceOptions>()
            .BindConfiguration(RoomServiceOptions.SectionName)
            .ValidateDataAnnotations() // the ranges and rules are on RoomServiceOptions itself
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReplicaIdentity>();
        builder.Services.AddSingleton<RoomTelemetry>();
        builder.AddRoomsOnRedis();
        builder.Services.AddSessionsAndLimits();
        builder.AddChatSockets();
        return builder;
    }

    // Rooms/ and the ports Redis/ implements, the Redis client and the health of Redis.
    private static void AddRoomsOnRedis(this WebApplicationBuilder builder)
    {
        // Keep-alive every 5 s (default 60): a subscription connection carries no commands of its own,
        // so without pings a connection left dangling by a proxy whose Redis went away (the
        // orchestrator's proxy does this) is noticed only a minute or more later, and its rooms stay deaf.
        // SocketManager.ThreadPool: Redis I/O runs on the shared thread pool, whose idle spinning the
        // project file turns off, instead of the client's own dedicated threads (which spin and wait
        // by their own rules; they topped the first CPU profile). See docs/architecture.md.
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            options.KeepAlive = 5;
            options.SocketManager = SocketManager.ThreadPool;
            // For INFO, which StackExchange.Redis counts as an admin command: EvictionPolicyCheck reads
            // the eviction policy with it (CONFIG is often renamed away on managed Redis; INFO is not).
            options.AllowAdmin = true;
        });
        var services = builder.Services;
        services.AddSingleton<RedisTopology>();
        services.AddSingleton<ReplicaAcks>();
        services.AddSingleton<IRoomBroker, RedisRoomBroker>();
        services.AddSingleton<IRoomHistory, RedisRoomHistory>();
        services.AddSingleton<IRoomPresence, RedisRoomPresence>();
        services.AddSingleton<RoomFeed>();
        services.AddSingleton<LocalRooms>();
        services.AddHostedService<PresenceHeartbeat>();
        services.AddHostedService<FeedWatch>();
        services.AddHostedService<RedisConnectionTelemetry>();
        services.AddSingleton<EvictionPolicyCheck>();
        services.AddHealthChecks().AddCheck<EvictionPolicyCheck>("redis-eviction-policy");
    }

    // Identity/ and Security/: sessions, the socket caps, the request and frame budgets.
    private static void AddSessionsAndLimits(this IServiceCollection services)
    {
        // One key ring for every replica, kept in Redis: a session cookie made by any replica is read by all.
        services.AddDataProtection().SetApplicationName("LetsChat");
        services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer>((o, redis) =>
                o.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), RedisKeys.DataProtectionKeys));
        services.AddSingleton<SessionCookie>();
        services.AddSingleton<ConnectionCap>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionCap>());
        services.AddRequestLimits();
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<RequestLimitOptions>>().Value;
            return new FloodGuard(sp.GetRequiredService<IOptions<RoomServiceOptions>>().Value,
                RequestLimits.FrameBuckets(limits, sp.GetRequiredService<IConnectionMultiplexer>()), limits.ParseExemptNetworks());
        });
    }

    // Sockets/ and Api/: where requests come in.
    private static void AddChatSockets(this WebApplicationBuilder builder)
    {
        // Chat sockets leave the HTTP layer once accepted (ChatHandoff): an HTTP/1.1 upgrade, taken over
        // by a connection middleware on every endpoint. HTTP/2 would multiplex streams on one connection.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(ChatHandoff.Middleware);
        }));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RedisUnavailableHandler>();
        builder.Services.AddSingleton<ChatSockets>();
        builder.Services.AddHostedService<KeepAliveSweep>();
    }

    public static WebApplication MapRoomService(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<RoomServiceOptions>>().Value;
        var rooms = app.Services.GetRequiredService<LocalRooms>();
        app.Services.GetRequiredService<RoomTelemetry>().ObserveRooms(
            app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), () => rooms.Count, rooms.PendingBytes);
        // The client's address, as the gateway saw it (whose X-Forwarded-For counts: TrustedProxies, in ServiceDefaults).
        app.UseForwardedHeaders();
        app.UseExceptionHandler(); // Redis unreachable: 503 with problem details (RedisUnavailableHandler)
        // Which replica answered, on every response (the 101 names it too): for tests and for SREs.
        var replica = app.Services.GetRequiredService<ReplicaIdentity>().Id;
        app.Use((context, next) =>
        {
            context.Response.Headers[ReplicaIdentity.HeaderName] = replica;
            return next(context);
        });
        app.UseRateLimiter(); // per network and per user, in Redis (RequestLimits)
        app.UseWebSockets(); // recognises upgrades; ChatEndpoint accepts them and ChatHandoff takes them below HTTP
        app.Map(ChatEndpoint.Route, ChatEndpoint.HandleAsync);
        app.MapSessionEndpoints();
        app.MapHistoryEndpoints();
        app.MapRoomDirectoryEndpoints();
        return app;
    }
}
