using System.Net.WebSockets;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// Where a member's frames go: its socket's outbound side (Sockets/ChatConnection). A room writes
/// the frames of a batch, then flushes each member once; it never waits for a socket.
/// </summary>
public interface IOutbox
{
    /// <summary>
    /// Queues a complete frame shared by the room (<see cref="Wire.WireFrame"/>) without sending it.
    /// Never blocks: a socket too far behind is closed instead. <paramref name="publishedAtMs"/>
    /// (live messages only) is when the message was published, for the delivery latency.
    /// </summary>
    void Deliver(ReadOnlyMemory<byte> wireFrame, long publishedAtMs = 0);

    /// <summary>Sends what <see cref="Deliver"/> queued since the last flush.</summary>
    void Flush();

    /// <summary>Closes the socket with <paramref name="status"/> once what is queued has gone; the first decision wins.</summary>
    void RequestClose(WebSocketCloseStatus status, string reason);

    /// <summary>Bytes queued and not yet taken by the transport.</summary>
    long PendingBytes { get; }
}
