using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// The bytes LetsChat keeps in Redis and sends through a room's channel, defined here and only
/// here; in Lua, only log.lua's functions build them. The scripts treat every JSON part as opaque:
/// they put a seq, an epoch or a trace in front and store or publish the result, nothing more.
/// What clients see is built from these records by <see cref="V1Frames"/> and <see cref="SeedProtocol"/>.
/// <code>
/// log entry        "&lt;seq&gt; &lt;body&gt;"                 letschat:{room}:log member: a message as it is now
/// message record   "m &lt;epoch&gt; &lt;trace&gt; &lt;log entry&gt;"  channel (publish.lua, in the same step as the entry)
/// update entry     "&lt;seq&gt; &lt;target&gt; &lt;update&gt;"       letschat:{room}:updates member: an edit, delete or reaction of message target
/// update record    "u &lt;epoch&gt; &lt;update entry&gt;"      channel (update.lua, in the same step as the entry)
/// presence record  "p join &lt;user&gt;", "p leave &lt;user&gt;", "p count &lt;n&gt;" (a crowd's size)  channel (presence.lua)
/// typing record    "t &lt;user&gt;"                         channel, not stored
/// rewind record    "r &lt;epoch&gt; &lt;seq&gt;"                  channel: the log went backwards; it goes on as this new epoch after seq
/// trace            the send's W3C traceparent ("00-…", no spaces), or "-": the record carries it, the log does not
/// body             {"id":"c1","user":{…},"text":"hi","ts":1764500000000}  (<see cref="MessageBody"/>; no id for seed sends;
///                  then replyTo, edited, deleted, reactions, v once they apply)
/// update           {"id":"c2","user":{…},"change":"edit","target":5,"ts":…,"message":{body as it is now}}  (<see cref="UpdateHead"/> and the body)
/// user             {"id":"u_…","name":"Ana"}               (<see cref="ChatUser"/>)
/// </code>
/// Epochs are 16 hex digits and seqs decimal: neither holds a space, so the first spaces split a
/// record and the JSON after them is never scanned. Until 2026-12 a message record had no trace
/// and its body held a "traceparent" field; <see cref="Read"/> still reads those, and log entries
/// stored then keep the field until they expire.
/// </summary>
public static class RoomRecords
{
    public static string Body(OutgoingMessage message) => Body(
        new MessageBody(message.ClientId, message.User, message.Text, message.At.ToUnixTimeMilliseconds()) { ReplyTo = message.ReplyTo });

    internal static string Body(MessageBody body) => JsonSerializer.Serialize(body, RecordJson.Context.MessageBody);

    /// <summary>A record's trace: the traceparent, or "-" for none.</summary>
    public static string Trace(string? traceParent) => string.IsNullOrEmpty(traceParent) ? "-" : traceParent;

    /// <summary>An update as stored: its head's fields, then the message as it is now (its body, serialized once).</summary>
    internal static string Update(UpdateHead head, string body)
    {
        var json = JsonSerializer.Serialize(head, RecordJson.Context.UpdateHead);
        return string.Concat(json.AsSpan(0, json.Length - 1), ",\"message\":", body, "}");
    }

    /// <summary>How many bytes a message's log entry takes (what MaxStoredMessageBytes bounds).</summary>
    internal static int EntryBytes(long seq, string body) =>
        seq.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1 + Encoding.UTF8.GetByteCount(body);

    /// <summary>One reaction in the room's reactors set: "seq user-id emoji" (user ids hold no space).</summary>
    internal static string Reactor(long seq, string userId, string emoji) => $"{seq} {userId} {emoji}";

    /// <summary>update.lua's ARGV[13]: what an update does to the reactors set.</summary>
    internal static string ReactorChange(Rooms.ReactorChange change, long seq, string userId, string emoji) => change switch
    {
        Rooms.ReactorChange.Add => "+ " + Reactor(seq, userId, emoji),
        Rooms.ReactorChange.Remove => "- " + Reactor(seq, userId, emoji),
        Rooms.ReactorChange.Clear => "*",
        _ => "",
    };

    /// <summary>A log entry's message, whole (to decide an update on it), or null when it does not read.</summary>
    internal static MessageBody? ReadBody(ReadOnlyMemory<byte> entry) =>
        Split(entry, out _, out var body) ? Parse(body, RecordJson.Context.MessageBody) : null;

    public static string User(ChatUser user) => JsonSerializer.Serialize(user, RecordJson.Context.ChatUser);

    public static byte[] Typing(ChatUser user) => Encoding.UTF8.GetBytes("t " + User(user));

    /// <summary>A record from the room's channel, or null when it is not one (it is then dropped and counted).</summary>
    public static RoomEvent? Read(string room, ReadOnlyMemory<byte> record)
    {
        var span = record.Span;
        if (span.Length < 3 || span[1] != (byte)' ')
        {
            return null;
        }
        var rest = record[2..];
        switch (span[0])
        {
            case (byte)'m' when Split(rest, out var messageEpoch, out var traced):
                return ReadTraced(room, Encoding.ASCII.GetString(messageEpoch.Span), traced);
            case (byte)'u' when Split(rest, out var updateEpoch, out var update):
                return ReadUpdateEntry(room, Encoding.ASCII.GetString(updateEpoch.Span), update);
            case (byte)'p' when Split(rest, out var change, out var count) && change.Span.SequenceEqual("count"u8):
                return Utf8Parser.TryParse(count.Span, out long _, out var digits) && digits == count.Length
                    ? new RoomEvent(RoomEventKind.Presence, room, null, 0, null, count, null) { Change = "count" }
                    : null;
            case (byte)'p' when Split(rest, out var change, out var user):
                return UserEvent(RoomEventKind.Presence, room, user) is { } e ? e with { Change = Encoding.ASCII.GetString(change.Span) } : null;
            case (byte)'t':
                return UserEvent(RoomEventKind.Typing, room, rest);
            case (byte)'r' when Split(rest, out var epoch, out var seqText) && Utf8Parser.TryParse(seqText.Span, out long kept, out var used) && used == seqText.Length:
                return new RoomEvent(RoomEventKind.Rewind, room, Encoding.ASCII.GetString(epoch.Span), kept, null, default, null);
            default:
                return null;
        }
    }

