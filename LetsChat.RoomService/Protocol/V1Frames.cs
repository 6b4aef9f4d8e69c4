using System.Buffers;
using System.Text.Json;
using LetsChat.RoomService.Identity;

namespace LetsChat.RoomService.Protocol;

/// <summary>Reads and writes letschat.v1 frames (docs/protocol.md). Stored messages are embedded raw, never re-encoded.</summary>
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

    public static byte[] Typing(ChatUser user) => JsonSerializer.SerializeToUtf8Bytes(new TypingFrame(user), ProtocolJson.Context.TypingFrame);

    public static byte[] Presence(IReadOnlyList<ChatUser> members) =>
        JsonSerializer.SerializeToUtf8Bytes(new PresenceFrame("snapshot", members), ProtocolJson.Context.PresenceFrame);

    /// <summary>
    /// A <c>history</c> frame (join or paging) or a <c>reset</c> frame (the client's place is gone):
    /// <c>{"type":…,"epoch":…,"messages":[…],"more":…}</c> plus <c>before</c> or <c>reason</c>.
    /// </summary>
    public static byte[] History(string type, string? epoch, IReadOnlyList<ReadOnlyMemory<byte>> messages, bool more,
        long? before = null, string? reason = null, string? room = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + messages.Sum(m => m.Length + 1));
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
                // Written by publish.lua from JSON this service serialized: already valid.
                json.WriteRawValue(message.Span, skipInputValidation: true);
            }
            json.WriteEndArray();
            json.WriteBoolean("more", more);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
