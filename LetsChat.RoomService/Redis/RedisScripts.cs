namespace LetsChat.RoomService.Redis;

/// <summary>
/// The Lua scripts (Redis/Lua/*.lua, embedded), each called by its hash (<see cref="RedisScript"/>).
/// A cluster runs the publishing ones with SPUBLISH (<see cref="RedisTopology"/>).
/// </summary>
internal static class RedisScripts
{
    public static RedisScript Publish { get; } = OnTheLog("publish.lua");

    public static RedisScript Update { get; } = OnTheLog("update.lua");

    public static RedisScript Read { get; } = OnTheLog("read.lua");

    public static RedisScript Presence { get; } = new(Text("presence.lua"));

    /// <summary>A socket's place under a cap across replicas (one key, so it runs as is on a cluster).</summary>
    public static RedisScript Sockets { get; } = new(Text("sockets.lua"));

    // A script of a room's log: log.lua (its keys, epoch rules and records) in front.
    private static RedisScript OnTheLog(string name) => new(Text("log.lua") + Text(name));

    private static string Text(string name)
    {
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"LetsChat.Lua.{name}")
            ?? throw new InvalidOperationException($"Lua script {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
