using System.Text.Json.Serialization;
using LetsChat.RoomService.Identity;

namespace LetsChat.RoomService.Protocol;

// The letschat.v1 frames, as records. docs/protocol.md has one example of each.
// New fields go at the end; clients ignore fields they do not know.

/// <summary>Any client frame. Which fields matter depends on <see cref="Type"/>.</summary>
public sealed record ClientFrame(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("before")] long? Before,
    [property: JsonPropertyName("limit")] int? Limit);

/// <summary>A message as stored and published (Broker/RoomRecords): everything but its epoch and seq.</summary>
internal sealed record MessageBody(
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("ts")] long Timestamp,
    [property: JsonPropertyName("traceparent"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceParent);

/// <summary>What a replica reads from each message body: just enough to route it.</summary>
internal sealed record BodyView(
    [property: JsonPropertyName("user")] UserView? User,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("ts")] long Timestamp,
    [property: JsonPropertyName("traceparent")] string? TraceParent);

internal sealed record UserView([property: JsonPropertyName("id")] string? Id);

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
    [property: JsonPropertyName("members")] IReadOnlyList<ChatUser> Members)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "presence";
}

[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(MessageBody))]
[JsonSerializable(typeof(BodyView))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(WelcomeFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(PresenceFrame))]
[JsonSerializable(typeof(ChatUser))]
[JsonSerializable(typeof(SeedInbound))]
[JsonSerializable(typeof(SeedOutbound))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
