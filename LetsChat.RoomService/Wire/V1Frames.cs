using System.Buffers;
using System.Text;
using System.Text.Json;

namespace LetsChat.RoomService.Wire;

/// <summary>
/// Reads and writes letschat.v1 frames (docs/protocol.md): every frame the server sends is built
/// here. Room events are built from their records (Redis/RoomRecords), whose JSON parts are
/// embedded as they are, never re-encoded.
/// </summary>
public static class V1Frames
{
    /// <summary>Client message ids: what a client needs for a counter or a UUID, nothing that needs escaping.</summary>
    public const int MaxClientIdLength = 64;

    /// <summary>Reads a client frame; null when it is not a JSON object (the caller closes with 1007).</summary>
    public static ClientFrame? Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, ProtocolJson.Context.ClientFrame);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool IsValidClientId(string? id) =>
        id is { Length: > 0 and <= MaxClientIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    public static byte[] Welcome(WelcomeFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, ProtocolJson.Context.WelcomeFrame);

    public static byte[] Ack(AckFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, ProtocolJson.Context.AckFrame);

    public static byte[] Error(string code, string message, string? id = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new ErrorFrame(code, message, id), ProtocolJson.Context.ErrorFrame);

    /// <summary>
    /// <c>{"type":"message","room":…,"epoch":…,"seq":…,</c> then the body's fields. Room names are
    /// [A-Za-z0-9_.-] and epochs hex: nothing in them needs escaping.
    /// </summary>
    public static byte[] Message(string room, string epoch, long seq, ReadOnlySpan<byte> body) => Spliced("message", room, epoch, seq, body);

    /// <summary>
    /// <c>{"type":"update","room":…,"epoch":…,"seq":…,</c> then the update's fields: who, which
    /// change, the target's seq, and the target message as it is now.
    /// </summary>
    public static byte[] Update(string room, string epoch, long seq, ReadOnlySpan<byte> body) => Spliced("update", room, epoch, seq, body);

    private static byte[] Spliced(string type, string room, string epoch, long seq, ReadOnlySpan<byte> body)
    {
        var head = $$"""{"type":"{{type}}","room":"{{room}}","epoch":"{{epoch}}","seq":{{seq}},""";
        var frame = new byte[head.Length + body.Length - 1];
        var written = Encoding.ASCII.GetBytes(head, frame);
        body[1..].CopyTo(frame.AsSpan(written)); // the body is a JSON object with at least a user
        return frame;
    }

    /// <summary><c>{"type":"presence","event":"snapshot","members":[…],"count":n}</c>: who is in the room (at most PresenceListed of them), sent on join.</summary>
    public static byte[] Presence(IReadOnlyList<ChatUser> listed, long count) =>
        JsonSerializer.SerializeToUtf8Bytes(new PresenceFrame("snapshot", listed, count), ProtocolJson.Context.PresenceFrame);

    /// <summary><c>{"type":"presence","event":"count","count":n}</c>: how many a crowd has (it announces no joins or leaves).</summary>
    public static byte[] PresenceCount(ReadOnlySpan<byte> digits) =>
        [.. """{"type":"presence","event":"count","count":"""u8, .. digits, (byte)'}'];

    /// <summary><c>{"type":"presence","event":"join"|"leave","user":…}</c></summary>
    public static byte[] PresenceChange(string change, ReadOnlySpan<byte> user) => UserFrame("presence", change, user);

    /// <summary><c>{"type":"typing","user":…}</c></summary>
    public static byte[] Typing(ReadOnlySpan<byte> user) => UserFrame("typing", null, user);

    private static byte[] UserFrame(string type, string? change, ReadOnlySpan<byte> user)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + user.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            if (change is not null)
            {
                json.WriteString("event", change);
            }
            json.WritePropertyName("user");
            json.WriteRawValue(user, skipInputValidation: true); // serialized by this service (RoomRecords.User)
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A <c>history</c> frame (join or paging) or a <c>reset</c> frame (the client's place is gone):
    /// <c>{"type":…,"epoch":…,"messages":[…],"more":…}</c> plus <c>before</c> or <c>reason</c>;
    /// <paramref name="messages"/> are message frames' JSON, each as a client sees it.
    /// </summary>
    public static byte[] History(string type, string? epoch, IReadOnlyList<ReadOnlyMemory<byte>> messages, bool more,
        long? before = null, string? reason = null, string? room = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + messages.Sum(m => m.Length + 8));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            if (room is not null)
            {
                json.WriteString("room", room);
            }
            json.WriteString("epoch", epoch);
            if (before is { } b)
            {
                json.WriteNumber("before", b);
            }
            if (reason is not null)
            {
                json.WriteString("reason", reason);
            }
            json.WriteStartArray("messages");
            foreach (var message in messages)
            {
                // Built from a body this service serialized: already valid.
                json.WriteRawValue(message.Span, skipInputValidation: true);
            }
            json.WriteEndArray();
            json.WriteBoolean("more", more);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
