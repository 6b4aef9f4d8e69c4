using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LetsChat.AppHost;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The one-shot step that makes six redis-server nodes a Redis Cluster (three masters, one replica
/// each), and the cluster's connection string: every node, and the password. Services reference it
/// like any Redis; the room service waits for it to complete.
/// </summary>
public sealed class RedisClusterResource(string name, string workingDirectory, ParameterResource password, int[] ports)
    : ExecutableResource(name, "/bin/sh", workingDirectory), IResourceWithConnectionString
{
    public ParameterResource Password { get; } = password;

    /// <summary>The nodes' ports; masters first (redis-cli makes the first three masters).</summary>
    public IReadOnlyList<int> Ports { get; } = ports;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{string.Join(",", Ports.Select(p => $"127.0.0.1:{p}"))},password={Password}");
}

/// <summary>
/// <c>LetsChat:Redis=cluster</c>. Aspire has no Redis Cluster resource (an open request upstream),
/// so the AppHost composes one: six redis-server processes ("redis-1" … "redis-6", children of
/// "redis" in the dashboard) and "redis", which runs <c>redis-cli --cluster create</c> once they
/// answer and completes when every master has its replica.
/// </summary>
internal static class RedisClusterBuilder
{
    public const int Nodes = 6;

    /// <summary>
    /// The nodes listen on fixed loopback ports, not through the orchestrator's proxy: a cluster
    /// tells its clients where each slot lives, and those addresses must be the nodes' own. Each
    /// node also needs its port + 10000 free (the cluster bus).
    /// </summary>
    public static IResourceBuilder<RedisClusterResource> AddRedisCluster(
        this IDistributedApplicationBuilder builder, string name, string serverPath, RedisStorage storage, int basePort)
    {
        var cli = Path.Combine(Path.GetDirectoryName(serverPath)!, "redis-cli");
        if (!File.Exists(cli))
        {
            cli = HostProbes.FindOnPath("redis-cli") ?? throw new InvalidOperationException(
                "LetsChat:Redis=cluster needs redis-cli beside redis-server (apt-get install -y redis-server).");
        }
        var ports = ClusterPorts.Find(basePort, Nodes);
        var workingDirectory = Directory.CreateTempSubdirectory("letschat-redis-cluster-").FullName;
        var secret = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var password = builder.AddParameter($"{name}-password", secret, secret: true);
        // requirepass for clients, masterauth for a replica syncing from its master; mode 600.
        var config = RedisConfigFile.Write(workingDirectory, $"requirepass {secret}\nmasterauth {secret}\n");

        var cluster = builder.AddResource(new RedisClusterResource(name, workingDirectory, password.Resource, ports))
            .WithEnvironment("REDISCLI_AUTH", password)
            .WithArgs("-c", CreateScript(cli, ports));
        for (var i = 0; i < Nodes; i++)
        {
            var port = ports[i];
            // One folder per node (its nodes.conf and AOF), named by port: the same ports find the same data.
            var dir = Path.Combine(storage.DataDir ?? workingDirectory, $"node-{port}");
            Directory.CreateDirectory(dir);
            var nodeName = $"{name}-{i + 1}";
            var healthCheckKey = $"{nodeName}_ping";
            builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, ct => RedisPing.CheckAsync($"127.0.0.1:{port}", secret, ct));
            var node = builder.AddExecutable(nodeName, serverPath, workingDirectory,
                [
                    config,
                    "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", Path.Combine(dir, "nodes.conf"),
                    // A dead master is failed over after 2 s of silence (the default is 15 s).
                    "--cluster-node-timeout", "2000",
                    .. RedisPersistence.ServerArgs(storage with { DataDir = storage.DataDir is null ? null : dir }),
                ])
                .WithEndpoint(name: "tcp", port: port, targetPort: port, scheme: "tcp", isProxied: false)
                .WithHealthCheck(healthCheckKey)
                .WithParentRelationship(cluster);
            cluster.WaitFor(node);
        }
        return cluster;
    }

    /// <summary>
    /// Creates the cluster unless its first node already knows others (a restart on the same data),
    /// then waits until it is up and every master has a replica in sync: before that, sends would
    /// be refused (an ack waits for a replica).
    /// </summary>
    private static string CreateScript(string cli, int[] ports)
    {
        var nodes = string.Join(' ', ports.Select(p => $"127.0.0.1:{p}"));
        var masters = string.Join(' ', ports.Take(Nodes / 2));
        return $$"""
            set -e
            cli() { '{{cli}}' -h 127.0.0.1 "$@"; }
            known=$(cli -p {{ports[0]}} cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
            if [ "$known" = "1" ]; then
              cli --cluster create {{nodes}} --cluster-replicas 1 --cluster-yes
            fi
            tries=0
            until cli -p {{ports[0]}} cluster info | grep -q '^cluster_state:ok'; do
              tries=$((tries + 1)); [ $tries -le 600 ] || { echo 'cluster not ok after 60 s' >&2; exit 1; }; sleep 0.1
            done
            for port in {{masters}}; do
              tries=0
              until cli -p $port info replication | grep -q 'state=online'; do
                tries=$((tries + 1)); [ $tries -le 600 ] || { echo "no replica in sync with 127.0.0.1:$port after 60 s" >&2; exit 1; }; sleep 0.1
              done
            done
            echo "cluster ok: masters {{masters}}"
            """;
    }
}

/// <summary>Loopback ports for the cluster: a run of free ones, each with its bus port (+10000) free too.</summary>
internal static class ClusterPorts
{
    /// <summary><paramref name="basePort"/> … +count-1, or (0) the first free run found from 20000 up.</summary>
    public static int[] Find(int basePort, int count)
    {
        if (basePort != 0)
        {
            var fixedPorts = Enumerable.Range(basePort, count).ToArray();
            if (fixedPorts.FirstOrDefault(p => !Free(p) || !Free(p + 10000)) is var taken and not 0)
            {
                throw new InvalidOperationException(
                    $"LetsChat:ClusterPort is {basePort}, but port {taken} or {taken + 10000} is taken; pick another, or 0 for any free ones.");
            }
            return fixedPorts;
        }
        for (var start = 20000 + Random.Shared.Next(0, 200) * 10; start < 55000; start += count)
        {
            var candidate = Enumerable.Range(start, count).ToArray();
            if (candidate.All(p => Free(p) && Free(p + 10000)))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"No {count} free loopback ports (each with port + 10000 free) for the cluster.");
    }

    private static bool Free(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
