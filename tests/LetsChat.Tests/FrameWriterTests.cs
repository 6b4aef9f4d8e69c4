using System.IO.Pipelines;
using System.Text;
using LetsChat.RoomService.Sockets;

namespace LetsChat.Tests;

/// <summary>The outbound side of a socket, against a real pipe standing in for the connection.</summary>
public class FrameWriterTests
{
    private readonly List<long> _delivered = [];

    private FrameWriter NewWriter(long maxWaitingBytes = 1024) => new(maxWaitingBytes, _delivered.Add);

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static async Task<string> ReadAvailableAsync(Pipe pipe)
    {
        var result = await pipe.Reader.ReadAsync();
        var text = Encoding.ASCII.GetString(result.Buffer);
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }

    [Fact]
    public async Task FramesDeliveredBeforeTheSocketIsAcceptedFollowTheHandshakeInOrder()
    {
        var pipe = new Pipe();
        var writer = NewWriter();
        Assert.True(writer.TryWrite(Bytes("[1]"), publishedAtMs: 5));
        Assert.True(writer.TryWrite(Bytes("[2]"), publishedAtMs: 0));

        writer.Attach(new PipeSink(pipe.Writer), Bytes("101|"));

        Assert.Equal("101|[1][2]", await ReadAvailableAsync(pipe));
        Assert.Equal([5L], _delivered); // only live messages feed the latency histogram
    }

    [Fact]
    public async Task ABatchIsWrittenWithoutFlushingUntilFlushIsCalled()
    {
        var pipe = new Pipe();
        var writer = NewWriter();
        writer.Attach(new PipeSink(pipe.Writer), Bytes("101|"));
        Assert.Equal("101|", await ReadAvailableAsync(pipe));

        writer.TryWrite(Bytes("[a]"), 0);
        writer.TryWrite(Bytes("[b]"), 0);
        Assert.False(pipe.Reader.TryRead(out _)); // written, not yet flushed: nothing for the reader

        writer.Flush();
        Assert.Equal("[a][b]", await ReadAvailableAsync(pipe));
    }

    [Fact]
    public async Task ASocketThatStopsReadingFillsOnlyItsBoundAndThenRefuses()
    {
        // The pipe pauses its writer past 8 bytes: a flush that cannot finish, as when a client stops reading.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8, resumeWriterThreshold: 4));
        var writer = NewWriter(maxWaitingBytes: 6);
        writer.Attach(new PipeSink(pipe.Writer), Bytes("101|"));
        await ReadAvailableAsync(pipe);
        writer.TryWrite(Bytes("0123456789"), 0);
        writer.Flush(); // over the threshold: this flush waits for the reader

        Assert.True(writer.TryWrite(Bytes("[c]"), 0));
        Assert.True(writer.TryWrite(Bytes("[d]"), 0));
        Assert.Equal(6, writer.WaitingBytes);
        Assert.False(writer.TryWrite(Bytes("[e]"), 0)); // past the bound: the caller closes the socket

        // The reader catches up: what waited goes out, in order, and nothing refused does.
        Assert.Equal("0123456789", await ReadAvailableAsync(pipe));
        Assert.Equal("[c][d]", await ReadAvailableAsync(pipe));
        Assert.Equal(0, writer.WaitingBytes);
    }

    [Fact]
    public async Task AnOwnFrameWaitsBehindAPendingFlushAndKeepsItsPlaceInTheOrder()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8, resumeWriterThreshold: 4));
        var writer = NewWriter();
        writer.Attach(new PipeSink(pipe.Writer), Bytes("101|"));
        await ReadAvailableAsync(pipe);
        writer.TryWrite(Bytes("0123456789"), 0);
        writer.Flush();
        writer.TryWrite(Bytes("[live]"), 0);

        var own = writer.WriteOwnAsync(Bytes("[ack]")).AsTask();
        Assert.False(own.IsCompleted); // the socket is behind: its own session waits, not the room

        var seen = new StringBuilder();
        while (seen.Length < "0123456789[live][ack]".Length)
        {
            seen.Append(await ReadAvailableAsync(pipe).WaitAsync(TimeSpan.FromSeconds(5)));
        }
        await own.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("0123456789[live][ack]", seen.ToString());
    }

    [Fact]
    public async Task SeveralOwnFramesGoOutInOneFlush()
    {
        var pipe = new Pipe();
        var counting = new FlushCountingWriter(pipe.Writer);
        var writer = NewWriter();
        writer.Attach(new PipeSink(counting), Bytes("101|"));
        await ReadAvailableAsync(pipe);
        var before = counting.Flushes;

        await writer.WriteOwnAsync([Bytes("[m1]"), Bytes("[m2]"), Bytes("[m3]")]);

        Assert.Equal(1, counting.Flushes - before);
        Assert.Equal("[m1][m2][m3]", await ReadAvailableAsync(pipe));
    }

    private sealed class FlushCountingWriter(PipeWriter inner) : PipeWriter
    {
        public int Flushes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Flushes++;
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    [Fact]
    public async Task AfterTheTransportFailsDeliveriesAreDroppedAndOwnWritesThrow()
    {
        var pipe = new Pipe();
        var writer = NewWriter();
        writer.Attach(new PipeSink(pipe.Writer), Bytes("101|"));
        await ReadAvailableAsync(pipe);

        writer.Fail();

        Assert.True(writer.TryWrite(Bytes("[x]"), 0)); // not a slow consumer: just gone
        Assert.Equal(0, writer.WaitingBytes);
        await Assert.ThrowsAsync<IOException>(() => writer.WriteOwnAsync(Bytes("[y]")).AsTask());
    }
}
