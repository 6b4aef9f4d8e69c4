using System.Diagnostics.Metrics;
using System.Text;
using LetsChat.RoomService;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Sockets;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;
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

    /// <summary>The letschat.v1 frame a client must get for <see cref="MessageEvent"/>, written out by hand.</summary>
    public static string MessageFrame(long seq, string text = "hi", string epoch = "e1", string userId = "u_1") =>
        $$"""{"type":"message","room":"a","epoch":"{{epoch}}","seq":{{seq}},"id":"c{{seq}}","user":{"id":"{{userId}}","name":"N"},"text":"{{text}}","ts":0}""";

    /// <summary>A message of room "a" as the broker hands it up: from the log entry publish.lua would store.</summary>
    public static RoomEvent MessageEvent(long seq, string text = "hi", string epoch = "e1", string userId = "u_1")
    {
        var body = RoomRecords.Body(new OutgoingMessage(new ChatUser(userId, "N"), $"c{seq}", text, DateTimeOffset.UnixEpoch));
        return RoomRecords.ReadEntry("a", epoch, Encoding.UTF8.GetBytes($"{seq} {body}"))!;
    }

    public static RoomEvent TypingEvent(string userId) =>
        RoomRecords.Read("a", RoomRecords.Typing(new ChatUser(userId, "N")))!;

    /// <summary>The member's outbox as the socket it is here (every test member gets a real ChatConnection).</summary>
    public static ChatConnection Socket(this Member member) => (ChatConnection)member.Outbox;

    public static List<string> Drain(Member member)
    {
        var frames = new List<string>();
        while (member.Socket().TryTakeQueued(out var frame))
        {
            frames.Add(Encoding.UTF8.GetString(frame.Span));
        }
        return frames;
    }
}
