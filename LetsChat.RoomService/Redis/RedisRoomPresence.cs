using System.Text.Json;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>Presence in Redis (presence.lua), plus the index of rooms with members (<see cref="RedisKeys.RoomIndex"/>).</summary>
public sealed class RedisRoomPresence(IConnectionMultiplexer redis, RedisTopology topology, IOptions<RoomServiceOptions> options, TimeProvider clock) : IRoomPresence
{
    // How many recently active rooms GET /api/rooms looks at before counting members.
    private const int IndexScan = 500;

    private readonly RoomServiceOptions _options = options.Value;

    // The entry and the directory are apart (another slot on a cluster): written at once, one round trip.
    public Task JoinAsync(string room, PresenceEntry entry, CancellationToken cancellationToken) =>
        Task.WhenAll(RunAsync(room, "join", [entry.Key, UserJson(entry.User)], cancellationToken), ListAsync(room));

    // The directory lives in one slot of its own: a failover or handover of its master must not
    // refuse joins in every room, so the write reads the cluster's layout again and retries too.
    private Task<bool> ListAsync(string room) =>
        topology.OnCurrentLayoutAsync(() => redis.GetDatabase().SortedSetAddAsync(RedisKeys.RoomIndex, room, clock.GetUtcNow().ToUnixTimeMilliseconds()));

    public Task LeaveAsync(string room, PresenceEntry entry, CancellationToken cancellationToken) =>
        RunAsync(room, "leave", [entry.Key], cancellationToken);

    public async Task HeartbeatAsync(string room, IReadOnlyList<PresenceEntry> entries, CancellationToken cancellationToken)
    {
        var args = new RedisValue[entries.Count * 2];
        for (var i = 0; i < entries.Count; i++)
        {
            args[2 * i] = entries[i].Key;
            args[2 * i + 1] = UserJson(entries[i].User);
        }
        await RunAsync(room, "heartbeat", args, cancellationToken);
        if (entries.Count > 0)
        {
            await ListAsync(room);
        }
    }

    public async Task<RoomMembers> MembersAsync(string room, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await RunAsync(room, "members", [], cancellationToken))!;
        var members = new List<ChatUser>(result.Length);
        foreach (var json in result.Skip(1))
        {
            if (!json.IsNull && JsonSerializer.Deserialize((string)json!, ProtocolJson.Context.ChatUser) is { } user)
            {
                members.Add(user);
            }
        }
        return new RoomMembers(members, (long)result[0]);
    }

    public async Task<IReadOnlyList<RoomSummary>> ActiveRoomsAsync(int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var db = redis.GetDatabase();
        var stale = await PruneDirectoryAsync(cancellationToken);
        var recent = await db.SortedSetRangeByScoreAsync(RedisKeys.RoomIndex, stale, double.PositiveInfinity, Exclude.None, Order.Descending, 0, IndexScan);

        // Distinct users, not sockets: one person's many tabs (or one client's many sockets) count once.
        var counts = recent.Select(room => db.HashLengthAsync(RedisKeys.PresenceUsers(room!))).ToArray();
        await Task.WhenAll(counts);
        return recent
            .Select((room, i) => new RoomSummary(room!, counts[i].Result))
            .Where(summary => summary.Members > 0)
            .OrderByDescending(summary => summary.Members) // stable: equal counts keep the most recent first
            .Take(limit)
            .ToList();
    }

    public async Task<long> PruneDirectoryAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A room is in the index while some replica reports members (every heartbeat); older entries are stale.
        var stale = clock.GetUtcNow().ToUnixTimeMilliseconds() - 2 * _options.PresenceTtlSeconds * 1000L;
        await topology.OnCurrentLayoutAsync(() => redis.GetDatabase().SortedSetRemoveRangeByScoreAsync(RedisKeys.RoomIndex, double.NegativeInfinity, stale));
        return stale;
    }

    private Task<RedisResult> RunAsync(string room, string operation, RedisValue[] args, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        RedisValue[] values = [operation, now, now + _options.PresenceTtlSeconds * 1000L, RedisKeys.LiveChannel(room), _options.PresenceListed, .. args];
        return topology.OnCurrentLayoutAsync(() => topology.PresenceScript.EvaluateAsync(redis.GetDatabase(), RedisKeys.Presence(room), values));
    }

    private static string UserJson(ChatUser user) => RoomRecords.User(user);
}
