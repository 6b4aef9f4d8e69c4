namespace LetsChat.RoomService.Rooms;

/// <summary>
/// A room's members on this replica. Membership changes under <see cref="Gate"/> (they may
/// subscribe or unsubscribe in Redis); delivery reads a copy-on-write array without locking.
/// </summary>
public sealed class Room(string name)
{
    private Member[] _members = [];

    public string Name { get; } = name;

    /// <summary>Serializes joins and leaves of this room (including the Redis subscribe/unsubscribe they cause).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The room's broker subscription, held while it has local members.</summary>
    internal IAsyncDisposable? Subscription { get; set; }

    /// <summary>Set when the last member left; a joiner that still holds this instance must look the room up again.</summary>
    internal bool Retired { get; set; }

    /// <summary>The last message this replica delivered (epoch, seq): a jump past seq + 1 is a gap to fill from history.</summary>
    internal (string? Epoch, long Seq) Feed { get; set; }

    /// <summary>Serializes what changes <see cref="Feed"/>: the subscription's deliveries and a deaf room's refill.</summary>
    internal SemaphoreSlim FeedLock { get; } = new(1, 1);

    /// <summary>What the last feed check saw: this replica's feed and the log's head (epoch, last seq).</summary>
    internal ((string? Epoch, long Seq) Feed, (string? Epoch, long Seq) Head)? LastCheck { get; set; }

    public IReadOnlyList<Member> Members => Volatile.Read(ref _members);

    public int MemberCount => Volatile.Read(ref _members).Length;

    internal void Add(Member member) => _members = [.. _members, member];

    internal void Remove(Member member) => _members = Array.FindAll(_members, m => m != member);

    /// <summary>Hands one event to every local member; each takes the shared bytes its protocol needs. Returns how many.</summary>
    public int Deliver(RoomEvent e)
    {
        var members = Volatile.Read(ref _members);
        foreach (var member in members)
        {
            member.Deliver(e);
        }
        return members.Length;
    }

    /// <summary>Ends a delivered batch: each socket written to sends what it got, in one write.</summary>
    public void Flush()
    {
        foreach (var member in Volatile.Read(ref _members))
        {
            member.Outbox.Flush();
        }
    }
}
