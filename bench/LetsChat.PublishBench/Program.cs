using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using LetsChat.RoomService;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// What storing a message costs on top of just relaying it. In one run, alternating, against one
// Redis: the foundation's plain PUBLISH of the seed frame, and the room service's publish.lua
// (seq, log, trim, dedupe, expiry, PUBLISH). Reports the Redis server's CPU per message (INFO cpu)
// and the client-side round trip, median and range over the rounds.
//
//   dotnet run -c Release --project bench/LetsChat.PublishBench -- 127.0.0.1:6379 [messages-per-round] [rounds]
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: LetsChat.PublishBench host:port [messages-per-round=20000] [rounds=7]");
    return 2;
}
var endpoint = args[0];
var perRound = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
const int InFlight = 32; // enough to keep Redis busy, as a room service with many senders would

using var redis = await ConnectionMultiplexer.ConnectAsync($"{endpoint},allowAdmin=true");
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
var settings = Options.Create(new RoomServiceOptions());
var telemetry = new RoomTelemetry(meters);
var broker = new RedisRoomBroker(redis, new RedisTopology(redis, new ReplicaAcks(redis, settings, telemetry)), settings, telemetry);
var room = $"bench-{Guid.NewGuid():N}";
var channel = RedisChannel.Literal(RedisKeys.LiveChannel(room));
var seedFrame = "{\"message\":\"a benchmark message of typical length, about sixty chars\"}"u8.ToArray();
var user = new ChatUser("u_0123456789abcdef", "Bench");

// One subscriber, as a replica with members would have: both variants pay for the fan-out.
long received = 0;
(await redis.GetSubscriber().SubscribeAsync(channel)).OnMessage(_ => Interlocked.Increment(ref received));

var variants = new (string Name, Func<int, Task> Publish)[]
{
    ("PUBLISH (seed relay)", _ => redis.GetSubscriber().PublishAsync(channel, seedFrame)),
    ("publish.lua (stored)", i => broker.PublishAsync(room, new OutgoingMessage(user, $"c{i}", "a benchmark message of typical length, about sixty chars", DateTimeOffset.UtcNow), CancellationToken.None)),
};

var server = redis.GetServer(redis.GetEndPoints()[0]);
var results = variants.ToDictionary(v => v.Name, _ => new List<(double CpuMicros, double RttMicros)>());
var serial = 0;
foreach (var round in Enumerable.Range(-1, rounds + 1)) // round -1 warms up
{
    foreach (var (name, publish) in variants)
    {
        var cpuBefore = await ServerCpuSecondsAsync(server);
        var stopwatch = Stopwatch.StartNew();
        var rtt = await RunAsync(publish, perRound);
        stopwatch.Stop();
        var cpu = await ServerCpuSecondsAsync(server) - cpuBefore;
        if (round >= 0)
        {
            results[name].Add((cpu * 1e6 / perRound, rtt));
        }
    }
}

Console.WriteLine($"# {perRound:N0} messages x {rounds} rounds per variant, {InFlight} in flight, Redis {server.Version} at {endpoint}");
Console.WriteLine("| variant | Redis CPU per message, µs (median, range) | round trip, µs (median, range) |");
Console.WriteLine("|---|---|---|");
foreach (var (name, samples) in results)
{
    Console.WriteLine($"| {name} | {Median(samples.Select(s => s.CpuMicros)):F2} ({samples.Min(s => s.CpuMicros):F2}–{samples.Max(s => s.CpuMicros):F2}) | {Median(samples.Select(s => s.RttMicros)):F0} ({samples.Min(s => s.RttMicros):F0}–{samples.Max(s => s.RttMicros):F0}) |");
}
var seed = results[variants[0].Name];
var stored = results[variants[1].Name];
var ratios = seed.Zip(stored, (a, b) => b.CpuMicros / a.CpuMicros).ToList();
Console.WriteLine($"\nRedis CPU ratio stored/relay, per round: median {Median(ratios):F2} (range {ratios.Min():F2}–{ratios.Max():F2})");
Console.WriteLine($"Subscriber received {Interlocked.Read(ref received):N0} messages.");
await redis.GetDatabase().KeyDeleteAsync(RedisKeys.Log(room));
return 0;

// Median round trip of `count` publishes with InFlight outstanding at a time.
async Task<double> RunAsync(Func<int, Task> publish, int count)
{
    var latencies = new double[count];
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var started = Stopwatch.GetTimestamp();
            await publish(Interlocked.Increment(ref serial));
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
    }));
    return Median(latencies);
}

static async Task<double> ServerCpuSecondsAsync(IServer server)
{
    var cpu = (await server.InfoAsync("cpu")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
    return double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
