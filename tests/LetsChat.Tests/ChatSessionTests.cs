using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using LetsChat.RoomService;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Sockets;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using static LetsChat.Tests.TestRooms;

namespace LetsChat.Tests;

/// <summary>
/// What a socket's frames make the session do, with a broker in memory and the connection's output
/// read back from a pipe as the WebSocket frames a client would get.
/// </summary>
public sealed class ChatSessionTests : IDisposable
{
    private readonly RecordingBroker _broker = new();
    private readonly Pipe _wire = new();
    private readonly RoomServiceOptions _options = new() { MaxMessageChars = 10 };
    private readonly FloodGuard _guard = new(new RoomServiceOptions { FrameBurst = 2, FramesPerSecond = 1, FloodCloseAfter = 3 });

    private (ChatSession Session, Member Member) Open(ChatProtocolKind protocol = ChatProtocolKind.V1, bool limited = false)
    {
        var member = NewMember(protocol);
        member.Socket().Attach(Stream.Null, new PipeSink(_wire.Writer), ReadOnlyMemory<byte>.Empty, () => { }, protocol == ChatProtocolKind.V1 ? ChatProtocols.V1Name : null);
        var session = new ChatSession("a", member, member.Socket(), "r1", _broker, new FakeHistory(), new NoPresence(), _options, Telemetry, TimeProvider.System, NullLogger.Instance)
        {
            Flood = limited ? _guard.For(member.Presence.ConnectionId) : null,
        };
        return (session, member);
    }

    private static ReadOnlyMemory<byte> Json(string frame) => Encoding.UTF8.GetBytes(frame);

