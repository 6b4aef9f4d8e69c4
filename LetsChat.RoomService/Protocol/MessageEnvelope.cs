using System.Text.Json;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Rooms;

namespace LetsChat.RoomService.Protocol;

/// <summary>
/// The Redis payload is the letschat.v1 frame itself, so v1 sockets get it byte for byte:
/// <code>{"type":"message","room":"lobby","epoch":"9f3c…","seq":42,"id":"c1","user":{"id":"u_…","name":"Ana"},"text":"hi","ts":1764500000000}</code>
/// C# writes the head (up to the room) and the tail (from the client id on); publish.lua puts the
/// epoch and seq it assigns between them. Presence frames are written by presence.lua, typing
/// frames by <see cref="V1Frames"/>.
/// </summary>
public static class MessageEnvelope
{
    /// <summary>Room names are [A-Za-z0-9_.-]: nothing in them needs escaping.</summary>
    public static string Head(string room) => "{\"type\":\"message\",\"room\":\"" + room + "\"";

    public static string Tail(OutgoingMessage message)
    {
        var json = JsonSerializer.Serialize(
            new MessageTail(message.ClientId, message.User, message.Text, message.At.ToUnixTimeMilliseconds(), message.TraceParent),
            ProtocolJson.Context.MessageTail);
        return "," + json[1..];
    }

    /// <summary>Reads a frame from Redis once per replica: what kind it is, its place, and the text for seed sockets.</summary>
    public static RoomEvent? Read(ReadOnlyMemory<byte> frame)
    {
        EnvelopeView? view;
        try
        {
            view = JsonSerializer.Deserialize(frame.Span, ProtocolJson.Context.EnvelopeView);
        }
        catch (JsonException)
        {
            return null;
        }
        return view?.Type switch
        {
            "message" when view.Text is { } text && view.Epoch is { } epoch =>
                new RoomEvent(RoomEventKind.Message, epoch, view.Seq, view.User?.Id, frame, text)
                {
                    PublishedAtMs = view.Timestamp,
                    TraceParent = view.TraceParent,
                },
            "presence" => new RoomEvent(RoomEventKind.Presence, null, 0, view.User?.Id, frame, null),
            "typing" => new RoomEvent(RoomEventKind.Typing, null, 0, view.User?.Id, frame, null),
            _ => null,
        };
    }
}