    /// <summary>
    /// A page of read.lua's entries of <paramref name="epoch"/>, in order: message entries, and
    /// update entries marked "u " ("after" pages). One that does not read is skipped, not fatal. Of
    /// two states of one message (a crash between update.lua's writes), the newer is kept.
    /// </summary>
    public static List<RoomEvent> ReadPage(string room, string epoch, IEnumerable<ReadOnlyMemory<byte>> entries)
    {
        var events = new List<RoomEvent>();
        foreach (var entry in entries)
        {
            var e = entry.Span.StartsWith("u "u8) ? ReadUpdateEntry(room, epoch, entry[2..]) : ReadEntry(room, epoch, entry);
            if (e is null)
            {
                continue;
            }
            if (events.Count > 0 && events[^1] is { Kind: RoomEventKind.Message } previous && e.Kind == RoomEventKind.Message && previous.Seq == e.Seq)
            {
                events[^1] = e.Version > previous.Version ? e : previous;
                continue;
            }
            events.Add(e);
        }
        return events;
    }

    // "<trace> <log entry>", or a bare log entry (from a replica before traces left the body): its
    // first part is then the seq, all digits, where a trace is "-" or "00-…".
    private static RoomEvent? ReadTraced(string room, string epoch, ReadOnlyMemory<byte> traced)
    {
        if (!Split(traced, out var trace, out var entry) || !trace.Span.ContainsAnyExcept(Digits))
        {
            return ReadEntry(room, epoch, traced);
        }
        return ReadEntry(room, epoch, entry) is { } e
            ? e with { TraceParent = trace.Span.SequenceEqual("-"u8) ? null : Encoding.ASCII.GetString(trace.Span) }
            : null;
    }

    private static readonly System.Buffers.SearchValues<byte> Digits = System.Buffers.SearchValues.Create("0123456789"u8);

    /// <summary>A log entry of <paramref name="epoch"/> as a message event, or null when it is not one.</summary>
    public static RoomEvent? ReadEntry(string room, string epoch, ReadOnlyMemory<byte> entry)
    {
        if (!Split(entry, out var seqText, out var body)
            || !Utf8Parser.TryParse(seqText.Span, out long seq, out var used) || used != seqText.Length
            || Parse(body, RecordJson.Context.BodyView) is not { Text: { } text } view)
        {
            return null;
        }
        return new RoomEvent(RoomEventKind.Message, room, epoch, seq, view.User?.Id, body, text)
        {
            PublishedAtMs = view.Timestamp,
            TraceParent = view.TraceParent, // bodies stored before the record carried it
            Version = view.Version,
        };
    }

    /// <summary>An update entry of <paramref name="epoch"/> as an update event, or null when it is not one.</summary>
    public static RoomEvent? ReadUpdateEntry(string room, string epoch, ReadOnlyMemory<byte> entry)
    {
        if (!Split(entry, out var seqText, out var rest) || !Split(rest, out var targetText, out var body)
            || !Utf8Parser.TryParse(seqText.Span, out long seq, out var used) || used != seqText.Length
            || !Utf8Parser.TryParse(targetText.Span, out long target, out used) || used != targetText.Length
            || Parse(body, RecordJson.Context.UpdateView) is not { User.Id: { } actor })
        {
            return null;
        }
        return new RoomEvent(RoomEventKind.Update, room, epoch, seq, actor, body, null) { Target = target };
    }

    private static RoomEvent? UserEvent(RoomEventKind kind, string room, ReadOnlyMemory<byte> user) =>
        Parse(user, RecordJson.Context.UserView) is { Id: { } id }
            ? new RoomEvent(kind, room, null, 0, id, user, null)
            : null;

    private static bool Split(ReadOnlyMemory<byte> text, out ReadOnlyMemory<byte> head, out ReadOnlyMemory<byte> rest)
    {
        var space = text.Span.IndexOf((byte)' ');
        head = space > 0 ? text[..space] : default;
        rest = space > 0 ? text[(space + 1)..] : default;
        return space > 0 && rest.Length > 0;
    }

    private static T? Parse<T>(ReadOnlyMemory<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json.Span, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An update's own fields, as stored in front of the message it leaves (<see cref="RoomRecords.Update"/>).</summary>
internal sealed record UpdateHead(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("user")] ChatUser User,
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("target")] long Target,
    [property: JsonPropertyName("ts")] long Timestamp);

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

[JsonSerializable(typeof(MessageBody))]
[JsonSerializable(typeof(UpdateHead))]
[JsonSerializable(typeof(BodyView))]
[JsonSerializable(typeof(UpdateView))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(ChatUser))]
internal sealed partial class RecordJsonContext : JsonSerializerContext;

internal static class RecordJson
{
    public static RecordJsonContext Context { get; } = new(ProtocolJson.Options());
}
