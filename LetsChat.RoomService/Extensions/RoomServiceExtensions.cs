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
    /// <summary>Redis, options and the room service's parts. Redis comes from the "redis" connection string.</summary>
    public static WebApplicationBuilder AddRoomService(this WebApplicationBuilder builder)
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

        // Chat sockets leave the HTTP layer once accepted (ChatHandoff): an HTTP/1.1 upgrade, taken over
        // by a connection middleware on every endpoint. HTTP/2 would multiplex streams on one connection.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(ChatHandoff.Middleware);
        }));

        builder.Services.AddOptions<RoomServiceOptions>()
            .BindConfiguration(RoomServiceOptions.SectionName)
            .Validate(o => o.MaxFrameBytes >= 256, "LetsChat:Rooms:MaxFrameBytes must be at least 256.")
            .Validate(o => o.MaxMessageChars >= 1, "LetsChat:Rooms:MaxMessageChars must be at least 1.")
            .Validate(o => o.MaxStoredMessageBytes >= 4 * o.MaxMessageChars + 1024, "LetsChat:Rooms:MaxStoredMessageBytes must hold a message of MaxMessageChars (at least 4 bytes a character, plus 1024).")
            .Validate(o => o.MaxReactionsPerMessage >= 1 && o.PresenceListed >= 1, "LetsChat:Rooms:MaxReactionsPerMessage and PresenceListed must be at least 1.")
            .Validate(o => o.SendBufferBytes >= o.MaxFrameBytes && o.CatchUpHoldLimit >= 1, "LetsChat:Rooms:SendBufferBytes must be at least MaxFrameBytes, CatchUpHoldLimit at least 1.")
            .Validate(o => o.HistoryLength >= 1 && o.JoinHistory >= 1 && o.HistoryPageMax >= 1, "LetsChat:Rooms history sizes must be at least 1.")
            .Validate(o => o.KeepAliveSeconds >= 1 && o.CloseTimeoutSeconds >= 1 && o.DrainTimeoutSeconds >= 1 && o.PresenceTtlSeconds >= 3, "LetsChat:Rooms timeouts are too short.")
            .Validate(o => o.HistoryFrameBytes >= o.MaxStoredMessageBytes, "LetsChat:Rooms:HistoryFrameBytes must hold a message of MaxStoredMessageBytes.")
            .Validate(o => o.RetentionDays >= 1 && o.TypingIntervalMilliseconds >= 0, "LetsChat:Rooms retention or typing interval is out of range.")
            .Validate(o => o.FramesPerSecond >= 1 && o.FrameBurst >= 1 && o.FloodCloseAfter >= 1 && o.MaxConnectionsPerIp >= 1 && o.MaxConnectionsPerUser >= 1, "LetsChat:Rooms rate limits must be at least 1.")
            .ValidateOnStart();

        // One key ring for every replica, kept in Redis: a session cookie made by any replica is read by all.
        builder.Services.AddDataProtection().SetApplicationName("LetsChat");
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer>((o, redis) =>
                o.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), RedisKeys.DataProtectionKeys));

        builder.Services.AddSingleton<ConnectionCap>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectionCap>());
        builder.Services.AddRequestLimits();
        builder.Services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<RequestLimitOptions>>().Value;
            return new FloodGuard(sp.GetRequiredService<IOptions<RoomServiceOptions>>().Value,
                RequestLimits.FrameBuckets(limits, sp.GetRequiredService<IConnectionMultiplexer>()), limits.ParseExemptNetworks());
        });

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RedisUnavailableHandler>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReplicaIdentity>();
        builder.Services.AddSingleton<RoomTelemetry>();
        builder.Services.AddSingleton<SessionCookie>();
        builder.Services.AddSingleton<RedisTopology>();
        builder.Services.AddSingleton<ReplicaAcks>();
        builder.Services.AddSingleton<IRoomBroker, RedisRoomBroker>();
        builder.Services.AddSingleton<IRoomHistory, RedisRoomHistory>();
        builder.Services.AddSingleton<IRoomPresence, RedisRoomPresence>();
        builder.Services.AddSingleton<RoomFeed>();
        builder.Services.AddSingleton<LocalRooms>();
        builder.Services.AddSingleton<ChatSockets>();
        builder.Services.AddHostedService<PresenceHeartbeat>();
        builder.Services.AddHostedService<FeedWatch>();
        builder.Services.AddHostedService<KeepAliveSweep>();
        builder.Services.AddHostedService<RedisConnectionTelemetry>();
        builder.Services.AddSingleton<EvictionPolicyCheck>();
        builder.Services.AddHealthChecks().AddCheck<EvictionPolicyCheck>("redis-eviction-policy");
        return builder;
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
