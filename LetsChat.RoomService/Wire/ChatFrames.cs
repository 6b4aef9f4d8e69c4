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

/// <summary>
/// A message as stored and published (Redis/RoomRecords): everything but its epoch and seq. The
/// fields after <see cref="TraceParent"/> are its conversation state, folded in by each update
/// (Rooms/MessageChanges): absent until something happens to it.
/// </summary>
internal sealed record MessageBody(
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("ts")] long Timestamp,
    [property: JsonPropertyName("traceparent"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceParent)
{
    /// <summary>The seq of the message this one answers.</summary>
    [JsonPropertyName("replyTo"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ReplyTo { get; init; }

    /// <summary>When its author last edited it (Unix ms).</summary>
    [JsonPropertyName("edited"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Edited { get; init; }

    /// <summary>True for a tombstone: its author took it back, and its text is gone.</summary>
    [JsonPropertyName("deleted"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Deleted { get; init; }

    [JsonPropertyName("reactions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Reaction>? Reactions { get; init; }

    /// <summary>How many updates it has had: of two copies of one seq (a crash between the writes), the higher wins.</summary>
    [JsonPropertyName("v"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Version { get; init; }
}

/// <summary>
/// One emoji on a message: how many put it there (<see cref="Count"/>), and the first of them
/// (<see cref="Users"/>, at most <c>MessageChanges.ShownReactors</c>, in the order they did), so a
/// popular message stays small. Who else reacted is kept apart, in the room's reactors set.
/// </summary>
public sealed record Reaction(
    [property: JsonPropertyName("emoji")] string Emoji,
    [property: JsonPropertyName("users")] IReadOnlyList<ChatUser> Users,
    [property: JsonPropertyName("count")] int Count)
{
    /// <summary>How many reacted: a message stored before counts were kept has only its users (Count 0).</summary>
    [JsonIgnore]
    public int Total => Math.Max(Count, Users.Count);
}

/// <summary>
/// An update of a message, as stored and published: who changed what, and the message as it is
/// now (<see cref="Message"/>, a <see cref="MessageBody"/>), so applying it twice changes nothing.
/// </summary>
internal sealed record UpdateBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("target")] long Target,
    [property: JsonPropertyName("ts")] long Timestamp,
    [property: JsonPropertyName("message")] MessageBody Message);

/// <summary>What a replica reads from each message body: just enough to route it.</summary>
internal sealed record BodyView(
    [property: JsonPropertyName("user")] UserView? User,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("ts")] long Timestamp,
    [property: JsonPropertyName("traceparent")] string? TraceParent,
    [property: JsonPropertyName("v")] int Version = 0);

/// <summary>What a replica reads from each update body: who made it.</summary>
internal sealed record UpdateView(
    [property: JsonPropertyName("user")] UserView? User,
    [property: JsonPropertyName("target")] long Target);

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
    [property: JsonPropertyName("members")] IReadOnlyList<ChatUser> Members,
    [property: JsonPropertyName("count")] long Count)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "presence";
}

[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(MessageBody))]
[JsonSerializable(typeof(BodyView))]
[JsonSerializable(typeof(UpdateBody))]
[JsonSerializable(typeof(UpdateView))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(WelcomeFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(PresenceFrame))]
[JsonSerializable(typeof(ChatUser))]
[JsonSerializable(typeof(SeedInbound))]
[JsonSerializable(typeof(SeedOutbound))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
