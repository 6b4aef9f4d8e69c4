using System.Buffers.Binary;

namespace LetsChat.RoomService.Wire;

/// <summary>
/// Complete server-to-client WebSocket frames (RFC 6455 §5.2), header included. Server frames are
/// never masked, so one frame's bytes are the same for every recipient: a room event is encoded
/// once per replica and those bytes are copied into each member's connection as they are. Only
/// what the server sends is written here; reading stays with the framework's WebSocket.
/// </summary>
public static class WireFrame
{
    private const byte Final = 0x80;
    private const byte TextOpcode = 0x1;
    private const byte PingOpcode = 0x9;

    /// <summary>A ping with no payload: the keep-alive. Every WebSocket client answers it with a pong (RFC 6455 §5.5.2).</summary>
    public static ReadOnlyMemory<byte> KeepAlive { get; } = new byte[] { Final | PingOpcode, 0 };

    /// <summary>One final text frame carrying <paramref name="payload"/> (UTF-8 JSON).</summary>
    public static byte[] Text(ReadOnlySpan<byte> payload)
    {
        var header = HeaderLength(payload.Length);
        var frame = new byte[header + payload.Length];
        frame[0] = Final | TextOpcode;
        switch (header)
        {
            case 2:
                frame[1] = (byte)payload.Length;
                break;
            case 4:
                frame[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    /// <summary>The payload of a frame made by <see cref="Text"/> (unit tests read what would be sent).</summary>
    internal static ReadOnlySpan<byte> PayloadOf(ReadOnlySpan<byte> frame) => frame[1] switch
    {
        126 => frame[4..],
        127 => frame[10..],
        _ => frame[2..],
    };

    private static int HeaderLength(int payloadLength) => payloadLength switch
    {
        < 126 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };
}
