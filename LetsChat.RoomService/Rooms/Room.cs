using LetsChat.RoomService.Connections;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// A room's members on this replica. Membership changes under <see cref="Gate"/> (they may
/// subscribe or unsubscribe in Redis); delivery reads a copy-on-write array without locking.
/// </summary>
public sealed class Room(string name)
{
    private ChatConnection[] _members = [];

    public string Name { get; } = name;

    /// <summary>Serializes joins and leaves of this room (including the Redis subscribe/unsubscribe they cause).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The room's broker subscription, held while it has local members.</summary>
    internal IAsyncDisposable? Subscription { get; set; }

    /// <summary>Set when the last member left; a joiner that still holds this instance must look the room up again.</summary>
    internal bool Retired { get; set; }

    public int MemberCount => Volatile.Read(ref _members).Length;

    internal void Add(ChatConnection member) => _members = [.. _members, member];

    internal void Remove(ChatConnection member) => _members = Array.FindAll(_members, m => m != member);

    /// <summary>Hands one message's bytes to every local member: the same bytes, never re-encoded. Returns how many.</summary>
    public int Deliver(ReadOnlyMemory<byte> frame)
    {
        var members = Volatile.Read(ref _members);
        foreach (var member in members)
        {
            member.Enqueue(frame);
        }
        return members.Length;
    }
}
