using System.Text.Json.Serialization;

namespace LetsChat.RoomService.Wire;

// The letschat.v1 frames, as records. docs/protocol.md has one example of each.
// New fields go at the end; clients ignore fields they do not know.

/// <summary>Any client frame. Which fields matter depends on <see cref="Type"/>.</summary>
public sealed record ClientFrame(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("before")] long? Before,
    [property: JsonPropertyName("limit")] int? Limit,
    [property: JsonPropertyName("seq")] long? Seq = null,
    [property: JsonPropertyName("replyTo")] long? ReplyTo = null,
    [property: JsonPropertyName("emoji")] string? Emoji = null,
    [property: JsonPropertyName("on")] bool? On = null);

public sealed record WelcomeFrame(
    [property: JsonPropertyName("room")] string Room,
    [property: JsonPropertyName("epoch")] string Epoch,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("replica")] string Replica,
    [property: JsonPropertyName("resumed")] bool Resumed,
    [property: JsonPropertyName("limits")] Limits Limits)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "welcome";
}

public sealed record Limits(
    [property: JsonPropertyName("maxMessageChars")] int MaxMessageChars,
    [property: JsonPropertyName("maxFrameBytes")] int MaxFrameBytes,
    [property: JsonPropertyName("historyPageMax")] int HistoryPageMax,
    [property: JsonPropertyName("typingIntervalMs")] int TypingIntervalMs);

public sealed record AckFrame(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("epoch")] string Epoch,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("duplicate")] bool Duplicate)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "ack";
}

public sealed record ErrorFrame(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "error";
}

public sealed record PresenceFrame(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("members")] IReadOnlyList<ChatUser> Members,
    [property: JsonPropertyName("count")] long Count)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "presence";
}

[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(WelcomeFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(PresenceFrame))]
[JsonSerializable(typeof(ChatUser))]
[JsonSerializable(typeof(SeedInbound))]
[JsonSerializable(typeof(SeedOutbound))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
