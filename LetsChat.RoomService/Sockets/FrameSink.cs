using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// Where a <see cref="FrameWriter"/>'s bytes go. The writer calls <see cref="Write"/> under its lock
/// and only while no <see cref="FlushAsync"/> is in flight, then one flush sends what was written.
/// A write or flush that finds the transport gone throws or returns false; the writer then fails.
/// </summary>
internal abstract class FrameSink
{
    public abstract void Write(ReadOnlyMemory<byte> frame);

    /// <summary>Sends what was written; completes at once when the transport took it all (no allocation). False: the transport is gone.</summary>
    public abstract ValueTask<bool> FlushAsync();

    /// <summary>The connection's socket when the transport has one (Kestrel's sockets), else its output pipe.</summary>
    public static FrameSink For(Socket? socket, PipeWriter output) => socket is null ? new PipeSink(output) : new SocketSink(socket);
}

/// <summary>Kestrel's output pipe: a copy per frame, and its sender's hand-off per flush. Tests and other transports.</summary>
internal sealed class PipeSink(PipeWriter output) : FrameSink
{
    public override void Write(ReadOnlyMemory<byte> frame) => output.Write(frame.Span);

    public override async ValueTask<bool> FlushAsync()
    {
        var result = await output.FlushAsync();
        return !result.IsCanceled && !result.IsCompleted;
    }
}

/// <summary>
/// The connection's socket itself, below Kestrel's pipe: after the HTTP layer let go of the
/// connection, its outbound bytes are this sink's alone (Kestrel's sender stays idle, its pipe
/// empty). A flush of one frame sends the shared frame as it is; of several, one pooled buffer
/// that holds them, so a batch is one send. The socket's send completes at once, on the
/// calling thread, when the kernel takes it all (the common case); else it finishes on its own
/// and the writer keeps new frames until then. An idle socket holds no buffer.
/// </summary>
internal sealed class SocketSink(Socket socket) : FrameSink
{
    private ReadOnlyMemory<byte> _first;
    private byte[]? _batch; // from the shared pool while a batch of several is written
    private int _batched;

    public override void Write(ReadOnlyMemory<byte> frame)
    {
        if (_first.IsEmpty && _batch is null)
        {
            _first = frame;
            return;
        }
        if (_batch is null)
        {
            _batch = ArrayPool<byte>.Shared.Rent(Math.Max(4096, _first.Length + frame.Length));
            _first.CopyTo(_batch);
            _batched = _first.Length;
            _first = default;
        }
        else if (_batched + frame.Length > _batch.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_batch.Length * 2, _batched + frame.Length));
            _batch.AsSpan(0, _batched).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_batch);
            _batch = larger;
        }
        frame.CopyTo(_batch.AsMemory(_batched));
        _batched += frame.Length;
    }

    public override ValueTask<bool> FlushAsync()
    {
        var bytes = _batch is null ? _first : _batch.AsMemory(0, _batched);
        if (bytes.IsEmpty)
        {
            return ValueTask.FromResult(true);
        }
        var send = socket.SendAsync(bytes, SocketFlags.None);
        if (!send.IsCompletedSuccessfully)
        {
            return FinishAsync(send, bytes);
        }
        var sent = send.Result;
        if (sent < bytes.Length)
        {
            return FinishAsync(socket.SendAsync(bytes[sent..], SocketFlags.None), bytes[sent..]);
        }
        Sent();
        return ValueTask.FromResult(true);
    }

    // The kernel's buffer for this socket is full: the client reads slower than it is sent to.
    private async ValueTask<bool> FinishAsync(ValueTask<int> send, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            for (var sent = await send; sent < bytes.Length; sent = await socket.SendAsync(bytes, SocketFlags.None))
            {
                if (sent == 0)
                {
                    return false;
                }
                bytes = bytes[sent..];
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            Sent();
        }
    }

    private void Sent()
    {
        _first = default;
        if (_batch is { } batch)
        {
            _batch = null;
            _batched = 0;
            ArrayPool<byte>.Shared.Return(batch);
        }
    }
}
