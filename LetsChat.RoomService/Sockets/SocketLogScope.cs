using System.Collections;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// A socket's log context: its room, connection id and user id. Entered only around the socket's
/// few log lines (opened, closed, a failure), never held for its life: a scope held open costs
/// every idle socket a scope object per logging provider.
/// </summary>
internal sealed class SocketLogScope(string room, string connectionId, string userId) : IReadOnlyList<KeyValuePair<string, object>>
{
    /// <summary>Enters <paramref name="scope"/> on <paramref name="logger"/> for one log line; nothing when there is none (unit tests).</summary>
    public static IDisposable? Enter(ILogger logger, SocketLogScope? scope) => scope is null ? null : logger.BeginScope(scope);

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