    [Fact]
    public async Task ASendIsPublishedWithItsIdAndAcked()
    {
        var (session, member) = Open();

        await session.OnFrameAsync(Json("""{"type":"send","id":"c1","text":"hello"}"""));

        var published = Assert.Single(_broker.Published);
        Assert.Equal(("c1", "hello", member.User.Id), (published.ClientId, published.Text, published.User.Id));
        var ack = await NextFrameAsync();
        Assert.Equal(("ack", "c1", 1L), (ack.GetProperty("type").GetString(), ack.GetProperty("id").GetString(), ack.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task AResentIdIsAckedAsADuplicate()
    {
        var (session, _) = Open();
        _broker.Next = (m, seq) => new PublishResult("e1", 7, Duplicate: true);

        await session.OnFrameAsync(Json("""{"type":"send","id":"c1","text":"hello"}"""));

        var ack = await NextFrameAsync();
        Assert.Equal(7, ack.GetProperty("seq").GetInt64());
        Assert.True(ack.GetProperty("duplicate").GetBoolean());
    }

    [Theory]
    [InlineData("""{"type":"send","id":"c1","text":"eleven char"}""", "text_too_long")]
    [InlineData("""{"type":"send","id":"c1","text":"   "}""", "empty_text")]
    [InlineData("""{"type":"send","text":"hi"}""", "invalid_id")]
    [InlineData("""{"type":"send","id":"c1","text":"hi","replyTo":0}""", "invalid_reply")]
    [InlineData("""{"type":"shout","id":"c1"}""", "unknown_type")]
    public async Task ABadFrameGetsAnErrorFrameAndPublishesNothing(string frame, string code)
    {
        var (session, member) = Open();

        await session.OnFrameAsync(Json(frame));

        var error = await NextFrameAsync();
        Assert.Equal(("error", code), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Empty(_broker.Published);
        Assert.Null(member.Socket().CloseStatus); // an error frame, not a close: the socket stays usable
    }

    [Fact]
    public async Task WhenRedisFailsTheSendIsRefusedAsUnavailableNeverAcked()
    {
        var (session, _) = Open();
        _broker.Fail = new TimeoutException("redis away");

        await session.OnFrameAsync(Json("""{"type":"send","id":"c1","text":"hello"}"""));

        var error = await NextFrameAsync();
        Assert.Equal(("unavailable", "c1"), (error.GetProperty("code").GetString(), error.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData(ChatProtocolKind.V1, "not json")]
    [InlineData(ChatProtocolKind.V1, "[1,2]")]
    [InlineData(ChatProtocolKind.Seed, """{"message":5}""")]
    public async Task AFrameThatIsNotTheProtocolsJsonClosesWith1007(ChatProtocolKind protocol, string frame)
    {
        var (session, member) = Open(protocol);

        await session.OnFrameAsync(Json(frame));

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, member.Socket().CloseStatus);
        Assert.Empty(_broker.Published);
    }

    [Fact]
    public async Task ASeedSendIsPublishedWithoutAnIdOrAnAck()
    {
        var (session, member) = Open(ChatProtocolKind.Seed);

        await session.OnFrameAsync(Json("""{"message":"hello"}"""));

        var published = Assert.Single(_broker.Published);
        Assert.Equal((null, "hello"), (published.ClientId, published.Text));
        Assert.Null(member.Socket().CloseStatus);
    }

    [Fact]
    public async Task AFlooderIsToldOnceThenClosedWith1008()
    {
        var (session, member) = Open(limited: true);

        for (var i = 0; i < 5; i++) // a burst of 2, then 3 refused in a row
        {
            await session.OnFrameAsync(Json($$"""{"type":"send","id":"c{{i}}","text":"m{{i}}"}"""));
        }

        Assert.Equal(2, _broker.Published.Count);
        var frames = new[] { await NextFrameAsync(), await NextFrameAsync(), await NextFrameAsync() };
        Assert.Equal(["ack", "ack", "error"], frames.Select(f => f.GetProperty("type").GetString()));
        Assert.Equal("rate_limited", frames[2].GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, member.Socket().CloseStatus);
    }

    /// <summary>The next text frame the connection wrote (server frames are unmasked); keep-alives skipped.</summary>
    private async Task<JsonElement> NextFrameAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            var read = await _wire.Reader.ReadAsync(timeout.Token);
            if (TryReadFrame(read.Buffer, out var opcode, out var payload, out var end))
            {
                _wire.Reader.AdvanceTo(end);
                if (opcode == 0x1)
                {
                    using var json = JsonDocument.Parse(payload);
                    return json.RootElement.Clone();
                }
                continue;
            }
            _wire.Reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static bool TryReadFrame(ReadOnlySequence<byte> buffer, out int opcode, out byte[] payload, out SequencePosition end)
    {
        (opcode, payload, end) = (0, [], buffer.Start);
        var bytes = buffer.ToArray();
        if (bytes.Length < 2) return false;
        var (length, header) = (bytes[1] & 0x7F) switch
        {
            126 when bytes.Length >= 4 => ((long)(bytes[2] << 8 | bytes[3]), 4),
            127 when bytes.Length >= 10 => ((long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(2)), 10),
            < 126 and var small => (small, 2),
            _ => (-1L, 0),
        };
        if (length < 0 || bytes.Length < header + length) return false;
        (opcode, payload, end) = (bytes[0] & 0x0F, bytes[header..(int)(header + length)], buffer.GetPosition(header + length));
        return true;
    }

    public void Dispose() => _guard.Dispose();

    /// <summary>Stores every publish at the next seq, unless told to fail or to answer otherwise.</summary>
    private sealed class RecordingBroker : IRoomBroker
    {
        public List<OutgoingMessage> Published { get; } = [];

        public Func<OutgoingMessage, long, PublishResult> Next { get; set; } = (_, seq) => new PublishResult("e1", seq, Duplicate: false);

        public Exception? Fail { get; set; }

        public string MessagingSystem => "test";

        public string DestinationOf(string room) => "test:" + room;

        public Task<PublishResult> PublishAsync(string room, OutgoingMessage message, CancellationToken cancellationToken)
        {
            if (Fail is { } failure) return Task.FromException<PublishResult>(failure);
            Published.Add(message);
            return Task.FromResult(Next(message, Published.Count));
        }

        public Task<PublishResult> UpdateAsync(string room, MessageUpdate update, Func<MessageState, Change> decide, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task PublishTypingAsync(string room, ChatUser user, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IAsyncDisposable> SubscribeAsync(string room, Func<IReadOnlyList<RoomEvent>, Task> onEvents, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }

    private sealed class NoPresence : IRoomPresence
    {
        public Task JoinAsync(string room, PresenceEntry entry, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task LeaveAsync(string room, PresenceEntry entry, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task HeartbeatAsync(string room, IReadOnlyList<PresenceEntry> entries, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<RoomMembers> MembersAsync(string room, CancellationToken cancellationToken) => Task.FromResult(new RoomMembers([], 0));

        public Task<IReadOnlyList<RoomSummary>> ActiveRoomsAsync(int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<RoomSummary>>([]);

        public Task<long> PruneDirectoryAsync(CancellationToken cancellationToken) => Task.FromResult(0L);
    }
}
