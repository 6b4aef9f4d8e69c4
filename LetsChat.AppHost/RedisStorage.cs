using Microsoft.Extensions.Configuration;

namespace LetsChat.AppHost;

/// <summary>
/// What an acknowledged message survives. Configured by <c>LetsChat:Durability</c>; docs/operations.md
/// has the table of what each setting keeps through a crash.
/// </summary>
public enum Durability
{
    /// <summary>Every write is on disk (fsync) before Redis answers it: an ack survives <c>kill -9</c> and a power cut. The default, except on Garnet.</summary>
    Always,
    /// <summary>Fsynced (Garnet: committed) once a second: a crash can lose the last second of acks. Garnet's default.</summary>
    Everysec,
    /// <summary>Memory only: a restart of Redis empties it (every room gets a new epoch, clients a reset).</summary>
    None,
}

/// <summary>
/// Where and how the chat's Redis keeps its data: <c>LetsChat:Durability</c> (always | everysec |
/// none) and <c>LetsChat:DataDir</c> (default: a folder per mode under the user's data folder, so
/// it outlives <c>dotnet run</c>). Not under <c>LetsChat:Redis</c>, which is the mode's own value.
/// </summary>
public sealed record RedisStorage(Durability Durability, string? DataDir)
{
    public bool Persistent => Durability != Durability.None;

    /// <summary>
    /// <c>LetsChat:RedisMaxMemory</c>: redis-server's <c>maxmemory</c> (e.g. <c>512mb</c>, <c>2gb</c>),
    /// always with <c>noeviction</c>. Past it Redis refuses writes instead of dropping keys.
    /// </summary>
    public string MaxMemory { get; init; } = DefaultMaxMemory;

    public const string DefaultMaxMemory = "1gb";

    public static RedisStorage From(IConfiguration configuration, RedisMode mode)
    {
        var durability = ParseDurability(configuration["LetsChat:Durability"]) ?? DefaultFor(mode);
        var maxMemory = ParseMaxMemory(configuration["LetsChat:RedisMaxMemory"]);
        if (durability == Durability.None || mode == RedisMode.Container)
        {
            return new(durability, null) { MaxMemory = maxMemory }; // nothing on disk, or a container volume (named, not a path)
        }
        var configured = configuration["LetsChat:DataDir"];
        var dir = string.IsNullOrWhiteSpace(configured) ? DefaultDataDir(mode) : Path.GetFullPath(configured);
        return new(durability, dir) { MaxMemory = maxMemory };
    }

    /// <summary>A size as redis-server reads it (a number, then b, kb, mb or gb), at least 64mb; the default when none is set.</summary>
    public static string ParseMaxMemory(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return DefaultMaxMemory;
        }
        var match = System.Text.RegularExpressions.Regex.Match(configured.Trim().ToLowerInvariant(), "^([0-9]{1,12})(b|kb|mb|gb)?$");
        var bytes = match.Success
            ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * (match.Groups[2].Value switch { "kb" => 1L << 10, "mb" => 1L << 20, "gb" => 1L << 30, _ => 1 })
            : 0;
        return bytes >= 64L << 20
            ? match.Value
            : throw new InvalidOperationException($"LetsChat:RedisMaxMemory is '{configured}'; expected a size of at least 64mb, such as 512mb or 2gb.");
    }

    /// <summary>
    /// <c>always</c>, except on Garnet: there an acked write waits for its own log commit, and at
    /// 1,000 messages a second acks took seconds (docs/benchmarks.md, "What durability costs"), so
    /// Garnet defaults to <c>everysec</c>, which bounds a crash's loss to the last second.
    /// </summary>
    public static Durability DefaultFor(RedisMode mode) => mode == RedisMode.Garnet ? Durability.Everysec : Durability.Always;

    /// <summary>The configured durability, or null when none is set (the mode's default then applies).</summary>
    public static Durability? ParseDurability(string? configured) => configured?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "always" => Durability.Always,
        "everysec" => Durability.Everysec,
        "none" => Durability.None,
        _ => throw new InvalidOperationException(
            $"LetsChat:Durability is '{configured}'; expected one of always, everysec, none."),
    };

    /// <summary>
    /// <c>~/.local/share/LetsChat/redis-server</c> or <c>…/garnet</c> on Linux (XDG_DATA_HOME when set),
    /// <c>%LOCALAPPDATA%\LetsChat\…</c> on Windows. One folder per mode: their files differ.
    /// </summary>
    public static string DefaultDataDir(RedisMode mode) => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        "LetsChat",
        mode switch { RedisMode.Garnet => "garnet", RedisMode.Cluster => "redis-cluster", _ => "redis-server" });
}
