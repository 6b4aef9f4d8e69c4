using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

public class V1ProtocolTests
{
    [Fact]
    public void ACrowdsCountRecordBecomesAPresenceCountFrameAndAMalformedOneIsDropped()
    {
        var e = RoomRecords.Read("lobby", "p count 2000"u8.ToArray())!;

        var frame = JsonDocument.Parse(e.V1).RootElement;
        Assert.Equal(("presence", "count", 2000L), (frame.GetProperty("type").GetString(), frame.GetProperty("event").GetString(), frame.GetProperty("count").GetInt64()));
        Assert.Null(RoomRecords.Read("lobby", "p count 20x"u8.ToArray()));
        Assert.Null(RoomRecords.Read("lobby", "p count {\"id\":\"u_1\"}"u8.ToArray()));
    }

    [Fact]
    public void TheJoinSnapshotListsSomeMembersAndCountsThemAll()
    {
        var frame = JsonDocument.Parse(V1Frames.Presence([new ChatUser("u_1", "Ana")], 150)).RootElement;

        Assert.Equal(("snapshot", 1, 150L), (frame.GetProperty("event").GetString(), frame.GetProperty("members").GetArrayLength(), frame.GetProperty("count").GetInt64()));
    }

    [Fact]
    public void AMessageRecordBecomesTheV1MessageFrameWithItsEpochAndSeq()
    {
        var message = new OutgoingMessage(new ChatUser("u_1", "Ana \"A\""), "c-7", "hi <b>\n✓", DateTimeOffset.FromUnixTimeMilliseconds(1_764_500_000_000));

        // What publish.lua publishes (log.lua's message_record): "m <epoch> <trace> <seq> <body>", no trace here
        var record = Encoding.UTF8.GetBytes("m e1 - 42 " + RoomRecords.Body(message));
        var e = RoomRecords.Read("lobby", record)!;

        using var json = JsonDocument.Parse(e.V1);
        var root = json.RootElement;
        Assert.Equal("message", root.GetProperty("type").GetString());
        Assert.Equal("lobby", root.GetProperty("room").GetString());
        Assert.Equal("e1", root.GetProperty("epoch").GetString());
        Assert.Equal(42, root.GetProperty("seq").GetInt64());
        Assert.Equal("c-7", root.GetProperty("id").GetString());
        Assert.Equal("Ana \"A\"", root.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("hi <b>\n✓", root.GetProperty("text").GetString());
        Assert.Equal(1_764_500_000_000, root.GetProperty("ts").GetInt64());
        Assert.Equal(("e1", 42L, "u_1", "hi <b>\n✓"), (e.Epoch, e.Seq, e.SenderId, e.Text));
    }

    [Fact]
    public void ASeedSendHasNoIdField()
    {
        var body = RoomRecords.Body(new OutgoingMessage(ChatUser.Anonymous("x"), null, "hi", DateTimeOffset.UnixEpoch));

        using var json = JsonDocument.Parse(body);
        Assert.False(json.RootElement.TryGetProperty("id", out _));
        Assert.Equal("anon-x", json.RootElement.GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public void AMessageIsEncodedOnceForEachProtocol()
    {
        var e = TestRooms.MessageEvent(5, "hello");

        Assert.Equal(RoomEventKind.Message, e.Kind);
        Assert.Equal(("e1", 5L, "u_1"), (e.Epoch, e.Seq, e.SenderId));
        Assert.Equal("""{"message":"hello"}""", Encoding.UTF8.GetString(WireFrame.PayloadOf(e.SeedWire.Span)));
        Assert.Equal(TestRooms.MessageFrame(5, "hello"), Encoding.UTF8.GetString(WireFrame.PayloadOf(e.V1Wire.Span)));
        Assert.True(e.V1Wire.Equals(e.V1Wire), "the wire frame is built once and then shared");
    }

    [Theory]
    [InlineData("""p join {"id":"u_1","name":"A"}""", """{"type":"presence","event":"join","user":{"id":"u_1","name":"A"}}""")]
    [InlineData("""p leave {"id":"u_1","name":"A"}""", """{"type":"presence","event":"leave","user":{"id":"u_1","name":"A"}}""")]
    [InlineData("""t {"id":"u_1","name":"A"}""", """{"type":"typing","user":{"id":"u_1","name":"A"}}""")]
    public void PresenceAndTypingRecordsBecomeTheirV1FramesAndHaveNoSeedText(string record, string frame)
    {
        var e = RoomRecords.Read("lobby", Encoding.UTF8.GetBytes(record))!;

        Assert.Equal(frame, Encoding.UTF8.GetString(e.V1.Span));
        Assert.Equal("u_1", e.SenderId);
        Assert.Null(e.Text);
    }

    [Fact]
    public void TheTypingRecordCarriesTheUser() =>
        Assert.Equal("""t {"id":"u_1","name":"Ana"}""", Encoding.UTF8.GetString(RoomRecords.Typing(new ChatUser("u_1", "Ana"))));

    [Theory]
    [InlineData("not json")]
    [InlineData("m e1 42")]
    [InlineData("m e1 x {\"user\":{\"id\":\"u\"},\"text\":\"hi\"}")]
    [InlineData("m e1 42 {\"user\":{\"id\":\"u\"}}")]
    [InlineData("m e1 42 {broken")]
    [InlineData("p join {\"name\":\"no id\"}")]
    [InlineData("t ")]
    [InlineData("{\"type\":\"message\",\"seq\":1}")]
    [InlineData("w {}")]
    public void ReadIgnoresWhatItCannotRoute(string record) =>
        Assert.Null(RoomRecords.Read("lobby", Encoding.UTF8.GetBytes(record)));

    [Fact]
    public void HistoryFramesEmbedEachMessagesV1Frame()
    {
        var stored = new[] { TestRooms.MessageEvent(1, "a"), TestRooms.MessageEvent(2, "b") };

        var frame = V1Frames.History("reset", "e1", [.. stored.Select(m => m.V1)], more: true, reason: "gap_too_old");

        using var json = JsonDocument.Parse(frame);
        Assert.Equal("reset", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("gap_too_old", json.RootElement.GetProperty("reason").GetString());
        Assert.True(json.RootElement.GetProperty("more").GetBoolean());
        var messages = json.RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["a", "b"], messages.Select(m => m.GetProperty("text").GetString()));
        Assert.Equal([1L, 2L], messages.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.All(messages, m => Assert.Equal("a", m.GetProperty("room").GetString()));
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
}
