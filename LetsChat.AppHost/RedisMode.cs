namespace LetsChat.AppHost;

/// <summary>Which Redis-protocol server backs the chat. Configured by <c>LetsChat:Redis</c>.</summary>
public enum RedisMode
{
    /// <summary>A container when a Docker daemon answers, else redis-server from PATH, else Garnet.</summary>
    Auto,
    /// <summary>Aspire's Redis container (needs a Docker daemon).</summary>
    Container,
    /// <summary>redis-server from PATH, started as a process.</summary>
    Server,
    /// <summary>The embedded Garnet host (LetsChat.Garnet): needs nothing installed.</summary>
    Garnet,
    /// <summary>A Redis Cluster of redis-server processes: three masters, three replicas (never chosen by auto).</summary>
    Cluster,
}

/// <summary>The decision made for <see cref="RedisMode.Auto"/>, and why, so the AppHost can log it.</summary>
public sealed record RedisChoice(RedisMode Mode, string Reason, string? ServerPath = null);

public static class RedisModeChooser
{
    public static RedisMode Parse(string? configured) => configured?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => RedisMode.Auto,
        "container" => RedisMode.Container,
        "server" => RedisMode.Server,
        "garnet" => RedisMode.Garnet,
        "cluster" => RedisMode.Cluster,
        _ => throw new InvalidOperationException(
            $"LetsChat:Redis is '{configured}'; expected one of auto, container, server, garnet, cluster."),
    };

    /// <summary>Resolves <paramref name="configured"/> to a concrete mode. The probes are parameters so the rule is testable.</summary>
    public static RedisChoice Choose(RedisMode configured, Func<bool> dockerAnswers, Func<string?> findRedisServer)
    {
        switch (configured)
        {
            case RedisMode.Container:
                return new(RedisMode.Container, "LetsChat:Redis=container");
            case RedisMode.Garnet:
                return new(RedisMode.Garnet, "LetsChat:Redis=garnet");
            case RedisMode.Server:
                var path = findRedisServer() ?? throw new InvalidOperationException(
                    "LetsChat:Redis=server but no redis-server is on PATH (apt-get install -y redis-server), " +
                    "or use LetsChat:Redis=garnet.");
                return new(RedisMode.Server, "LetsChat:Redis=server", path);
            case RedisMode.Cluster:
                var clusterPath = findRedisServer() ?? throw new InvalidOperationException(
                    "LetsChat:Redis=cluster but no redis-server is on PATH (apt-get install -y redis-server).");
                return new(RedisMode.Cluster, "LetsChat:Redis=cluster", clusterPath);
        }

        if (dockerAnswers())
        {
            return new(RedisMode.Container, "auto: a Docker daemon answered");
        }
        if (findRedisServer() is { } serverPath)
        {
            return new(RedisMode.Server, $"auto: no Docker daemon; redis-server found at {serverPath}", serverPath);
        }
        return new(RedisMode.Garnet, "auto: no Docker daemon and no redis-server on PATH; using the embedded Garnet host");
    }
}
