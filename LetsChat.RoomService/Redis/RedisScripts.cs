namespace LetsChat.RoomService.Redis;

/// <summary>
/// The Lua scripts (Redis/Lua/*.lua, embedded). StackExchange.Redis sends each with EVAL once
/// and EVALSHA after that, per server. A cluster runs the publishing ones with SPUBLISH (<see cref="RedisTopology"/>).
/// </summary>
internal static class RedisScripts
{
    public static string Publish { get; } = OnTheLog("publish.lua");

    public static string Update { get; } = OnTheLog("update.lua");

    public static string Read { get; } = OnTheLog("read.lua");

    public static string Presence { get; } = Load("presence.lua");

    /// <summary>A socket's place under a cap across replicas (one key, so it runs as is on a cluster).</summary>
    public static string Sockets { get; } = Load("sockets.lua");

    // A script of a room's log: log.lua (its keys, epoch rules and records) in front.
    private static string OnTheLog(string name) => Load("log.lua") + Load(name);

    private static string Load(string name)
    {
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"LetsChat.Lua.{name}")
            ?? throw new InvalidOperationException($"Lua script {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
