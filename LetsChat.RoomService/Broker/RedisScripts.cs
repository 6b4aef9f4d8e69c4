namespace LetsChat.RoomService.Broker;

/// <summary>
/// The Lua scripts (Broker/Lua/*.lua, embedded). StackExchange.Redis sends each with EVAL once
/// and EVALSHA after that, per server.
/// </summary>
internal static class RedisScripts
{
    public static string Publish { get; } = Load("publish.lua");

    public static string Read { get; } = Load("read.lua");

    public static string Presence { get; } = Load("presence.lua");

    /// <summary>A socket's place under a cap across replicas (one key, so it runs as is on a cluster).</summary>
    public static string Sockets { get; } = Load("sockets.lua");

    /// <summary>
    /// publish.lua as a Redis Cluster runs it: SPUBLISH, so the record goes to the room's shard
    /// only. The channel hashes to the room's slot like its keys, so the script stays on one node.
    /// </summary>
    public static string PublishSharded { get; } = Sharded(Publish);

    /// <summary>read.lua with SPUBLISH, for its rewind record (see <see cref="PublishSharded"/>).</summary>
    public static string ReadSharded { get; } = Sharded(Read);

    /// <summary>presence.lua with SPUBLISH (see <see cref="PublishSharded"/>).</summary>
    public static string PresenceSharded { get; } = Sharded(Presence);

    private static string Sharded(string script) =>
        script.Replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',", StringComparison.Ordinal) is var sharded && sharded != script
            ? sharded
            : throw new InvalidOperationException("A script that publishes no longer calls redis.call('PUBLISH', …); update RedisScripts.Sharded.");

    private static string Load(string name)
    {
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"LetsChat.Lua.{name}")
            ?? throw new InvalidOperationException($"Lua script {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
