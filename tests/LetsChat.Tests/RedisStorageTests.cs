using LetsChat.AppHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LetsChat.Tests;

/// <summary>The AppHost's LetsChat:Durability and LetsChat:DataDir, and the options each Redis mode gets from them.</summary>
public sealed class RedisStorageTests
{
    private static RedisStorage From(RedisMode mode, params (string Key, string Value)[] settings) =>
        RedisStorage.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build(), mode);

    [Fact]
    public void TheDefaultIsAlwaysButEverysecOnGarnetUnderTheUsersDataFolderOneFolderPerMode()
    {
        var server = From(RedisMode.Server);
        var garnet = From(RedisMode.Garnet);

        Assert.Equal(Durability.Always, server.Durability);
        Assert.Equal(Durability.Everysec, garnet.Durability);
        Assert.Equal(Durability.Always, From(RedisMode.Garnet, ("LetsChat:Durability", "always")).Durability);
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        Assert.Equal(Path.Combine(data, "LetsChat", "redis-server"), server.DataDir);
        Assert.Equal(Path.Combine(data, "LetsChat", "garnet"), garnet.DataDir);
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), server.DataDir);
    }

    [Fact]
    public void DataDirIsConfigurableAndMadeAbsolute()
    {
        var storage = From(RedisMode.Server, ("LetsChat:DataDir", "some/where"));

        Assert.Equal(Path.GetFullPath("some/where"), storage.DataDir);
    }

    [Theory]
    [InlineData("none", RedisMode.Server)]
    [InlineData("always", RedisMode.Container)]
    public void NoneAndContainersHaveNoDataDirectory(string durability, RedisMode mode) =>
        Assert.Null(From(mode, ("LetsChat:Durability", durability)).DataDir);

    [Theory]
    [InlineData("weekly")]
    [InlineData("fsync")]
    public void AnUnknownDurabilityIsRefusedNamingTheChoices(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(RedisMode.Server, ("LetsChat:Durability", value)));
        Assert.Contains("always, everysec, none", error.Message);
    }

    [Theory]
    [InlineData(Durability.Always, "always")]
    [InlineData(Durability.Everysec, "everysec")]
    public void RedisServerKeepsAnAofInTheDataDirectory(Durability durability, string fsync)
    {
        var args = RedisPersistence.ServerArgs(new RedisStorage(durability, "/data/x"));

        Assert.Equal(["--dir", "/data/x", "--save", "", "--appendonly", "yes", "--appendfsync", fsync, "--maxmemory", "1gb", "--maxmemory-policy", "noeviction"], args);
    }

    [Fact]
    public void RedisServerWithoutDurabilityWritesNothingAndStillNeverEvicts() =>
        Assert.Equal(["--save", "", "--appendonly", "no", "--maxmemory", "512mb", "--maxmemory-policy", "noeviction"],
            RedisPersistence.ServerArgs(new RedisStorage(Durability.None, null) { MaxMemory = "512mb" }));

    [Theory]
    [InlineData(null, "1gb")]
    [InlineData("", "1gb")]
    [InlineData("512MB", "512mb")]
    [InlineData("2gb", "2gb")]
    [InlineData("67108864", "67108864")]
    public void RedisMaxMemoryIsASizeRedisReads(string? configured, string expected) =>
        Assert.Equal(expected, RedisStorage.ParseMaxMemory(configured));

    [Theory]
    [InlineData("lots")]
    [InlineData("1mb")] // below 64mb: Redis would refuse the chat's first writes
    [InlineData("-5gb")]
    [InlineData("1tb")]
    public void RedisMaxMemoryRefusesWhatIsNotAUsableSizeNamingTheOption(string configured) =>
        Assert.Contains("LetsChat:RedisMaxMemory", Assert.Throws<InvalidOperationException>(() => RedisStorage.ParseMaxMemory(configured)).Message);

    [Fact]
    public void GarnetWaitsForItsLogOnlyUnderAlways()
    {
        var always = RedisPersistence.GarnetArgs(new RedisStorage(Durability.Always, "/d"));
        var everysec = RedisPersistence.GarnetArgs(new RedisStorage(Durability.Everysec, "/d"));

        Assert.Contains("--aof-commit-wait", always);
        Assert.DoesNotContain("--aof-commit-wait", everysec);
        Assert.All(new[] { always, everysec }, args => Assert.Contains("--recover", args));
        Assert.Equal("1000", everysec[everysec.ToList().IndexOf("--aof-commit-freq") + 1]);
        Assert.Empty(RedisPersistence.GarnetArgs(new RedisStorage(Durability.None, null)));
    }

    [Fact]
    public void GarnetCheckpointsRatherThanGrowingItsLogWithoutBound()
    {
        var args = RedisPersistence.GarnetArgs(new RedisStorage(Durability.Always, "/d")).ToList();

        Assert.Equal("64m", args[args.IndexOf("--aof-size-limit") + 1]);
        Assert.Equal("32m", args[args.IndexOf("--aof-segment-size") + 1]);
    }
}
