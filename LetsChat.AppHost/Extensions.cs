using System.Reflection;
using System.Security.Cryptography;
using LetsChat.AppHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>The parts of the model that need more than one line: which Redis, and the public endpoint.</summary>
internal static class Extensions
{
    private const int DefaultGatewayPort = 8080;

    /// <summary>
    /// Adds the Redis-protocol server chosen by <c>LetsChat:Redis</c> (auto | container | server | garnet)
    /// and logs the choice. The decision is made before the model is built, because a container
    /// resource with no Docker daemon never turns healthy.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddChatRedis(
        this IDistributedApplicationBuilder builder, string name)
    {
        var configured = RedisModeChooser.Parse(builder.Configuration["LetsChat:Redis"]);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddPublishedRedis(name, configured);
        }
        var choice = RedisModeChooser.Choose(configured, HostProbes.DockerAnswers, () => HostProbes.FindOnPath("redis-server"));
        var storage = RedisStorage.From(builder.Configuration, choice.Mode);
        if (storage.DataDir is { } dataDir)
        {
            Directory.CreateDirectory(dataDir);
        }

        LogChoiceAtStart(builder, name, choice, storage);

        return choice.Mode switch
        {
            RedisMode.Container => builder.AddRedis(name).WithContainerStorage(storage, ContainerVolume(name)),
            RedisMode.Server => builder.AddRedisProcess(name, choice.ServerPath!, (resource, password) =>
            [
                // The password goes in a config file (mode 600), never on the command line or in logs.
                RedisConfigFile.Write(resource.WorkingDirectory, $"requirepass {password}\n"),
                "--port", resource.Endpoint.Property(EndpointProperty.TargetPort),
                "--bind", "127.0.0.1",
                .. RedisPersistence.ServerArgs(storage),
            ]),
            RedisMode.Garnet => builder.AddGarnetProcess(name, storage),
            // LetsChat:ClusterPort: the first of six node ports (default 7100; 0 = any free ones).
            RedisMode.Cluster => builder.AddRedisCluster(name, choice.ServerPath!, storage, builder.Configuration.GetValue("LetsChat:ClusterPort", 7100)),
            _ => throw new InvalidOperationException($"Unexpected Redis mode {choice.Mode}."),
        };
    }

    private static void LogChoiceAtStart(IDistributedApplicationBuilder builder, string name, RedisChoice choice, RedisStorage storage) =>
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LetsChat.AppHost");
            AppHostLog.RedisMode(logger, choice.Mode, choice.Reason);
            var where = storage.DataDir ?? (storage.Persistent ? $"container volume {ContainerVolume(name)}" : "memory only");
            var durability = storage.Durability.ToString().ToLowerInvariant(); // as LetsChat:Durability spells it
            AppHostLog.RedisData(logger, where, durability);
            return Task.CompletedTask;
        });

    // The Garnet host reads its password from LETSCHAT_REDIS_PASSWORD (set by AddRedisProcess, from a secret parameter).
    private static IResourceBuilder<IResourceWithConnectionString> AddGarnetProcess(this IDistributedApplicationBuilder builder, string name, RedisStorage storage) =>
        builder.AddRedisProcess(name, "dotnet", (resource, _) =>
        [
            GarnetHostPath(),
            "--port", resource.Endpoint.Property(EndpointProperty.TargetPort),
            "--bind", "127.0.0.1",
            // Garnet's defaults reserve gigabytes; a chat needs little.
            "-m", "256m",
            "-i", "16m",
            // Lua is off unless asked for, and not atomic unless asked for: without transaction
            // mode two publish scripts interleave, and seq order stops matching delivery order.
            "--lua",
            "--lua-transaction-mode",
            .. RedisPersistence.GarnetArgs(storage),
        ]);

    /// <summary>
    /// Publish mode describes the deployment, not this machine: nothing here is probed (no
    /// <c>docker info</c>, no search for redis-server) or created (no data or temp folders). A
    /// cluster is one the operator runs (docs/deploy.md): its connection string is asked for at
    /// deploy time. Any other mode publishes Aspire's Redis container with its data on a named
    /// volume, the AOF as <c>LetsChat:Durability</c> says: redis-server and Garnet processes are
    /// ways to run on a developer's machine, not something to ship.
    /// </summary>
    private static IResourceBuilder<IResourceWithConnectionString> AddPublishedRedis(
        this IDistributedApplicationBuilder builder, string name, RedisMode configured)
    {
        if (configured == RedisMode.Cluster)
        {
            return builder.AddConnectionString(name);
        }
        var storage = RedisStorage.From(builder.Configuration, RedisMode.Container);
        return builder.AddRedis(name).WithContainerStorage(storage, ContainerVolume(name));
    }

    /// <summary>
    /// Replicas, and the manifest says how many. Aspire's manifest (13.6) writes a project without
    /// its replica count, so a deployment read from it would run one room service where the app
    /// runs several; the entry is written here as Aspire writes it, plus <c>"replicas"</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublishedReplicas(this IResourceBuilder<ProjectResource> project, int replicas) =>
        project.WithReplicas(replicas).WithManifestPublishingCallback(async context =>
        {
            var resource = project.Resource;
            context.Writer.WriteString("type", "project.v0");
            context.Writer.WriteString("path", context.GetManifestRelativePath(resource.GetProjectMetadata().ProjectPath));
            context.Writer.WriteNumber("replicas", resource.GetReplicaCount());
            await context.WriteCommandLineArgumentsAsync(resource);
            await context.WriteEnvironmentVariablesAsync(resource);
            context.WriteBindings(resource);
        });

    private static string ContainerVolume(string name) => $"letschat-{name}-data";

    /// <summary>
    /// Aspire's Redis container keeps /data on a named volume; its command line gets the AOF
    /// settings added, since WithPersistence only schedules RDB snapshots, which lose everything
    /// since the last one. The container runs <c>/bin/sh -c "redis-server …"</c>: at run time
    /// Aspire passes the arguments one by one and the orchestrator joins them into that line; a
    /// published manifest has the line itself. Either way the shell reads the arguments, so they
    /// are quoted for it (<see cref="RedisPersistence.ContainerArgs"/>).
    /// </summary>
    private static IResourceBuilder<RedisResource> WithContainerStorage(this IResourceBuilder<RedisResource> redis, RedisStorage storage, string volume)
    {
        if (!storage.Persistent)
        {
            return redis;
        }
        return redis.WithDataVolume(volume).WithArgs(context =>
        {
            var persistence = RedisPersistence.ContainerArgs(storage);
            var line = context.Args.IndexOf("-c") + 1;
            if (line > 0 && line < context.Args.Count && context.Args[line] is string command)
            {
                context.Args[line] = $"{command} {string.Join(' ', persistence)}";
            }
            else if (context.Args.Count > 0 && context.Args[0] is "redis-server")
            {
                foreach (var arg in persistence)
                {
                    context.Args.Add(arg);
                }
            }
            else
            {
                throw new InvalidOperationException("Aspire's Redis container no longer runs redis-server through /bin/sh -c; update WithContainerStorage.");
            }
        });
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddRedisProcess(
        this IDistributedApplicationBuilder builder, string name, string command,
        Func<RedisProcessResource, string, object[]> args)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("letschat-redis-").FullName;
        // A fresh password per run: Redis is reachable only by this app's services, which get it
        // in their connection string. A secret parameter, so the dashboard masks it.
        var secret = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var password = builder.AddParameter($"{name}-password", secret, secret: true);
        var resource = new RedisProcessResource(name, command, workingDirectory, password.Resource);
        var healthCheckKey = $"{name}_ping";

        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async ct =>
        {
            var endpoint = await resource.Endpoint.Property(EndpointProperty.HostAndPort).GetValueAsync(ct);
            return await RedisPing.CheckAsync(endpoint, secret, ct);
        });

        return builder.AddResource(resource)
            .WithEndpoint(name: RedisProcessResource.EndpointName, scheme: "tcp")
            .WithEnvironment("LETSCHAT_REDIS_PASSWORD", password)
            .WithArgs(context =>
            {
                foreach (var arg in args(resource, secret))
                {
                    context.Args.Add(arg);
                }
            })
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// References Redis and waits until it serves: healthy for a server or a container; for a
    /// cluster, its setup step completed (every node up, every master with a replica in sync).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithChatRedis(
        this IResourceBuilder<ProjectResource> rooms, IResourceBuilder<IResourceWithConnectionString> redis)
    {
        rooms.WithReference(redis);
        return redis.Resource is RedisClusterResource ? rooms.WaitForCompletion(redis) : rooms.WaitFor(redis);
    }

    private static string GarnetHostPath() =>
        typeof(Extensions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LetsChat.GarnetHostPath")?.Value
        ?? throw new InvalidOperationException("The AppHost was built without the Garnet host's path.");

    /// <summary>
    /// Passes the AppHost's <c>LetsChat:Rooms:*</c> settings (e.g. <c>--LetsChat:Rooms:PresenceTtlSeconds=6</c>)
    /// to the room service, so one place tunes the whole app for a run or a test.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRoomSettings(this IResourceBuilder<ProjectResource> rooms)
    {
        foreach (var setting in rooms.ApplicationBuilder.Configuration.GetSection("LetsChat:Rooms").AsEnumerable(makePathsRelative: true))
        {
            if (setting.Value is not null)
            {
                rooms.WithEnvironment($"LetsChat__Rooms__{setting.Key.Replace(":", "__")}", setting.Value);
            }
        }
        return rooms;
    }

    /// <summary>
    /// The one public endpoint. <c>LetsChat:GatewayPort</c> (default 8080) fixes its port so the
    /// chat has a stable URL; 0 lets the orchestrator pick one (tests). The URL is logged once ready.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithChatEndpoint(this IResourceBuilder<ProjectResource> gateway)
    {
        var port = gateway.ApplicationBuilder.Configuration.GetValue("LetsChat:GatewayPort", DefaultGatewayPort);
        if (port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"LetsChat:GatewayPort is {port}; expected 0 (random) or a TCP port.");
        }

        return gateway
            .WithHttpEndpoint(port: port == 0 ? null : port)
            .WithExternalHttpEndpoints()
            .OnResourceReady((resource, e, _) =>
            {
                var url = resource.GetEndpoint("http").Url;
                var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LetsChat.AppHost");
                AppHostLog.Ready(logger, url);
                return Task.CompletedTask;
            });
    }
}

/// <summary>What the AppHost tells the developer at start (category "LetsChat.AppHost").</summary>
internal static partial class AppHostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Redis: {Mode} ({Reason})")]
    public static partial void RedisMode(ILogger logger, RedisMode mode, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis data: {Where}, durability {Durability}")]
    public static partial void RedisData(ILogger logger, string where, string durability);

    [LoggerMessage(Level = LogLevel.Information, Message = "LetsChat is ready: {Url}/chat/")]
    public static partial void Ready(ILogger logger, string url);
}

/// <summary>A redis.conf holding secrets (the password), readable by this user alone.</summary>
internal static class RedisConfigFile
{
    public static string Write(string directory, string content)
    {
        var path = Path.Combine(directory, "redis.conf");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var file = new FileStream(path, options);
        file.Write(System.Text.Encoding.ASCII.GetBytes(content));
        return path;
    }
}
