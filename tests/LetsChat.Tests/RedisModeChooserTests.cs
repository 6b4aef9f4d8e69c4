using LetsChat.AppHost;

namespace LetsChat.Tests;

/// <summary>The AppHost's rule for LetsChat:Redis=auto, with the machine probes replaced.</summary>
public sealed class RedisModeChooserTests
{
    [Theory]
    [InlineData(true, "/usr/bin/redis-server", RedisMode.Container)]
    [InlineData(true, null, RedisMode.Container)]
    [InlineData(false, "/usr/bin/redis-server", RedisMode.Server)]
    [InlineData(false, null, RedisMode.Garnet)]
    public void AutoPrefersContainerThenServerThenGarnet(bool docker, string? serverPath, RedisMode expected)
    {
        var choice = RedisModeChooser.Choose(RedisMode.Auto, () => docker, () => serverPath);

        Assert.Equal(expected, choice.Mode);
        Assert.StartsWith("auto:", choice.Reason);
    }

    [Theory]
    [InlineData(RedisMode.Container)]
    [InlineData(RedisMode.Garnet)]
    public void AnExplicitModeIsTakenWithoutProbing(RedisMode mode)
    {
        var choice = RedisModeChooser.Choose(mode, () => throw new InvalidOperationException("probed"), () => throw new InvalidOperationException("probed"));

        Assert.Equal(mode, choice.Mode);
    }

    [Fact]
    public void ServerModeWithoutRedisServerOnPathFailsWithAFix()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => RedisModeChooser.Choose(RedisMode.Server, () => false, () => null));

        Assert.Contains("apt-get install -y redis-server", error.Message);
    }

    [Fact]
    public void ClusterModeRunsRedisServerFromPathAndNeedsIt()
    {
        Assert.Equal("/usr/bin/redis-server", RedisModeChooser.Choose(RedisMode.Cluster, () => throw new InvalidOperationException("probed"), () => "/usr/bin/redis-server").ServerPath);
        Assert.Contains("apt-get install -y redis-server",
            Assert.Throws<InvalidOperationException>(() => RedisModeChooser.Choose(RedisMode.Cluster, () => false, () => null)).Message);
    }

    [Theory]
    [InlineData(null, RedisMode.Auto)]
    [InlineData("", RedisMode.Auto)]
    [InlineData("GARNET", RedisMode.Garnet)]
    [InlineData(" server ", RedisMode.Server)]
    [InlineData("Cluster", RedisMode.Cluster)]
    public void ParseIsCaseInsensitive(string? value, RedisMode expected) =>
        Assert.Equal(expected, RedisModeChooser.Parse(value));

    [Theory]
    [InlineData("valkey")]
    [InlineData("2")]
    public void ParseRefusesUnknownModes(string value) =>
        Assert.Contains("expected one of auto, container, server, garnet, cluster", Assert.Throws<InvalidOperationException>(() => RedisModeChooser.Parse(value)).Message);
}
