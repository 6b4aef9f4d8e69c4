using System.Net;
using System.Net.Sockets;
using System.Text;
using LetsChat.RoomService.Sockets;

namespace LetsChat.Tests;

/// <summary>The outbound side of a socket written to the socket itself (below Kestrel's pipe), on a real loopback TCP pair.</summary>
public sealed class SocketSinkTests : IAsyncLifetime, IDisposable
{
    private Socket _server = null!; // the room service's end
    private Socket _client = null!; // the browser's end

    public async Task InitializeAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await _client.ConnectAsync(listener.LocalEndPoint!);
        _server = await accept;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _client?.Dispose();
        _server?.Dispose();
    }

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private async Task<string> ReceiveAsync(int bytes)
    {
        var buffer = new byte[bytes];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var read = 0; read < bytes;)
        {
            var n = await _client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "the connection closed early");
            read += n;
        }
        return Encoding.ASCII.GetString(buffer);
    }

    [Fact]
    public async Task TheHandshakeThenFramesKeptUntilThenThenABatchArriveInOrder()
    {
        var writer = new FrameWriter(1024, _ => { });
        writer.TryWrite(Bytes("[1]"), 0);
        writer.TryWrite(Bytes("[2]"), 0);

        writer.Attach(FrameSink.For(_server, null!), Bytes("101|"));
        Assert.Equal("101|[1][2]", await ReceiveAsync(10));

        writer.TryWrite(Bytes("[a]"), 0);
        Assert.Equal(0, _client.Available); // written, not sent: a batch is one send, at Flush
        writer.TryWrite(Bytes("[b]"), 0);
        writer.Flush();
        await writer.WriteOwnAsync(Bytes("{own}"));
        Assert.Equal("[a][b]{own}", await ReceiveAsync(11));
    }

    [Fact]
    public async Task AClientThatStopsReadingStallsOnlyItsOwnSendAndGetsEverythingInOrderWhenItReadsAgain()
    {
        _server.SendBufferSize = 4096;
        _client.ReceiveBufferSize = 4096;
        var frame = new byte[1024];
        var writer = new FrameWriter(maxWaitingBytes: 64 * 1024, _ => { });
        writer.Attach(FrameSink.For(_server, null!), Bytes("101|"));
        Assert.Equal("101|", await ReceiveAsync(4));

        // Batches of 64 KiB until the kernel's buffers are full and a send cannot finish now.
        var sent = 0;
        for (var batch = 0; !writer.IsStalled && batch < 256; batch++)
        {
            for (var i = 0; i < 64; i++, sent++)
            {
                Array.Fill(frame, (byte)('a' + sent % 26));
                Assert.True(writer.TryWrite(frame.ToArray(), 0));
            }
            writer.Flush();
        }
        Assert.True(writer.IsStalled, "the kernel took 16 MiB without the client reading");

        // Meanwhile frames wait, up to the bound, and then are refused.
        var waited = 0;
        while (writer.TryWrite(Bytes("[w]"), 0))
        {
            waited++;
        }
        Assert.InRange(writer.WaitingBytes, 64 * 1024 - 3, 64 * 1024);

        // The client reads again: every byte in order, then what waited.
        var all = await ReceiveAsync(sent * frame.Length + waited * 3);
        for (var i = 0; i < sent; i++)
        {
            Assert.Equal((char)('a' + i % 26), all[i * frame.Length]);
        }
        Assert.EndsWith("[w][w][w]", all);
        Assert.False(writer.IsStalled);
        Assert.Equal(0, writer.WaitingBytes);
    }

    [Fact]
    public async Task AfterThePeerIsGoneOwnWritesThrowAndDeliveriesAreDropped()
    {
        var writer = new FrameWriter(1024, _ => { });
        writer.Attach(FrameSink.For(_server, null!), Bytes("101|"));
        Assert.Equal("101|", await ReceiveAsync(4));
        _client.LingerState = new LingerOption(true, 0);
        _client.Close(); // a reset, as from a machine that dropped off the network

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await writer.WriteOwnAsync(Bytes("{own}"));
                await Task.Delay(20);
            }
        });
        Assert.True(writer.TryWrite(Bytes("[x]"), 0)); // dropped: the reader ends the socket
    }
}
