using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// The bytes LetsChat keeps in Redis and sends through a room's channel, defined here and only
/// here. The Lua scripts treat every JSON part as opaque: they put a seq or an epoch in front
/// and store or publish the result, nothing more. What clients see is built from these records
/// by <see cref="V1Frames"/> and <see cref="SeedProtocol"/>.
/// <code>
/// log entry        "&lt;seq&gt; &lt;body&gt;"            letschat:{room}:log member (publish.lua): a message as it is now
/// message record   "m &lt;epoch&gt; &lt;log entry&gt;"    channel (publish.lua, in the same step as the entry)
/// update entry     "&lt;seq&gt; &lt;target&gt; &lt;update&gt;"  letschat:{room}:updates member (publish.lua): an edit, delete or reaction of message target
/// update record    "u &lt;epoch&gt; &lt;update entry&gt;" channel (publish.lua, in the same step as the entry)
/// presence record  "p join &lt;user&gt;", "p leave &lt;user&gt;", "p count &lt;n&gt;" (a crowd's size)  channel (presence.lua)
/// typing record    "t &lt;user&gt;"                    channel, not stored
/// rewind record    "r &lt;epoch&gt; &lt;seq&gt;"             channel: the log went backwards; it goes on as this new epoch after seq (publish.lua, read.lua)
/// body             {"id":"c1","user":{…},"text":"hi","ts":1764500000000,"traceparent":"00-…"}  (<see cref="MessageBody"/>; no id for seed sends;
///                  then replyTo, edited, deleted, reactions, v once they apply)
/// update           {"id":"c2","user":{…},"change":"edit","target":5,"ts":…,"message":{body as it is now}}  (<see cref="UpdateBody"/>)
/// user             {"id":"u_…","name":"Ana"}          (<see cref="ChatUser"/>)
/// </code>
/// Epochs are 16 hex digits and seqs decimal: neither holds a space, so the first spaces split a
/// record and the JSON after them is never scanned.
/// </summary>
public static class RoomRecords
{
    public static string Body(OutgoingMessage message) => Body(
        new MessageBody(message.ClientId, message.User, message.Text, message.At.ToUnixTimeMilliseconds(), message.TraceParent)
        {
            ReplyTo = message.ReplyTo,
        });

    internal static string Body(MessageBody body) => JsonSerializer.Serialize(body, ProtocolJson.Context.MessageBody);

    internal static string Entry(long seq, MessageBody body) => $"{seq} {Body(body)}";

    internal static string Update(UpdateBody update) => JsonSerializer.Serialize(update, ProtocolJson.Context.UpdateBody);

    /// <summary>One reaction in the room's reactors set: "seq user-id emoji" (user ids hold no space).</summary>
    internal static string Reactor(long seq, string userId, string emoji) => $"{seq} {userId} {emoji}";

    /// <summary>publish.lua's ARGV[13]: what an update does to the reactors set.</summary>
    internal static string ReactorChange(Rooms.ReactorChange change, long seq, string userId, string emoji) => change switch
    {
        Rooms.ReactorChange.Add => "+ " + Reactor(seq, userId, emoji),
        Rooms.ReactorChange.Remove => "- " + Reactor(seq, userId, emoji),
        Rooms.ReactorChange.Clear => "*",
        _ => "",
    };

    /// <summary>A log entry's message, whole (to fold an update into it), or null when it does not read.</summary>
    internal static MessageBody? ReadBody(string entry)
    {
        var space = entry.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? Parse<MessageBody>(Encoding.UTF8.GetBytes(entry[(space + 1)..]), ProtocolJson.Context.MessageBody) : null;
    }

    public static string User(ChatUser user) => JsonSerializer.Serialize(user, ProtocolJson.Context.ChatUser);

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
            case (byte)'m' when Split(rest, out var messageEpoch, out var entry):
                return ReadEntry(room, Encoding.ASCII.GetString(messageEpoch.Span), entry);
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

    /// <summary>A log entry of <paramref name="epoch"/> as a message event, or null when it is not one.</summary>
    public static RoomEvent? ReadEntry(string room, string epoch, ReadOnlyMemory<byte> entry)
    {
        if (!Split(entry, out var seqText, out var body)
            || !Utf8Parser.TryParse(seqText.Span, out long seq, out var used) || used != seqText.Length
            || Parse(body, ProtocolJson.Context.BodyView) is not { Text: { } text } view)
        {
            return null;
        }
        return new RoomEvent(RoomEventKind.Message, room, epoch, seq, view.User?.Id, body, text)
        {
            PublishedAtMs = view.Timestamp,
            TraceParent = view.TraceParent,
            Version = view.Version,
        };
    }

    /// <summary>An update entry of <paramref name="epoch"/> as an update event, or null when it is not one.</summary>
    public static RoomEvent? ReadUpdateEntry(string room, string epoch, ReadOnlyMemory<byte> entry)
    {
        if (!Split(entry, out var seqText, out var rest) || !Split(rest, out var targetText, out var body)
            || !Utf8Parser.TryParse(seqText.Span, out long seq, out var used) || used != seqText.Length
            || !Utf8Parser.TryParse(targetText.Span, out long target, out used) || used != targetText.Length
            || Parse(body, ProtocolJson.Context.UpdateView) is not { User.Id: { } actor })
        {
            return null;
        }
        return new RoomEvent(RoomEventKind.Update, room, epoch, seq, actor, body, null) { Target = target };
    }

    private static RoomEvent? UserEvent(RoomEventKind kind, string room, ReadOnlyMemory<byte> user) =>
        Parse(user, ProtocolJson.Context.UserView) is { Id: { } id }
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
