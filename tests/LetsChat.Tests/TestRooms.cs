using System.Diagnostics.Metrics;
using System.Text;
using LetsChat.RoomService;
using LetsChat.RoomService.Connections;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LetsChat.Tests;

/// <summary>Builders for room-level unit tests: members without sockets, frames as Redis would carry them.</summary>
internal static class TestRooms
{
    public static readonly RoomTelemetry Telemetry =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    public static Member NewMember(ChatProtocolKind protocol = ChatProtocolKind.Seed, string userId = "u_1", int sendBufferBytes = 64 * 1024, int holdLimit = 64) =>
        new(new ChatUser(userId, "Name " + userId), Guid.NewGuid().ToString("N")[..12], protocol,
            new ChatConnection(new RoomServiceOptions { SendBufferBytes = sendBufferBytes }, Telemetry), holdLimit);

    public static byte[] MessageFrame(long seq, string text = "hi", string epoch = "e1", string userId = "u_1") =>
        Encoding.UTF8.GetBytes($$"""{"type":"message","room":"a","epoch":"{{epoch}}","seq":{{seq}},"id":"c{{seq}}","user":{"id":"{{userId}}","name":"N"},"text":"{{text}}","ts":0}""");

    public static RoomEvent MessageEvent(long seq, string text = "hi", string epoch = "e1") =>
        MessageEnvelope.Read(MessageFrame(seq, text, epoch))!;

    public static RoomEvent TypingEvent(string userId) =>
        MessageEnvelope.Read(Encoding.UTF8.GetBytes($$$"""{"type":"typing","user":{"id":"{{{userId}}}","name":"N"}}"""))!;

    public static List<string> Drain(Member member)
    {
        var frames = new List<string>();
        while (member.Connection.TryTakeQueued(out var frame))
        {
            frames.Add(Encoding.UTF8.GetString(frame.Span));
        }
        return frames;
    }
}
