using System.Buffers.Text;
using System.Text;

namespace LetsChat.LoadTest;

/// <summary>
/// The tool's messages and how it recognises them on the way back. Each text is
/// <c>lt:{sender}:{seq}:{timestamp}</c>: the sender's index in its room, its own counter from 0,
/// and <see cref="System.Diagnostics.Stopwatch"/> ticks at the send. Parsing scans the raw frame
/// for the marker instead of deserialising it, so the receiving side stays cheap.
/// </summary>
public static class Wire
{
    private static readonly byte[] Marker = "lt:"u8.ToArray();
    private static readonly byte[] V1Message = "{\"type\":\"message\""u8.ToArray();
    private static readonly byte[] V1Error = "{\"type\":\"error\""u8.ToArray();
    private static readonly byte[] V1AckId = "{\"type\":\"ack\",\"id\":\"l"u8.ToArray();

    /// <summary>Writes the send frame for message <paramref name="seq"/> into <paramref name="buffer"/>; returns its length.</summary>
    public static int WriteSend(Span<byte> buffer, ChatProtocol protocol, int sender, long seq, long timestamp)
    {
        var text = $"lt:{sender}:{seq}:{timestamp}";
        var frame = protocol == ChatProtocol.V1
            ? $"{{\"type\":\"send\",\"id\":\"l{sender}-{seq}-{timestamp}\",\"text\":\"{text}\"}}"
            : $"{{\"message\":\"{text}\"}}";
        return Encoding.UTF8.GetBytes(frame, buffer);
    }

    public enum Kind { Other, Message, Error, Ack }

    /// <summary>What a received frame is, and for one of the tool's messages, who sent it, its number and when.</summary>
    public static Kind Read(ReadOnlySpan<byte> frame, ChatProtocol protocol, out int sender, out long seq, out long timestamp)
    {
        sender = 0;
        seq = 0;
        timestamp = 0;
        if (protocol == ChatProtocol.V1)
        {
            if (frame.StartsWith(V1Error)) return Kind.Error;
            if (frame.StartsWith(V1AckId)) return ReadAck(frame[V1AckId.Length..], out sender, out seq, out timestamp);
            if (!frame.StartsWith(V1Message)) return Kind.Other;
        }
        var at = frame.IndexOf(Marker);
        if (at < 0) return Kind.Other;
        var rest = frame[(at + Marker.Length)..];
        if (!Utf8Parser.TryParse(rest, out sender, out var used) || rest.Length <= used || rest[used] != ':') return Kind.Other;
        rest = rest[(used + 1)..];
        if (!Utf8Parser.TryParse(rest, out seq, out used) || rest.Length <= used || rest[used] != ':') return Kind.Other;
        rest = rest[(used + 1)..];
        return Utf8Parser.TryParse(rest, out timestamp, out _) ? Kind.Message : Kind.Other;
    }

    // The ack's id is the send's: l{sender}-{seq}-{timestamp}, so its round trip needs no table.
    private static Kind ReadAck(ReadOnlySpan<byte> id, out int sender, out long seq, out long timestamp)
    {
        seq = timestamp = 0;
        if (!Utf8Parser.TryParse(id, out sender, out var used) || id.Length <= used || id[used] != '-') return Kind.Other;
        id = id[(used + 1)..];
        if (!Utf8Parser.TryParse(id, out seq, out used) || id.Length <= used || id[used] != '-') return Kind.Other;
        id = id[(used + 1)..];
        return Utf8Parser.TryParse(id, out timestamp, out _) ? Kind.Ack : Kind.Other;
    }
}
