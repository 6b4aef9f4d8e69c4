using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// One socket's place in a room: who it is, what it speaks, and where it is in the room's log.
/// Picks the bytes its protocol needs from each <see cref="RoomEvent"/>, never re-encoding them,
/// and never sends a message twice.
/// <para>
/// A v1 member that is catching up (history or resume) holds live events until
/// <see cref="GoLive"/>; then only those newer than what the catch-up sent go out. Subscribing
/// before reading the log, then dropping what the log already covered, is what makes resume
/// lossless and duplicate-free.
/// </para>
/// </summary>
public sealed class Member
{
    private readonly Lock _lock = new();
    private readonly int _holdLimit;
    private List<RoomEvent>? _held;
    private string? _epoch;
    private long _lastSeq;
    private long _lastTypingTicks = long.MinValue;

    public Member(ChatUser user, string connectionId, ChatProtocolKind protocol, IOutbox outbox, int holdLimit)
    {
        User = user;
        Protocol = protocol;
        Outbox = outbox;
        Presence = new PresenceEntry(user, connectionId);
        _holdLimit = holdLimit;
        // Seed sockets have no history or resume: they go live at once.
        _held = protocol == ChatProtocolKind.V1 ? [] : null;
    }

    public ChatUser User { get; }

    public ChatProtocolKind Protocol { get; }

    /// <summary>Where this member's frames go: its socket.</summary>
    public IOutbox Outbox { get; }

    public PresenceEntry Presence { get; }

    /// <summary>Called for every event of the room, in channel order, from the room's subscription.</summary>
    public void Deliver(RoomEvent e)
    {
        if (Protocol == ChatProtocolKind.Seed ? e.Kind != RoomEventKind.Message : e.Kind == RoomEventKind.Typing && e.SenderId == User.Id)
        {
            return; // seed sockets get messages only; nobody is told about their own typing
        }
        lock (_lock)
        {
            if (_held is null)
            {
                Send(e);
            }
            else if (_held.Count < _holdLimit)
            {
                _held.Add(e);
            }
            else
            {
                Outbox.RequestClose(CloseCodes.TryAgainLater, "Too slow: fell behind while catching up.");
            }
        }
    }

    /// <summary>
    /// Ends catch-up: the client has been sent every message of <paramref name="epoch"/> up to
    /// <paramref name="lastSeq"/>. Held events it already has are dropped, the rest are sent.
    /// </summary>
    public void GoLive(string? epoch, long lastSeq)
    {
        lock (_lock)
        {
            _epoch = epoch;
            _lastSeq = lastSeq;
            var held = _held ?? [];
            _held = null;
            foreach (var e in held)
            {
                Send(e);
            }
        }
    }

    /// <summary>True at most once per <paramref name="interval"/>: typing frames beyond that are dropped.</summary>
    public bool TryTyping(TimeSpan interval, long nowTicks)
    {
        var last = Interlocked.Read(ref _lastTypingTicks);
        return (last == long.MinValue || nowTicks - last >= interval.Ticks)
            && Interlocked.CompareExchange(ref _lastTypingTicks, nowTicks, last) == last;
    }

    private void Send(RoomEvent e)
    {
        if (e.Kind == RoomEventKind.Reset)
        {
            if (e.Epoch != _epoch)
            {
                // The log went backwards: what this client has becomes the log's recent messages.
                _epoch = e.Epoch;
                _lastSeq = e.Seq;
                Outbox.Deliver(e.V1Wire, 0);
            }
            return;
        }
        if (e.IsLogged)
        {
            if (e.Epoch == _epoch && e.Seq <= _lastSeq)
            {
                return; // the catch-up already sent it
            }
            if (Protocol == ChatProtocolKind.V1 && _epoch is not null && e.Epoch != _epoch)
            {
                // The room's log was lost (Redis restarted empty): say so before the new log's first message.
                Outbox.Deliver(WireFrame.Text(V1Frames.History("reset", e.Epoch, [], more: false, reason: "epoch_changed")));
            }
            _epoch = e.Epoch;
            _lastSeq = e.Seq;
        }
        Outbox.Deliver(Protocol == ChatProtocolKind.Seed ? e.SeedWire : e.V1Wire, e.PublishedAtMs);
    }
}
