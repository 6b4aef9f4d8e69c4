using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// Who is in each room, across replicas. Every socket is an entry its replica keeps alive by
/// heartbeat; an entry not refreshed within the TTL is dropped by whichever replica next looks,
/// so a crashed replica's members leave by themselves. A user's first entry in a room publishes a
/// join, their last a leave (several tabs are one member).
/// </summary>
public interface IRoomPresence
{
    Task JoinAsync(string room, PresenceEntry entry, CancellationToken cancellationToken);

    Task LeaveAsync(string room, PresenceEntry entry, CancellationToken cancellationToken);

    /// <summary>Refreshes this replica's entries in <paramref name="room"/> and drops expired ones.</summary>
    Task HeartbeatAsync(string room, IReadOnlyList<PresenceEntry> entries, CancellationToken cancellationToken);

    /// <summary>How many live users the room has, and at most PresenceListed of them, each once.</summary>
    Task<RoomMembers> MembersAsync(string room, CancellationToken cancellationToken);

    /// <summary>
    /// Drops rooms no replica has reported members in for two TTLs from the directory (each
    /// replica, every heartbeat). Returns the cut-off (Unix ms): entries older are stale.
    /// </summary>
    Task<long> PruneDirectoryAsync(CancellationToken cancellationToken);

    /// <summary>Rooms with live members (distinct users), most first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<RoomSummary>> ActiveRoomsAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>One socket's presence: the user and the socket's id.</summary>
public sealed record PresenceEntry(ChatUser User, string ConnectionId)
{
    public string Key => $"{User.Id} {ConnectionId}";
}

/// <summary>Some of a room's live users (<see cref="Listed"/>, all of them unless it is a crowd) and how many it has.</summary>
public sealed record RoomMembers(IReadOnlyList<ChatUser> Listed, long Count);

public sealed record RoomSummary(
    [property: System.Text.Json.Serialization.JsonPropertyName("room")] string Room,
    [property: System.Text.Json.Serialization.JsonPropertyName("members")] long Members);
