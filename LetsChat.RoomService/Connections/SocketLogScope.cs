using System.Collections;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// A socket's log context: its room, connection id and user id. Entered only around the socket's
/// few log lines (opened, closed, a failure), never held for its life: a scope held open costs
/// every idle socket a scope object per logging provider.
/// </summary>
internal sealed class SocketLogScope(string room, string connectionId, string userId) : IReadOnlyList<KeyValuePair<string, object>>
{
    public int Count => 3;

    public KeyValuePair<string, object> this[int index] => index switch
    {
        0 => new("Room", room),
        1 => new("ConnectionId", connectionId),
        2 => new("UserId", userId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Room:{room} ConnectionId:{connectionId} UserId:{userId}";
}
