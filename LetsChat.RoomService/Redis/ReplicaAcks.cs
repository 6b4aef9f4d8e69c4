using System.Collections.Concurrent;
using System.Net;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// On a cluster an ack means "on a replica too": replication is asynchronous, and a failover
/// would otherwise drop acknowledged messages. WAIT on the room's master counts the replicas that
/// have every write the connection sent it before the WAIT (one connection per node, commands in
/// order), so one WAIT confirms every script answered before it was sent.
/// <para>
/// WAIT also holds the connection: Redis reads nothing more from it until the WAIT returns. One
/// WAIT per send would put a replica round trip between every two scripts on a master (at 2,000
/// sends a second over three masters, the sends queued for seconds: docs/benchmarks.md). So each
/// master has at most one WAIT on its way, and the sends answered meanwhile share the next one.
/// </para>
/// A replica that did not confirm in time: the send is refused, and the client's retry with the
/// same id is answered from the dedupe entry once it is replicated. A master with no replica at
/// all (its own was promoted after a failover, and the old master is not back yet): waiting would
/// refuse every send in its rooms until an operator acts, so the ack rests on that master's own
/// log on disk, and is counted. Such a master is remembered for a second (then asked again with
/// ROLE), so its rooms' sends do not each wait out the WAIT timeout first.
/// </summary>
public sealed class ReplicaAcks(IConnectionMultiplexer redis, IOptions<RoomServiceOptions> options, RoomTelemetry telemetry)
{
    private readonly ConcurrentDictionary<EndPoint, Master> _masters = new();

    /// <summary>Returns once a replica of the room's master has the room's last script's writes.</summary>
    public Task ConfirmAsync(string room)
    {
        // Where the client sends the room's slot now: the node the script just ran on. Looked up
        // in the client's own slot map (IDatabase.IdentifyEndpoint would ask the server, a round trip).
        var server = redis.GetServer(RedisKeys.MessageLog(room));
        return _masters.GetOrAdd(server.EndPoint, static (_, state) => state.Acks.ForServer(state.Server), (Acks: this, Server: server)).ConfirmAsync();
    }

    private Master ForServer(IServer server)
    {
        var timeout = options.Value.ReplicaWaitMilliseconds;
        return new Master(
            async () => (long)await server.ExecuteAsync("WAIT", 1, timeout),
            // ROLE on a master: ["master", offset, [[ip, port, offset], …]], one entry per connected replica.
            async () => (RedisResult[])(await server.ExecuteAsync("ROLE"))! is { Length: >= 3 } role && ((RedisResult[])role[2]!).Length > 0,
            timeout, telemetry);
    }

    /// <summary>One master: its WAITs (how many replicas have the writes so far) and ROLE (has it a replica at all).</summary>
    internal sealed class Master(Func<Task<long>> wait, Func<Task<bool>> hasReplica, int waitMilliseconds, RoomTelemetry telemetry)
    {
        private readonly Lock _lock = new();
        private Task<long>? _current;                    // the WAIT on its way
        private TaskCompletionSource<long>? _following;  // the one to send when it returns, for those who asked meanwhile
        private long _unreplicatedUntil;                 // Environment.TickCount64; 0: has a replica

        public async Task ConfirmAsync()
        {
            var until = Volatile.Read(ref _unreplicatedUntil);
            if (until != 0)
            {
                if (Environment.TickCount64 < until || !await hasReplica())
                {
                    Volatile.Write(ref _unreplicatedUntil, Math.Max(until, Environment.TickCount64 + 1000));
                    telemetry.UnreplicatedAck();
                    return;
                }
                Volatile.Write(ref _unreplicatedUntil, 0);
            }
            if (await NextWaitAsync() >= 1)
            {
                return;
            }
            if (!await hasReplica())
            {
                Volatile.Write(ref _unreplicatedUntil, Environment.TickCount64 + 1000);
                telemetry.UnreplicatedAck();
                return;
            }
            telemetry.ReplicaWaitTimedOut();
            throw new RedisTimeoutException($"No replica confirmed the write within {waitMilliseconds} ms.", CommandStatus.Sent);
        }

        /// <summary>
        /// A WAIT sent from now on: the caller's script was answered already, so it is ahead of it
        /// on the connection. A WAIT already on its way may have been sent before the script, so a
        /// caller who finds one waits for the next, sent the moment this one returns.
        /// </summary>
        private Task<long> NextWaitAsync()
        {
            lock (_lock)
            {
                if (_current is null)
                {
                    return _current = SendWait();
                }
                _following ??= new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _following.Task;
            }
        }

        // Called under the lock. The continuation is queued, never run inline: it takes the lock.
        private Task<long> SendWait()
        {
            var sent = wait();
            _ = sent.ContinueWith(_ => SendFollowing(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return sent;
        }

        private void SendFollowing()
        {
            TaskCompletionSource<long>? following;
            Task<long>? next;
            lock (_lock)
            {
                following = _following;
                _following = null;
                _current = next = following is null ? null : SendWait();
            }
            if (following is not null)
            {
                _ = Relay(next!, following);
            }
        }

        private static async Task Relay(Task<long> from, TaskCompletionSource<long> to)
        {
            try
            {
                to.TrySetResult(await from);
            }
            catch (Exception e)
            {
                to.TrySetException(e);
            }
        }
    }
}
