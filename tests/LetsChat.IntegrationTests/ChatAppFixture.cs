using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // one whole app at a time on 2 cores

namespace LetsChat.IntegrationTests;

/// <summary>
/// The whole AppHost, started once per test collection, with one Redis mode. The gateway gets a
/// random port; tests reach everything through it, as a browser would.
/// </summary>
public abstract class ChatAppFixture(string redisMode, params string[] settings) : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(3);

    private DistributedApplication? _app;

    public string RedisMode { get; } = redisMode;

    /// <summary>The resource with Redis's "tcp" endpoint: "redis", or a cluster's first node.</summary>
    public string RedisNode => RedisMode == "cluster" ? "redis-1" : "redis";

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public Uri Gateway { get; private set; } = null!;

    /// <summary>This app's own Redis data directory (LetsChat:DataDir), removed when the fixture is disposed.</summary>
    public string DataDir { get; } = Directory.CreateTempSubdirectory("letschat-test-data-").FullName;

    /// <summary>Every line the app's resources wrote (Information and up), for tests of what logs may contain.</summary>
    public ResourceLogCapture ResourceLogs { get; } = new();

    /// <summary>A short history window, so tests can push a client past it with a few hundred messages.</summary>
    public const int HistoryLength = 100;

    /// <summary>
    /// The suite's own traffic comes from loopback and would spend one network's request budgets in
    /// seconds; tests of the budgets send from networks of their own (X-Forwarded-For at the gateway).
    /// </summary>
    private const string ExemptLoopback = "--LetsChat:Rooms:RequestLimits:ExemptNetworks=127.0.0.0/8,::1/128";

    protected static readonly string[] Unthrottled = ["--LetsChat:Rooms:FramesPerSecond=1000000", "--LetsChat:Rooms:FrameBurst=1000000"];

    public Uri WebSocketUri(string room) =>
        new($"ws://{Gateway.Authority}/ws/chat/{Uri.EscapeDataString(room)}/");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(s_startTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LetsChat_AppHost>(
            [$"--LetsChat:Redis={RedisMode}", "--LetsChat:GatewayPort=0", $"--LetsChat:DataDir={DataDir}", ExemptLoopback, .. settings], cts.Token);
        // Resource output is forwarded as LetsChat.AppHost.Resources.<name>; warnings and errors
        // (stderr) are enough to explain a failure without burying the test output.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("LetsChat.AppHost", LogLevel.Information)
            .AddFilter("LetsChat.AppHost.Resources", LogLevel.Warning)
            .AddProvider(ResourceLogs)
            .AddFilter<ResourceLogCapture>("LetsChat.AppHost.Resources", LogLevel.Information));

        await ConfigureAsync(builder);
        _app = await builder.BuildAsync(cts.Token);
        await _app.StartAsync(cts.Token);
        // The gateway waits for the room service (which waits for Redis) and the frontend:
        // a healthy gateway means the whole chain is up.
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cts.Token);
        Gateway = _app.GetEndpoint("gateway", "http");
    }

    /// <summary>A fixture's last word on the model before it is built (extra environment, for instance).</summary>
    protected virtual Task ConfigureAsync(IDistributedApplicationTestingBuilder builder) => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        await StopAppAsync();
        Directory.Delete(DataDir, recursive: true);
    }

    /// <summary>Stops the whole app (every resource, gracefully, as Ctrl+C does) and starts it again on the same data directory.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await InitializeAsync();
    }

    private async Task StopAppAsync()
    {
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>The Redis process the orchestrator runs now (redis-server, or dotnet for Garnet; a restart makes a new one).</summary>
    public int RedisPid() => Pid("redis");

    /// <summary>The process of an executable resource, as the orchestrator runs it now.</summary>
    public int Pid(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"no state for the {resource} resource");
        var pid = state!.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value;
        return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops Redis the way an orchestrator does (a graceful stop) and waits until it is down.</summary>
    public async Task StopRedisAsync(CancellationToken ct)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StopCommand, ct)).Success, "the stop command failed");
        await WaitForRedisDownAsync(ct);
    }

    /// <summary>Kills Redis with SIGKILL (a crash: nothing is flushed on the way out) and waits until the orchestrator sees it gone.</summary>
    public async Task KillRedisAsync(CancellationToken ct)
    {
        var pid = RedisPid();
        Assert.True(Posix.Kill(pid, Posix.SigKill) == 0, $"kill -9 {pid} failed");
        await WaitForRedisDownAsync(ct);
    }

    /// <summary>Starts Redis again (same arguments, so the same data directory) and waits until it answers.</summary>
    public async Task StartRedisAsync(CancellationToken ct)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StartCommand, ct)).Success, "the start command failed");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(45));
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync("redis", deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Say why from the CI log alone: what Redis printed, and what its data directory holds.
            var files = Directory.EnumerateFiles(DataDir, "*", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(DataDir, f)} ({new FileInfo(f).Length} B)");
            throw new TimeoutException($"redis (pid {RedisPid()}) was not healthy 45 s after its restart. Data dir {DataDir}: {string.Join(", ", files)}. " +
                $"Its last lines:{Environment.NewLine}{string.Join(Environment.NewLine, ResourceLogs.LinesOf("redis").TakeLast(40))}");
        }
    }

    /// <summary>
    /// Runs a test's body; a socket refused on the way carries the room service's last warnings
    /// with it (a 503 only says "unavailable"; the log says which Redis call failed, and how).
    /// </summary>
    public async Task WithRoomLogsAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (System.Net.WebSockets.WebSocketException e)
        {
            var lines = ResourceLogs.LinesOf("rooms")
                .Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal)).TakeLast(20);
            throw new System.Net.WebSockets.WebSocketException(e.WebSocketErrorCode,
                $"{e.Message} The room service's last warnings:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}", e);
        }
    }

    /// <summary>SIGKILLs an executable resource (a cluster node) and waits until the orchestrator sees it gone.</summary>
    public async Task KillAsync(string resource, CancellationToken ct)
    {
        var pid = Pid(resource);
        Assert.True(Posix.Kill(pid, Posix.SigKill) == 0, $"kill -9 {pid} ({resource}) failed");
        await App.ResourceNotifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
    }

    /// <summary>Starts a stopped resource again and waits until it is healthy.</summary>
    public async Task StartAsync(string resource, CancellationToken ct)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, ct)).Success, $"starting {resource} failed");
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct);
    }

    private async Task WaitForRedisDownAsync(CancellationToken ct) =>
        await App.ResourceNotifications.WaitForResourceAsync("redis", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
}

