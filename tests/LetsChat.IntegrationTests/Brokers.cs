using LetsChat.RoomService;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.IntegrationTests;

/// <summary>The room service's own Redis broker, in the test process, on the app's Redis: to drive a step the sockets cannot time.</summary>
internal static class Brokers
{
    public static RedisRoomBroker For(IConnectionMultiplexer redis)
    {
        var options = Options.Create(new RoomServiceOptions());
        var telemetry = new RoomTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        return new RedisRoomBroker(redis, new RedisTopology(redis, new ReplicaAcks(redis, options, telemetry)), options, telemetry);
    }
}
