using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Connections;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Rooms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace LetsChat.Tests;

public class V1ProtocolTests
{
    [Fact]
    public void HeadPlusRedisPartPlusTailIsTheV1MessageFrame()
    {
        var message = new OutgoingMessage(new ChatUser("u_1", "Ana \"A\""), "c-7", "hi <b>\n✓", DateTimeOffset.FromUnixTimeMilliseconds(1_764_500_000_000));

        // What publish.lua does: head .. ',"epoch":"' .. epoch .. '","seq":' .. seq .. tail
        var frame = MessageEnvelope.Head("lobby") + ",\"epoch\":\"e1\",\"seq\":42" + MessageEnvelope.Tail(message);

        using var json = JsonDocument.Parse(frame);
        var root = json.RootElement;
        Assert.Equal("message", root.GetProperty("type").GetString());
        Assert.Equal("lobby", root.GetProperty("room").GetString());
        Assert.Equal("e1", root.GetProperty("epoch").GetString());
        Assert.Equal(42, root.GetProperty("seq").GetInt64());
        Assert.Equal("c-7", root.GetProperty("id").GetString());
        Assert.Equal("Ana \"A\"", root.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("hi <b>\n✓", root.GetProperty("text").GetString());
        Assert.Equal(1_764_500_000_000, root.GetProperty("ts").GetInt64());
    }

    [Fact]
    public void ASeedSendHasNoIdField()
    {
        var tail = MessageEnvelope.Tail(new OutgoingMessage(ChatUser.Anonymous("x"), null, "hi", DateTimeOffset.UnixEpoch));

        using var json = JsonDocument.Parse("{\"seq\":1" + tail);
        Assert.False(json.RootElement.TryGetProperty("id", out _));
        Assert.Equal("anon-x", json.RootElement.GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public void ReadTurnsAMessageIntoBothProtocolsFrames()
    {
        var frame = TestRooms.MessageFrame(5, "hello");

        var e = MessageEnvelope.Read(frame)!;

        Assert.Equal(RoomEventKind.Message, e.Kind);
        Assert.Equal(("e1", 5L, "u_1"), (e.Epoch, e.Seq, e.SenderId));
        Assert.True(e.Frame.Span.SequenceEqual(frame));
        Assert.Equal("""{"message":"hello"}""", Encoding.UTF8.GetString(WireFrame.PayloadOf(e.SeedWire.Span)));
        Assert.True(WireFrame.PayloadOf(e.V1Wire.Span).SequenceEqual(frame));
    }

    [Theory]
    [InlineData("""{"type":"presence","event":"join","user":{"id":"u_1","name":"A"}}""", RoomEventKind.Presence)]
    [InlineData("""{"type":"typing","user":{"id":"u_1","name":"A"}}""", RoomEventKind.Typing)]
    public void ReadKnowsPresenceAndTypingAndGivesThemNoSeedText(string frame, RoomEventKind kind)
    {
        var e = MessageEnvelope.Read(Encoding.UTF8.GetBytes(frame))!;
        Assert.Equal(kind, e.Kind);
        Assert.Null(e.Text);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"message","seq":1}""")]
    [InlineData("""{"type":"weather"}""")]
    public void ReadIgnoresWhatItCannotRoute(string frame) =>
        Assert.Null(MessageEnvelope.Read(Encoding.UTF8.GetBytes(frame)));

    [Fact]
    public void HistoryFramesEmbedStoredMessagesVerbatim()
    {
        var stored = new ReadOnlyMemory<byte>[] { TestRooms.MessageFrame(1, "a"), TestRooms.MessageFrame(2, "b") };

        var frame = V1Frames.History("reset", "e1", stored, more: true, reason: "gap_too_old");

        using var json = JsonDocument.Parse(frame);
        Assert.Equal("reset", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("gap_too_old", json.RootElement.GetProperty("reason").GetString());
        Assert.True(json.RootElement.GetProperty("more").GetBoolean());
        Assert.Equal(["a", "b"], json.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Theory]
    [InlineData("c1", true)]
    [InlineData("2f1c9a7e-1b2c-4d5e-8f90-123456789abc", true)]
    [InlineData("tab:3.17_x", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("has space", false)]
    [InlineData("quote\"", false)]
    public void ClientIdsAreShortAndPlain(string? id, bool valid) =>
        Assert.Equal(valid, V1Frames.IsValidClientId(id));

    [Fact]
    public void ClientIdsAreAtMost64Characters()
    {
        Assert.True(V1Frames.IsValidClientId(new string('a', 64)));
        Assert.False(V1Frames.IsValidClientId(new string('a', 65)));
    }

    [Theory]
    [InlineData("", "", true, null, null)]
    [InlineData("abc123", "0", true, "abc123", 0L)]
    [InlineData("abc123", "42", true, "abc123", 42L)]
    [InlineData("abc123", "", false, null, null)]
    [InlineData("", "5", false, null, null)]
    [InlineData("abc123", "-1", false, null, null)]
    [InlineData("abc123", "1e3", false, null, null)]
    [InlineData("ab-c", "1", false, null, null)]
    public void ResumePointsNeedBothAPlainEpochAndASeq(string epoch, string after, bool ok, string? expectedEpoch, long? expectedAfter)
    {
        var query = new QueryCollection(new Dictionary<string, StringValues>
        {
            ["epoch"] = epoch,
            ["after"] = after,
        });

        Assert.Equal(ok, ChatEndpoint.TryReadResumePoint(query, out var resume, out var problem));
        Assert.Equal(expectedEpoch, resume?.Epoch);
        Assert.Equal(expectedAfter, resume?.AfterSeq);
        Assert.Equal(ok, problem == "");
    }
}