/// <summary>kill(2) straight from libc (Linux x86-64 and arm64 signal numbers), so tests need no kill binary.</summary>
internal static class Posix
{
    public const int SigKill = 9, SigCont = 18, SigStop = 19;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}

/// <summary>
/// The shared apps. Their tests send hundreds of frames as fast as they can (ordering, resume under
/// load), so the per-socket rate limit is lifted here; <see cref="LimitsApp"/> keeps the defaults.
/// </summary>
public sealed class ServerRedisApp() : ChatAppFixture("server", [$"--LetsChat:Rooms:HistoryLength={HistoryLength}", .. Unthrottled]);

public sealed class GarnetRedisApp() : ChatAppFixture("garnet", [$"--LetsChat:Rooms:HistoryLength={HistoryLength}", .. Unthrottled]);

/// <summary>Its own app, with the production rate limit and small socket caps: its tests flood and hit the caps.</summary>
public sealed class LimitsApp() : ChatAppFixture("server",
    $"--LetsChat:Rooms:MaxConnectionsPerIp={MaxConnectionsPerIp}", $"--LetsChat:Rooms:MaxConnectionsPerUser={MaxConnectionsPerUser}")
{
    public const int MaxConnectionsPerIp = 40, MaxConnectionsPerUser = 6;
}

/// <summary>Its own app, because its test kills a replica for good. A short presence TTL keeps it quick.</summary>
public sealed class CrashApp() : ChatAppFixture("server", $"--LetsChat:Rooms:PresenceTtlSeconds={PresenceTtlSeconds}")
{
    public const int PresenceTtlSeconds = 6;
}

