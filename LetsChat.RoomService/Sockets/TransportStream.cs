namespace LetsChat.RoomService.Sockets;

/// <summary>
/// What the framework's WebSocket reads from and writes to. Reads come from the connection as
/// they are (the framework unmasks, checks UTF-8, reassembles fragments and answers
/// pings). Its writes, the pongs and the close frame, go through this socket's
/// <see cref="FrameWriter"/>, the one owner of the outbound bytes, so they never interleave
/// with the frames the room writes there.
/// </summary>
internal sealed class TransportStream(Stream input, FrameWriter writer, TransportStream.ReadCount heard) : Stream
{
    /// <summary>Reads that brought bytes (a pong counts): the keep-alive's proof of life, a count rather than a clock.</summary>
    public sealed class ReadCount
    {
        public long Value;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The idle socket's zero-byte read passes straight through, so waiting costs no state machine.
        if (buffer.IsEmpty)
        {
            return input.ReadAsync(buffer, cancellationToken);
        }
        var read = input.ReadAsync(buffer, cancellationToken);
        if (!read.IsCompletedSuccessfully)
        {
            return NoteAsync(read);
        }
        if (read.Result > 0)
        {
            heard.Value++;
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask<int> NoteAsync(ValueTask<int> pending)
    {
        var read = await pending;
        if (read > 0)
        {
            heard.Value++;
        }
        return read;
    }

    // The framework WebSocket writes one whole frame per call and keeps its buffer until the call completes.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        writer.WriteOwnAsync(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        writer.WriteOwnAsync(buffer.AsMemory(offset, count)).AsTask();

    // Every write is flushed by the writer.
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Reads are asynchronous.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Writes are asynchronous.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            writer.Fail();
            input.Dispose();
        }
        base.Dispose(disposing);
    }
}
