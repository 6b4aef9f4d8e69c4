using System.Net.WebSockets;
using System.Text;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

/// <summary>The pre-encoded server frames, read back by the framework's own WebSocket client.</summary>
public class WireFrameTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(125)] // the longest 7-bit length
    [InlineData(126)] // the first 16-bit length
    [InlineData(65_535)]
    [InlineData(65_536)] // the first 64-bit length
    public async Task ATextFrameOfAnyLengthReadsBackAsOneFinalTextMessage(int length)
    {
        var payload = Encoding.UTF8.GetBytes(new string('x', length));

        var (type, end, read) = await ReadOneAsync(WireFrame.Text(payload));

        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.True(end);
        Assert.Equal(payload, read);
    }

    [Fact]
    public async Task TheKeepAliveIsAPingThatAClientAnswersWithAPongAndReadsPast()
    {
        var text = WireFrame.Text("""{"message":"after"}"""u8);
        var answered = new MemoryStream();

        var (type, _, read) = await ReadOneAsync([.. WireFrame.KeepAlive.Span, .. text], answered);

        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("""{"message":"after"}""", Encoding.UTF8.GetString(read));
        var pong = answered.ToArray();
        Assert.Equal(0x8A, pong[0]); // final pong
        Assert.Equal(0x80, pong[1]); // masked, as a client's frames are, with an empty payload
    }

    [Fact]
    public void PayloadOfStripsExactlyTheHeader()
    {
        var payload = Encoding.UTF8.GetBytes(new string('y', 300));
        Assert.Equal(payload, WireFrame.PayloadOf(WireFrame.Text(payload)).ToArray());
    }

    [Fact]
    public void TheHandshakeAcceptKeyIsTheOneRfc6455Gives()
    {
        // RFC 6455 §1.3's own example.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", LetsChat.RoomService.Sockets.ChatUpgrade.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    // A client-side WebSocket over the bytes: it rejects anything RFC 6455 does not allow from a server.
    private static async Task<(WebSocketMessageType, bool, byte[])> ReadOneAsync(byte[] wire, MemoryStream? written = null)
    {
        using var client = WebSocket.CreateFromStream(new Duplex(new MemoryStream(wire), written ?? new MemoryStream()), new WebSocketCreationOptions { IsServer = false });
        var buffer = new byte[wire.Length + 1];
        var result = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        return (result.MessageType, result.EndOfMessage, buffer[..result.Count]);
    }

    /// <summary>Reads from one stream, writes to another: what the client answers is kept apart from what it read.</summary>
    private sealed class Duplex(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override void Flush() => output.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
