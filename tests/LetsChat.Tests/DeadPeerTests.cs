using System.Buffers;
using System.IO.Pipelines;
using LetsChat.RoomService;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Sockets;

namespace LetsChat.Tests;

/// <summary>
/// What the replica's once-a-second sweep does to one connection: pings it, and aborts it when
/// its transport has taken nothing for DrainTimeoutSeconds or its peer answered no ping.
/// A real pipe stands in for the connection's output; the input is a stream the test feeds.
/// </summary>
public class DeadPeerTests
{
    private static readonly RoomServiceOptions s_options = new() { KeepAliveSeconds = 2, DrainTimeoutSeconds = 5, SendBufferBytes = 1 << 20 };

    private sealed class Peer
    {
        public Pipe Output { get; } = new(new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32));
        public Pipe Input { get; } = new();
        public ChatConnection Connection { get; } = new(s_options, TestRooms.Telemetry);
        public bool Aborted { get; private set; }

        public Peer()
        {
            Connection.Attach(Input.Reader.AsStream(), new PipeSink(Output.Writer), "101|"u8.ToArray(), () => Aborted = true, subProtocol: null);
        }

        public async Task<byte[]> ReadOutputAsync()
        {
            var result = await Output.Reader.ReadAsync();
            var bytes = result.Buffer.ToArray();
            Output.Reader.AdvanceTo(result.Buffer.End);
            return bytes;
        }
    }

    [Fact]
    public async Task APeerIsPingedWhenItsKeepAliveIsDueAndNotBefore()
    {
        var peer = new Peer();
        Assert.Equal("101|"u8.ToArray(), await peer.ReadOutputAsync());
        var start = Environment.TickCount64;

        peer.Connection.Sweep(start + 1_000);
        Assert.False(peer.Output.Reader.TryRead(out _)); // not due yet

        peer.Connection.Sweep(start + 2_100);
        Assert.Equal(new byte[] { 0x89, 0x00 }, await peer.ReadOutputAsync()); // a ping, no payload
        Assert.False(peer.Aborted);
    }

    [Fact]
    public async Task APeerThatSendsNothingBackByTheNextPingIsAborted()
    {
        var peer = new Peer();
        var socket = Task.Run(() => peer.Connection.RunAsync(_ => Task.CompletedTask));
        await peer.ReadOutputAsync();
        var start = Environment.TickCount64;

        peer.Connection.Sweep(start + 2_100); // ping
        await peer.ReadOutputAsync();
        peer.Connection.Sweep(start + 4_200); // the next is due, and nothing came back

        Assert.True(peer.Aborted);
        Assert.Contains("pong", peer.Connection.CloseReason);
        await peer.Input.Writer.CompleteAsync(); // what an abort does to the input
        await socket;
    }

    [Fact]
    public async Task APeerThatAnsweredThePingIsPingedAgain()
    {
        var peer = new Peer();
        var socket = Task.Run(() => peer.Connection.RunAsync(_ => Task.CompletedTask));
        await peer.ReadOutputAsync();
        var start = Environment.TickCount64;
        peer.Connection.Sweep(start + 2_100);
        await peer.ReadOutputAsync();

        // A masked pong with no payload, as a browser answers.
        await peer.Input.Writer.WriteAsync(new byte[] { 0x8A, 0x80, 1, 2, 3, 4 });
        await UntilAsync(() => peer.Connection.ReadsHeard > 0);
        peer.Connection.Sweep(start + 4_200);

        Assert.False(peer.Aborted);
        Assert.Equal(new byte[] { 0x89, 0x00 }, await peer.ReadOutputAsync());
        await peer.Input.Writer.CompleteAsync();
        await socket;
    }

    [Fact]
    public async Task ATransportThatTakesNothingForTheDrainTimeoutIsAborted()
    {
        var peer = new Peer();
        await peer.ReadOutputAsync();
        peer.Connection.Deliver(new byte[1_000]); // past the pipe's pause threshold: the flush waits
        peer.Connection.Flush();
        var stalledAt = Environment.TickCount64;

        peer.Connection.Sweep(stalledAt + 4_000);
        Assert.False(peer.Aborted);

        peer.Connection.Sweep(stalledAt + 5_100);
        Assert.True(peer.Aborted);
        Assert.Contains("Not reading", peer.Connection.CloseReason);
    }

    [Fact]
    public async Task ATransportThatIsSlowButTakesBytesIsNotStalled()
    {
        var peer = new Peer();
        await peer.ReadOutputAsync();
        peer.Connection.Deliver(new byte[1_000]);
        peer.Connection.Flush();

        await peer.ReadOutputAsync(); // the reader takes it: the flush completes
        await UntilAsync(() => !peer.Connection.IsStalled);
        peer.Connection.Sweep(Environment.TickCount64 + 5_100);

        Assert.False(peer.Aborted);
    }

    [Fact]
    public void AHistoryPageOverTheFrameBudgetKeepsItsNewestMessagesAndSaysMore()
    {
        var page = new HistoryPage("e1", 10, 1, More: false, [.. Enumerable.Range(1, 10).Select(seq => Event(seq, 300))]);

        var cut = page.NewestWithin(1_000);

        Assert.Equal([8L, 9L, 10L], cut.Messages.Select(m => m.Seq));
        Assert.True(cut.More);
        Assert.Equal(10, cut.LastSeq);
        Assert.Same(page, page.NewestWithin(3_000)); // fits: unchanged, More as it was
        Assert.Equal([10L], page.NewestWithin(10).Messages.Select(m => m.Seq)); // always at least one
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }

    private static RoomEvent Event(long seq, int bytes) => new(RoomEventKind.Reset, "a", "e1", seq, null, new byte[bytes], null);
}