[CollectionDefinition(Name)]
public sealed class ServerRedisCollection : ICollectionFixture<ServerRedisApp>
{
    public const string Name = "app with redis-server";
}

/// <summary>Its own app: the room service and gateway export telemetry to a receiver in the test, and Redis gets stopped.</summary>
public sealed class TelemetryApp() : ChatAppFixture("server")
{
    public OtlpReceiver Receiver { get; private set; } = null!;

    protected override async Task ConfigureAsync(IDistributedApplicationTestingBuilder builder)
    {
        Receiver = await OtlpReceiver.StartAsync();
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(r => r.Name is "rooms" or "gateway"))
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Receiver.Endpoint)
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200")
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "500");
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<TelemetryApp>
{
    public const string Name = "app exporting telemetry to the test";
}

[CollectionDefinition(Name)]
public sealed class LimitsCollection : ICollectionFixture<LimitsApp>
{
    public const string Name = "app with production limits";
}

[CollectionDefinition(Name)]
public sealed class CrashCollection : ICollectionFixture<CrashApp>
{
    public const string Name = "app whose replica gets killed";
}

/// <summary>An app whose Redis the tests stop, restart and freeze (SIGSTOP) under load.</summary>
public sealed class FaultApp() : ChatAppFixture("server", Unthrottled);

[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultApp>
{
    public const string Name = "app whose Redis fails";
}

/// <summary>Garnet under always (not its default), killed under load: its own app, so the shared Garnet app's tests never see it down.</summary>
public sealed class GarnetFaultApp() : ChatAppFixture("garnet", [.. Unthrottled, "--LetsChat:Durability=always"]);

[CollectionDefinition(Name)]
public sealed class GarnetFaultCollection : ICollectionFixture<GarnetFaultApp>
{
    public const string Name = "app whose Garnet fails";
}

/// <summary>Garnet under LetsChat:Durability=everysec, killed under load: a crash that really loses the last writes.</summary>
public sealed class GarnetEverysecApp() : ChatAppFixture("garnet", [.. Unthrottled, "--LetsChat:Durability=everysec"]);

[CollectionDefinition(Name)]
public sealed class GarnetEverysecCollection : ICollectionFixture<GarnetEverysecApp>
{
    public const string Name = "app whose everysec Garnet fails";
}

[CollectionDefinition(Name)]
public sealed class GarnetRedisCollection : ICollectionFixture<GarnetRedisApp>
{
    public const string Name = "app with Garnet";
}

/// <summary>A Redis Cluster (three masters, three replicas) on free loopback ports, as the shared specs use it.</summary>
public sealed class ClusterApp() : ChatAppFixture("cluster", [$"--LetsChat:Rooms:HistoryLength={HistoryLength}", .. Unthrottled, "--LetsChat:ClusterPort=0"]);

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterApp>
{
    public const string Name = "app with a Redis Cluster";
}

/// <summary>A cluster whose nodes the tests kill: its own, so the shared cluster's tests never see a node down.</summary>
public sealed class ClusterFaultApp() : ChatAppFixture("cluster", [.. Unthrottled, "--LetsChat:ClusterPort=0"])
{
    /// <summary>The resource ("redis-1" … "redis-6") running <paramref name="node"/>: nodes are named in port order.</summary>
    public static string ClusterNodeResource(IReadOnlyList<ClusterNode> nodes, ClusterNode node) =>
        $"redis-{nodes.OrderBy(n => n.Port).ToList().FindIndex(n => n.Port == node.Port) + 1}";
}

[CollectionDefinition(Name)]
public sealed class ClusterFaultCollection : ICollectionFixture<ClusterFaultApp>
{
    public const string Name = "app whose Redis Cluster loses a master";
}

/// <summary>Keeps the resources' log lines in memory (the forwarded console output of every service and Redis).</summary>
public sealed class ResourceLogCapture : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>One resource's lines, oldest first.</summary>
    public IEnumerable<string> LinesOf(string resource) =>
        _lines.Where(l => l.StartsWith($"LetsChat.AppHost.Resources.{resource}:", StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Capture(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Capture(ResourceLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => category.StartsWith("LetsChat.AppHost.Resources", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner._lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
