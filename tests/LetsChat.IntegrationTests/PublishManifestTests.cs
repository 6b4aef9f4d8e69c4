using System.Diagnostics;
using System.Text.Json.Nodes;

namespace LetsChat.IntegrationTests;

/// <summary>
/// What <c>LetsChat.AppHost --publisher manifest</c> writes, the AppHost run as a process the way a
/// deployment tool runs it. The manifest must describe the deployment, not this machine: a Redis
/// container with its data on a volume (or, for a cluster, a connection string asked for at deploy
/// time), two room services, one public gateway. And publishing must not probe the machine: a
/// <c>docker</c> and a <c>redis-server</c> that leave a mark when run come first on PATH.
/// </summary>
public sealed class PublishManifestTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("letschat-manifest-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task TheManifestHasAPersistentRedisContainerTwoRoomServicesAndOnePublicGateway()
    {
        var (manifest, probed) = await PublishAsync([]);
        var resources = manifest["resources"]!.AsObject();

        var redis = resources["redis"]!;
        Assert.Equal("container.v0", (string?)redis["type"]);
        Assert.StartsWith("docker.io/library/redis:", (string?)redis["image"], StringComparison.Ordinal);
        var volume = Assert.Single(redis["volumes"]!.AsArray())!;
        Assert.Equal(("letschat-redis-data", "/data"), ((string?)volume["name"], (string?)volume["target"]));
        Assert.EndsWith("--dir /data --save '' --appendonly yes --appendfsync always --maxmemory 1gb --maxmemory-policy noeviction", Command(redis), StringComparison.Ordinal);
        Assert.Contains("{redis-password.value}", (string?)redis["connectionString"], StringComparison.Ordinal);
        Assert.True((bool?)resources["redis-password"]!["inputs"]!["value"]!["secret"]);

        var rooms = resources["rooms"]!;
        Assert.Equal(("project.v0", 2), ((string?)rooms["type"], (int?)rooms["replicas"]));
        Assert.EndsWith("LetsChat.RoomService/LetsChat.RoomService.csproj", (string?)rooms["path"], StringComparison.Ordinal);
        Assert.Equal("{redis.connectionString}", (string?)rooms["env"]!["ConnectionStrings__redis"]);

        var gateway = resources["gateway"]!;
        Assert.True((bool?)gateway["bindings"]!["http"]!["external"]);
        Assert.Equal("{rooms.bindings.http.url}", (string?)gateway["env"]!["services__rooms__http__0"]);
        Assert.Null((bool?)resources["rooms"]!["bindings"]!["http"]!["external"]); // only the gateway faces users

        // Nothing of this machine: no processes to run, no local folders.
        Assert.DoesNotContain(resources, r => (string?)r.Value!["type"] == "executable.v0");
        Assert.DoesNotContain("/.local/share/", manifest.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("letschat-redis-", manifest.ToJsonString().Replace("letschat-redis-data", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Empty(probed);
    }

    [Fact]
    public async Task InClusterModeRedisIsAConnectionStringToAskForAtDeployTime()
    {
        var (manifest, probed) = await PublishAsync(["--LetsChat:Redis=cluster"]);
        var resources = manifest["resources"]!.AsObject();

        var redis = resources["redis"]!;
        Assert.Equal(("parameter.v0", "{redis.value}"), ((string?)redis["type"], (string?)redis["connectionString"]));
        Assert.True((bool?)redis["inputs"]!["value"]!["secret"]);
        Assert.DoesNotContain(resources, r => r.Key.StartsWith("redis-", StringComparison.Ordinal)); // no nodes of this machine's cluster
        Assert.Equal(2, (int?)resources["rooms"]!["replicas"]);
        Assert.Empty(probed);
    }

    [Fact]
    public async Task DurabilityNoneIsAContainerWithoutAVolume()
    {
        var (manifest, _) = await PublishAsync(["--LetsChat:Durability=none"]);
        var redis = manifest["resources"]!["redis"]!;

        Assert.Null(redis["volumes"]);
        Assert.DoesNotContain("appendonly", Command(redis), StringComparison.Ordinal);
    }

    // The container's command: /bin/sh -c "<line>".
    private static string Command(JsonNode container) => (string)container["args"]!.AsArray()[^1]!;

    /// <summary>Runs the built AppHost's publisher; returns the manifest and which probes ran.</summary>
    private async Task<(JsonObject Manifest, string[] Probed)> PublishAsync(string[] args)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var bin = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bin")).FullName;
        var marks = Path.Combine(_dir.FullName, "probed");
        foreach (var probe in (string[])["docker", "redis-server"])
        {
            var path = Path.Combine(bin, probe);
            await File.WriteAllTextAsync(path, $"#!/bin/sh\necho {probe} >> '{marks}'\nexit 1\n", cts.Token);
            if (!OperatingSystem.IsWindows()) // shell scripts: PATH's fakes exist on Unix only
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var output = Path.Combine(_dir.FullName, "out", "aspire-manifest.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.FullName };
        foreach (var arg in (string[])[AppHostDll(), "--publisher", "manifest", "--output-path", output, .. args])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["PATH"] = $"{bin}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"the publisher exited {process.ExitCode}:{Environment.NewLine}{await stdout}{await stderr}");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(output, cts.Token))!.AsObject();
        return (manifest, File.Exists(marks) ? await File.ReadAllLinesAsync(marks, cts.Token) : []);
    }

    // Built beside the tests, in the same configuration (bin/<Debug|Release>/net10.0).
    private static string AppHostDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var project = Projects.LetsChat_AppHost.ProjectPath; // the AppHost's folder (or its .csproj)
        var folder = project.EndsWith(".csproj", StringComparison.Ordinal) ? Path.GetDirectoryName(project)! : project;
        var path = Path.Combine(folder, "bin", here.Parent!.Name, here.Name, "LetsChat.AppHost.dll");
        Assert.True(File.Exists(path), $"the AppHost is not built at {path}");
        return path;
    }
}
