using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The container mode's storage, read from the AppHost's built model (no Docker engine is needed,
/// nor started): Aspire's Redis container gets the named volume on /data and the AOF options on its
/// command line. What the container then does with them is not tested on these machines (no engine).
/// </summary>
public sealed class ContainerStorageTests
{
    [Theory]
    [InlineData("always", "always")]
    [InlineData("everysec", "everysec")]
    public async Task TheContainerKeepsItsAppendOnlyFileOnANamedVolume(string durability, string appendfsync)
    {
        var (mounts, args) = await RedisContainerAsync(durability);

        var mount = Assert.Single(mounts);
        Assert.Equal(("letschat-redis-data", "/data"), (mount.Source, mount.Target));
        // At run time the orchestrator joins these into /bin/sh -c "…"; the shell must see --save '' (no snapshots).
        Assert.Equal("redis-server", args[0]);
        Assert.EndsWith($"--dir /data --save '' --appendonly yes --appendfsync {appendfsync} --maxmemory 1gb --maxmemory-policy noeviction", string.Join(' ', args));
    }

    [Fact]
    public async Task NoneKeepsNothing()
    {
        var (mounts, args) = await RedisContainerAsync("none");

        Assert.Empty(mounts);
        Assert.DoesNotContain(args, a => a.Contains("appendonly", StringComparison.Ordinal));
    }

    // The redis container's mounts and the arguments the orchestrator would run it with, from the built model.
    private static async Task<(List<ContainerMountAnnotation> Mounts, string[] Args)> RedisContainerAsync(string durability)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var builder = await Aspire.Hosting.Testing.DistributedApplicationTestingBuilder.CreateAsync<Projects.LetsChat_AppHost>(
            ["--LetsChat:Redis=container", $"--LetsChat:Durability={durability}", "--LetsChat:GatewayPort=0"], cts.Token);
        await using var app = await builder.BuildAsync(cts.Token);
        var redis = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ContainerResource>().Single(r => r.Name == "redis");
        var config = await ExecutionConfigurationBuilder.Create(redis).WithArgumentsConfig()
            .BuildAsync(app.Services.GetRequiredService<Aspire.Hosting.DistributedApplicationExecutionContext>(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cts.Token);
        return ([.. redis.Annotations.OfType<ContainerMountAnnotation>()], [.. config.Arguments.Select(a => a.Value)]);
    }
}
