namespace LetsChat.AppHost;

/// <summary>The command-line options that make each Redis mode keep its data as <see cref="RedisStorage"/> says.</summary>
public static class RedisPersistence
{
    /// <summary>
    /// redis-server: the append-only file (AOF) in the data directory, fsynced before every reply
    /// (<c>always</c>: Redis writes and fsyncs the AOF before it sends the replies of an event-loop
    /// turn, so neither an ack nor a live delivery goes out ahead of the disk) or once a second.
    /// No RDB snapshots besides the AOF's own base file: they would add nothing the AOF lacks.
    /// </summary>
    public static string[] ServerArgs(RedisStorage storage) => storage.Durability switch
    {
        Durability.None => ["--save", "", "--appendonly", "no", .. MemoryArgs(storage)],
        _ =>
        [
            "--dir", storage.DataDir!,
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", storage.Durability == Durability.Always ? "always" : "everysec",
            .. MemoryArgs(storage),
        ],
    };

    /// <summary>
    /// A bounded Redis that never evicts: past <see cref="RedisStorage.MaxMemory"/> it refuses
    /// writes (sends are refused as unavailable) rather than drop a key, which could be a room's
    /// epoch or log and the acknowledged messages in it.
    /// </summary>
    private static string[] MemoryArgs(RedisStorage storage) => ["--maxmemory", storage.MaxMemory, "--maxmemory-policy", "noeviction"];

    /// <summary>
    /// The container's redis-server: <see cref="ServerArgs"/> in its volume (/data), quoted for the
    /// shell that runs it (an empty argument, as in <c>--save ""</c>, would otherwise vanish).
    /// </summary>
    public static string[] ContainerArgs(RedisStorage storage) =>
        [.. ServerArgs(storage with { DataDir = "/data" }).Select(arg => arg.Length == 0 ? "''" : arg)];

    /// <summary>
    /// Garnet: its AOF (write-ahead log, in DataDir/AOF) committed per write and waited for before
    /// the reply (<c>always</c>) or committed every second; recovery from it (and any checkpoint
    /// beside it) on start. The managed RandomAccess device: Garnet's default native one needs
    /// libaio, which a bare machine lacks. Garnet takes no checkpoint unless told: past
    /// <see cref="GarnetAofLimit"/> of log it checkpoints (checked every 5 s) and drops the log
    /// before it, one segment at a time, so the folder stays near the data's own size plus that
    /// (bench/garnet_aof_bound.sh).
    /// </summary>
    public static string[] GarnetArgs(RedisStorage storage) => storage.Durability switch
    {
        Durability.None => [],
        _ =>
        [
            "--checkpointdir", storage.DataDir!,
            "--device-type", "RandomAccess",
            "--recover",
            "--aof",
            "--aof-size-limit", GarnetAofLimit,
            // Its default segment is 1 GiB, and a segment is deleted only whole; 32m is the least
            // its 32 MiB log page allows.
            "--aof-segment-size", "32m",
            .. storage.Durability == Durability.Always
                ? new[] { "--aof-commit-freq", "0", "--aof-commit-wait" }
                : ["--aof-commit-freq", "1000"],
        ],
    };

    /// <summary>How much Garnet log is kept before a checkpoint replaces it.</summary>
    public const string GarnetAofLimit = "64m";
}
