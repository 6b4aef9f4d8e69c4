using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Frames no WebSocket library would send, written byte by byte on a raw TCP socket through the
/// gateway: control frames out of order or malformed, bad opcodes and flags. Each bad socket is
/// closed by the server; a legal interleaving (a pong inside a fragmented message) is accepted;
/// honest members of the same room lose nothing.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class RawFrameTests(ServerRedisApp app)
{
    private const byte Continuation = 0x0, Text = 0x1, Close = 0x8, Ping = 0x9, Pong = 0xA;

    public static TheoryData<string> Violations => [.. s_violations.Keys];

    private static readonly Dictionary<string, byte[][]> s_violations = new()
    {
        ["continuation with no message started"] = [Frame(Continuation, true, "{\"message\":\"x\"}"u8)],
        ["new text frame inside a fragmented message"] = [Frame(Text, false, "{\"message\":"u8), Frame(Text, true, "\"x\"}"u8)],
        ["fragmented ping"] = [Frame(Ping, false, "abc"u8)],
        ["ping over 125 bytes"] = [Frame(Ping, true, new byte[126])],
        ["close with a one-byte body"] = [Frame(Close, true, [0x03])],
        ["close with code 999"] = [Frame(Close, true, [0x03, 0xE7])],
        ["reserved opcode 3"] = [Frame(0x3, true, "x"u8)],
        ["reserved control opcode 0xB"] = [Frame(0xB, true, "x"u8)],
        ["RSV1 set without an extension"] = [Frame(Text, true, "{\"message\":\"x\"}"u8, rsv: 0x40)],
        ["unmasked client frame"] = [Frame(Text, true, "{\"message\":\"x\"}"u8, masked: false)],
        ["data after close"] = [Frame(Close, true, [0x03, 0xE8]), Frame(Text, true, "{\"message\":\"late\"}"u8)],
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task AProtocolViolationClosesOnlyItsOwnSocket(string violation)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"raw-{Guid.NewGuid():N}";
        await using var honest = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        using var raw = await RawSocket.UpgradeAsync(app.Gateway, room, cts.Token);

        foreach (var frame in s_violations[violation]) await raw.WriteAsync(frame, cts.Token);

        // The server ends the socket: a close frame (1002 protocol error, or its echo of a close),
        // then end of stream; or straight away end of stream.
        Assert.True(await raw.EndsWithinAsync(TimeSpan.FromSeconds(10), cts.Token), $"{violation}: the socket stayed open");
        // The room is untouched: the honest member chats on, and nothing of the violator's arrived.
        await honest.SendAsync("still here", cts.Token);
        Assert.Equal("still here", await honest.ReceiveMessageAsync(cts.Token));
    }

    [Fact]
    public async Task APongInsideAFragmentedMessageIsLegalAndTheMessageArrivesWhole()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"raw-{Guid.NewGuid():N}";
        await using var honest = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        using var raw = await RawSocket.UpgradeAsync(app.Gateway, room, cts.Token);

        await raw.WriteAsync(Frame(Text, false, "{\"message\":\"in "u8), cts.Token);
        await raw.WriteAsync(Frame(Pong, true, "unsolicited"u8), cts.Token);
        await raw.WriteAsync(Frame(Ping, true, "hello?"u8), cts.Token);
        await raw.WriteAsync(Frame(Continuation, true, "pieces\"}"u8), cts.Token);

        Assert.Equal("in pieces", await honest.ReceiveMessageAsync(cts.Token));
    }

    /// <summary>One WebSocket frame, masked as a client's must be unless told otherwise.</summary>
    private static byte[] Frame(byte opcode, bool fin, ReadOnlySpan<byte> payload, bool masked = true, byte rsv = 0)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | opcode) };
        var maskBit = (byte)(masked ? 0x80 : 0);
        if (payload.Length < 126)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        var body = payload.ToArray();
        if (masked)
        {
            var key = RandomNumberGenerator.GetBytes(4);
            header.AddRange(key);
            for (var i = 0; i < body.Length; i++) body[i] ^= key[i % 4];
        }
        return [.. header, .. body];
    }

    /// <summary>A TCP socket that did the HTTP/1.1 upgrade by hand.</summary>
    private sealed class RawSocket(TcpClient tcp, NetworkStream stream) : IDisposable
    {
        public static async Task<RawSocket> UpgradeAsync(Uri gateway, string room, CancellationToken ct)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(gateway.Host, gateway.Port, ct);
            var stream = tcp.GetStream();
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET /ws/chat/{room}/ HTTP/1.1\r\nHost: {gateway.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                          $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
            var response = new StringBuilder();
            var one = new byte[1];
            while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one, ct) == 0) throw new IOException($"closed during the upgrade: {response}");
                response.Append((char)one[0]);
            }
            Assert.StartsWith("HTTP/1.1 101", response.ToString());
            return new RawSocket(tcp, stream);
        }

        public async Task WriteAsync(byte[] frame, CancellationToken ct)
        {
            try
            {
                await stream.WriteAsync(frame, ct);
            }
            catch (IOException)
            {
                // Already closed by the server after an earlier frame: that is the expected outcome.
            }
        }

        /// <summary>True when the server ends the stream (after any frames it sends) within <paramref name="limit"/>.</summary>
        public async Task<bool> EndsWithinAsync(TimeSpan limit, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limit);
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }
                return true;
            }
            catch (IOException)
            {
                return true; // reset by the server
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        }

        public void Dispose()
        {
            stream.Dispose();
            tcp.Dispose();
        }
    }
}
