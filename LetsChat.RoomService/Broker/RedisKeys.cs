namespace LetsChat.RoomService.Broker;

/// <summary>
/// Every Redis name LetsChat uses, in one place. A room's names share the hash tag <c>{room}</c>
/// so that on Redis Cluster they live in one slot (and the channel can become a sharded channel).
/// <code>
/// letschat:{room}:live    pub/sub channel: the room's messages, as the bytes clients receive
/// </code>
/// Room names are [A-Za-z0-9_.-] only, so they can never contain the braces of a hash tag.
/// </summary>
public static class RedisKeys
{
    public static string LiveChannel(string room) => $"letschat:{{{room}}}:live";
}
