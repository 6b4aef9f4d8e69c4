using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// Every Redis name LetsChat uses, in one place. A room's names share the hash tag <c>{room}</c>
/// so that on Redis Cluster they live in one slot (the Lua scripts touch several at once, and the
/// channel can become a sharded channel).
/// <code>
/// letschat:{room}:live      pub/sub channel: message, presence and typing records (RoomRecords)
/// letschat:{room}:seq       string (INCR): the room's last message seq
/// letschat:{room}:log       sorted set: score = seq, member = log entry "seq body"; the last HistoryLength kept
/// letschat:{room}:epoch     string: id of this incarnation of the log (new when Redis lost it)
/// letschat:{room}:ids       sorted set: score = seq, member = "user-id client-id" (idempotent sends and updates)
/// letschat:{room}:updates   sorted set: score = seq, member = update entry "seq target body" (edits, deletes, reactions): a message's latest only
/// letschat:{room}:latest    hash: target seq -> the seq of that message's one update in updates
/// letschat:{room}:reactors  sorted set: score = seq, member = "seq user-id emoji": every reaction of the kept messages
/// letschat:{room}:presence  sorted set: score = expiry ms, member = "user-id connection-id"
/// letschat:{room}:users     hash: user id -> live connections
/// letschat:{room}:names     hash: user id -> user JSON
/// letschat:user:{id}:sessions  string (INCR): a user's session version, bumped by signing out everywhere
/// letschat:user:{id}:sockets   sorted set: score = lease expiry ms, member = "replica connection-id": the user's open sockets (ConnectionCap)
/// letschat:net:<network>:sockets  the same for a client network (an IPv4 address, an IPv6 /64)
/// letschat:rooms            sorted set: room -> last time a replica reported members (ms)
/// letschat:dataprotection   list: the Data Protection key ring shared by all replicas
/// rl:tb:{letschat:limit:<kind>:net:<network>} and :user:<id> (and :ts)  request budgets (RequestLimits; the library names them)
/// </code>
/// Room names are [A-Za-z0-9_.-] only, so they can never contain the braces of a hash tag.
/// The room's keys expire after LetsChat:Rooms:RetentionDays without messages; a room that never
/// had one keeps only its epoch, and only while members are present (EmptyRoomSeconds after).
/// </summary>
public static class RedisKeys
{
    public static string LiveChannel(string room) => $"letschat:{{{room}}}:live";

    /// <summary>KEYS of publish.lua, update.lua and read.lua (log.lua names them), in their order: seq, log, epoch, ids, updates, latest, reactors.</summary>
    public static RedisKey[] Log(string room) =>
    [
        $"letschat:{{{room}}}:seq", MessageLog(room), $"letschat:{{{room}}}:epoch", $"letschat:{{{room}}}:ids",
        $"letschat:{{{room}}}:updates", LatestUpdates(room), Reactors(room),
    ];

    /// <summary>A message's version: target seq -> the seq of its latest update (update.lua compares it).</summary>
    public static RedisKey LatestUpdates(string room) => $"letschat:{{{room}}}:latest";

    /// <summary>Who reacted to what: score = the message's seq, member = <see cref="RoomRecords.Reactor"/>.</summary>
    public static RedisKey Reactors(string room) => $"letschat:{{{room}}}:reactors";

    public static RedisKey MessageLog(string room) => $"letschat:{{{room}}}:log";

    /// <summary>KEYS of presence.lua, in its order: presence, users, names, epoch, log.</summary>
    public static RedisKey[] Presence(string room) =>
        [$"letschat:{{{room}}}:presence", PresenceUsers(room), $"letschat:{{{room}}}:names", $"letschat:{{{room}}}:epoch", MessageLog(room)];

    public static RedisKey PresenceUsers(string room) => $"letschat:{{{room}}}:users";

    public static RedisKey PresenceSet(string room) => $"letschat:{{{room}}}:presence";

    public const string RoomIndex = "letschat:rooms";

    /// <summary>A user's session version: cookies carrying another are refused (SessionCookie).</summary>
    public static RedisKey SessionVersion(string userId) => $"letschat:user:{{{userId}}}:sessions";

    /// <summary>The sockets open now of one user (<see cref="Security.ConnectionCap"/>).</summary>
    public static RedisKey UserSockets(string userId) => $"letschat:user:{{{userId}}}:sockets";

    /// <summary>The sockets open now from one client network (<see cref="Security.ClientNetwork"/>).</summary>
    public static RedisKey NetworkSockets(string network) => $"letschat:net:{network}:sockets";

    public const string DataProtectionKeys = "letschat:dataprotection";
}
