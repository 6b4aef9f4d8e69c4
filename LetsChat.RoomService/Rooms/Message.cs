using System.Text.Json.Serialization;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

// A message's JSON is its body as stored (Redis/RoomRecords, which serializes it) and the fields
// of its v1 message frame (Wire/V1Frames splices it in after the epoch and seq), so these names
// are protocol: docs/protocol.md. New fields go at the end.

/// <summary>
/// A chat message as it is now: everything but its epoch and seq (which the log gives it). The
/// fields after <see cref="Timestamp"/> are its conversation state, folded in by each update
/// (<see cref="MessageChanges"/>): absent until something happens to it.
/// </summary>
public sealed record MessageBody(
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("ts")] long Timestamp)
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
/// (<see cref="Users"/>, at most <see cref="MessageChanges.ShownReactors"/>, in the order they did), so a
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
