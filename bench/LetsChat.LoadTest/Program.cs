using System.CommandLine;
using System.Net;
using LetsChat.LoadTest;

// letschat-load: drives N rooms × M clients against the gateway or one room service. See docs/benchmarks.md.
var targets = new Option<string[]>("--target") { Description = "Base URL of the gateway or a room service (repeat to spread sockets)", AllowMultipleArgumentsPerToken = true };
var rooms = new Option<int>("--rooms") { Description = "Rooms", DefaultValueFactory = _ => 10 };
var clients = new Option<int>("--clients") { Description = "Sockets per room", DefaultValueFactory = _ => 10 };
var senders = new Option<int>("--senders") { Description = "Senders per room (the first sockets of each room)", DefaultValueFactory = _ => 2 };
var rate = new Option<double>("--rate") { Description = "Messages per second per sender (the first step, with --ladder)", DefaultValueFactory = _ => 5 };
var duration = new Option<double>("--duration") { Description = "Seconds of sending (per step)", DefaultValueFactory = _ => 10 };
var drain = new Option<double>("--drain") { Description = "Seconds to wait for deliveries after the last send", DefaultValueFactory = _ => 5 };
var protocol = new Option<ChatProtocol>("--protocol") { Description = "seed or v1 (letschat.v1)", DefaultValueFactory = _ => ChatProtocol.Seed };
var pids = new Option<int[]>("--pid") { Description = "Server PIDs whose CPU and RSS to report (repeat)", AllowMultipleArgumentsPerToken = true };
var sources = new Option<int>("--sources") { Description = "Connect from 127.0.0.1 … 127.0.0.N (more ephemeral ports)", DefaultValueFactory = _ => 0 };
var concurrency = new Option<int>("--connect-concurrency") { Description = "Sockets opened at once", DefaultValueFactory = _ => 64 };
var ladder = new Option<bool>("--ladder") { Description = "Raise the rate until p99 exceeds --p99-limit-ms or anything is lost" };
var factor = new Option<double>("--factor") { Description = "Ladder: rate multiplier per step", DefaultValueFactory = _ => 1.5 };
var maxSteps = new Option<int>("--max-steps") { Description = "Ladder: most steps", DefaultValueFactory = _ => 20 };
var p99Limit = new Option<double>("--p99-limit-ms") { Description = "Ladder: the p99 a clean step stays within", DefaultValueFactory = _ => 100 };
var idle = new Option<int>("--idle") { Description = "Hold N idle sockets open and report memory per socket", DefaultValueFactory = _ => 0 };
var hold = new Option<double>("--hold") { Description = "Idle: seconds to hold the sockets before measuring", DefaultValueFactory = _ => 15 };
var json = new Option<string?>("--json") { Description = "Write the result as JSON to this file ('-' for stdout, instead of the table)" };
var quiet = new Option<bool>("--quiet") { Description = "No progress lines" };
var roomPrefix = new Option<string>("--room-prefix") { Description = "Room names start with this", DefaultValueFactory = _ => "load" };
var sameRooms = new Option<bool>("--same-rooms") { Description = "Reuse the rooms <prefix>-0 … across runs instead of fresh ones (a soak)" };
var serveBlast = new Option<int>("--serve-blast") { Description = "Run a stand-in server on this port that only sends, as fast as readers read (measures the tool itself)", DefaultValueFactory = _ => 0 };
var blastBatch = new Option<int>("--blast-batch") { Description = "With --serve-blast: frames per write to the connection", DefaultValueFactory = _ => 1 };
var blastRate = new Option<double>("--blast-rate") { Description = "With --serve-blast: frames per second per socket (0: as fast as the reader takes them)", DefaultValueFactory = _ => 0 };
var joins = new Option<int>("--joins") { Description = "Time N v1 joins, one at a time, into --rooms lived-in rooms (open to history frame)", DefaultValueFactory = _ => 0 };
var warmup = new Option<double>("--warmup") { Description = "Seconds of unreported load first (JIT tiering settles in ~30 s)", DefaultValueFactory = _ => 0 };

var root = new RootCommand("LetsChat load generator: rooms × clients × senders × rate, counted and timed.")
{
    targets, rooms, clients, senders, rate, duration, drain, protocol, pids, sources, concurrency,
    ladder, factor, maxSteps, p99Limit, idle, hold, json, quiet, warmup, roomPrefix, sameRooms, serveBlast, blastBatch, blastRate, joins,
};

root.SetAction(async (parse, ct) =>
{
    if (parse.GetValue(serveBlast) is > 0 and var blastPort)
    {
        await BlastServer.RunAsync(blastPort, parse.GetValue(blastBatch), parse.GetValue(blastRate), ct);
        return 0;
    }
    var settings = new LoadSettings
    {
        Targets = (parse.GetValue(targets) ?? []).Select(t => Uri.TryCreate(t, UriKind.Absolute, out var uri) ? uri : new Uri("invalid:" + Uri.EscapeDataString(t))).ToArray(),
        Rooms = parse.GetValue(rooms),
        Clients = parse.GetValue(clients),
        Senders = parse.GetValue(senders),
        Rate = parse.GetValue(rate),
        Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
        Drain = TimeSpan.FromSeconds(parse.GetValue(drain)),
        Protocol = parse.GetValue(protocol),
        Pids = parse.GetValue(pids) ?? [],
        Sources = Enumerable.Range(1, parse.GetValue(sources)).Select(i => IPAddress.Parse($"127.0.0.{i}")).ToArray(),
        ConnectConcurrency = parse.GetValue(concurrency),
        RoomPrefix = parse.GetValue(roomPrefix) ?? "load",
        SameRooms = parse.GetValue(sameRooms),
    };
    if (settings.Validate() is { } problem)
    {
        Console.Error.WriteLine($"error: {problem}");
        return 2;
    }
    var progress = parse.GetValue(quiet) ? null : Console.Error;
    var jsonPath = parse.GetValue(json);

    if (parse.GetValue(warmup) is > 0 and var warmupSeconds)
    {
        progress?.WriteLine($"warm-up: {warmupSeconds:N0} s");
        await LoadStep.RunAsync(settings with { Duration = TimeSpan.FromSeconds(warmupSeconds), Drain = TimeSpan.FromSeconds(2) }, null, ct);
    }
    if (parse.GetValue(idle) is > 0 and var idleCount)
    {
        var result = await Idle.RunAsync(settings, idleCount, TimeSpan.FromSeconds(parse.GetValue(hold)), progress, ct);
        Emit(jsonPath, result, Report.Table(result));
        return result.Failed == 0 ? 0 : 1;
    }
    if (parse.GetValue(joins) is > 0 and var joinCount)
    {
        var result = await Joins.RunAsync(settings, joinCount, progress, ct);
        Emit(jsonPath, result, Report.Table(result));
        return result.Failed == 0 ? 0 : 1;
    }
    if (parse.GetValue(ladder))
    {
        var result = await Ladder.RunAsync(settings, parse.GetValue(factor), parse.GetValue(maxSteps), parse.GetValue(p99Limit), progress, ct);
        Emit(jsonPath, result, Report.Table(result));
        return result.Best is null ? 1 : 0;
    }
    var step = await LoadStep.RunAsync(settings, progress, ct);
    Emit(jsonPath, step, Report.Table(step));
    return step.Clean(double.PositiveInfinity) ? 0 : 1;
});

return await root.Parse(args).InvokeAsync();

static void Emit<T>(string? jsonPath, T result, string table)
{
    var text = Report.ToJson(result);
    if (jsonPath == "-")
    {
        Console.WriteLine(text);
        return;
    }
    Console.WriteLine(table);
    if (jsonPath is not null) File.WriteAllText(jsonPath, text);
}
