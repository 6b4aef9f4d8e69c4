using System.Buffers;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// The outbound side of one socket, with no queue object and no writer task. Complete WebSocket
/// frames, encoded once per replica and shared by every recipient, are written straight to the
/// connection's <see cref="FrameSink"/> (its socket, below Kestrel's pipe) under a lock; the room's
/// delivery loop calls <see cref="Flush"/> once per drained batch, so a burst costs one send per socket.
/// <para>
/// A flush that does not complete at once means the client reads slower than the room talks.
/// Until it does, new frames wait here (references to the shared bytes, no copies), counted in
/// bytes; past <c>maxWaitingBytes</c> <see cref="TryWrite"/> says no and the caller closes the
/// socket. Everything this socket sends, the framework WebSocket's own pongs and close frame
/// included, goes through the same lock, so frames never interleave.
/// </para>
/// </summary>
internal sealed class FrameWriter(long maxWaitingBytes, Action<long> delivered)
{
    private readonly Lock _lock = new();
    private FrameSink? _sink;
    private List<Waiting>? _waiting;
    private long _waitingBytes;
    // Someone owns the output: a flush is in flight, or the socket is not accepted yet. New frames wait.
    private bool _busy = true;
    private bool _unflushed;
    private bool _failed;
    private List<TaskCompletionSource>? _idleWaiters;
    // Environment.TickCount64 when the flush in flight stopped completing at once (the transport's
    // buffers are full), 0 while the transport keeps taking what is written.
    private long _stalledSince;

    /// <summary>Bytes waiting behind an unfinished flush (or for the socket to be accepted).</summary>
    public long WaitingBytes
    {
        get { lock (_lock) return _waitingBytes; }
    }

    /// <summary>How long the transport has taken nothing (a flush in flight all that time), or 0.</summary>
    public long StalledMilliseconds(long nowMs) => Volatile.Read(ref _stalledSince) is var since and not 0 ? nowMs - since : 0;

    /// <summary>A flush is waiting for the transport.</summary>
    public bool IsStalled => Volatile.Read(ref _stalledSince) != 0;

    /// <summary>
    /// Writes a shared frame without flushing, or keeps it while the socket is behind. False when
    /// that would pass the bound: the caller closes the socket. <paramref name="publishedAtMs"/>
    /// (live messages) goes to <c>delivered</c> once the bytes are in the connection.
    /// </summary>
    public bool TryWrite(ReadOnlyMemory<byte> frame, long publishedAtMs)
    {
        lock (_lock)
        {
            if (_failed)
            {
                return true; // the socket is gone; its reader notices and ends it
            }
            if (_busy)
            {
                if (_waitingBytes + frame.Length > maxWaitingBytes)
                {
                    return false;
                }
                (_waiting ??= []).Add(new Waiting(frame, publishedAtMs));
                _waitingBytes += frame.Length;
                return true;
            }
            _unflushed = TryCopy(frame);
        }
        if (_failed)
        {
            Fail();
            return true;
        }
        if (publishedAtMs > 0)
        {
            delivered(publishedAtMs);
        }
        return true;
    }

    /// <summary>Flushes what <see cref="TryWrite"/> wrote. Never blocks: a flush that cannot finish now finishes later, on its own.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_busy || !_unflushed || _failed)
            {
                return;
            }
            _busy = true;
            _unflushed = false;
        }
        // Completes synchronously (no allocation) whenever the client keeps up.
        _ = FlushAndDrainAsync().Preserve();
    }

    /// <summary>
    /// The socket is accepted: <paramref name="first"/> (the handshake's 101) goes out, then the
    /// frames kept until now, and from here on writes go straight in.
    /// </summary>
    public void Attach(FrameSink sink, ReadOnlyMemory<byte> first)
    {
        lock (_lock)
        {
            _sink = sink; // _busy is still true: this call owns the output
            TryCopy(first);
        }
        _ = FlushAndDrainAsync().Preserve();
    }

    /// <summary>
    /// Writes this connection's own frames (welcome, history, acks, pongs, close) and waits until
    /// they are flushed: a socket that is behind makes its own session wait, never the room.
    /// </summary>
    public ValueTask WriteOwnAsync(ReadOnlyMemory<byte> frame) => WriteOwnAsync([frame]);

    /// <summary>Several of the connection's own frames (a resume's catch-up) in one write and one flush.</summary>
    public async ValueTask WriteOwnAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        while (true)
        {
            TaskCompletionSource idle;
            lock (_lock)
            {
                if (_failed)
                {
                    throw new IOException("The connection is closed.");
                }
                if (!_busy && TryCopyAll(frames))
                {
                    _busy = true;
                    _unflushed = false;
                    break;
                }
                if (!_busy)
                {
                    continue; // the copy failed: the next turn throws
                }
                idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                (_idleWaiters ??= []).Add(idle);
            }
            await idle.Task;
        }
        await FlushAndDrainAsync();
    }

    /// <summary>The transport is gone: drop what waits, release whoever waits.</summary>
    public void Fail()
    {
        List<TaskCompletionSource>? idle;
        lock (_lock)
        {
            _failed = true;
            _waiting = null;
            _waitingBytes = 0;
            idle = _idleWaiters;
            _idleWaiters = null;
        }
        idle?.ForEach(t => t.TrySetResult());
    }

    /// <summary>Unit tests: takes the oldest frame still waiting (a connection without a socket keeps all).</summary>
    internal bool TryTakeWaiting(out ReadOnlyMemory<byte> frame)
    {
        lock (_lock)
        {
            if (_waiting is not { Count: > 0 } waiting)
            {
                frame = default;
                return false;
            }
            frame = waiting[0].Frame;
            waiting.RemoveAt(0);
            _waitingBytes -= frame.Length;
            return true;
        }
    }

    // Runs while the caller owns the output (_busy): flush, then write what waited meanwhile and
    // flush again, until nothing waits.
    private async ValueTask FlushAndDrainAsync()
    {
        while (await FlushOnceAsync())
        {
            var (drained, idle) = CopyWaiting();
            if (_failed)
            {
                Fail();
                return;
            }
            if (drained is null)
            {
                idle?.ForEach(t => t.TrySetResult());
                return;
            }
            foreach (var w in drained)
            {
                if (w.PublishedAtMs > 0)
                {
                    delivered(w.PublishedAtMs);
                }
            }
        }
    }

    // One flush, timed while it stalls (KeepAliveSweep reads _stalledSince); false once the transport is gone.
    private async ValueTask<bool> FlushOnceAsync()
    {
        try
        {
            var flush = _sink!.FlushAsync();
            if (!flush.IsCompleted)
            {
                Volatile.Write(ref _stalledSince, Environment.TickCount64);
            }
            var sent = await flush;
            if (_stalledSince != 0)
            {
                Volatile.Write(ref _stalledSince, 0);
            }
            if (sent)
            {
                return true;
            }
        }
        catch (Exception ex) when (IsTransportGone(ex))
        {
            // the connection was aborted or closed under us
        }
        Fail();
        return false;
    }

    // Takes what waited and copies it into the output; with nothing waiting, the output is free
    // again (_busy false) and whoever waited for it is handed back to be released.
    private (List<Waiting>? Drained, List<TaskCompletionSource>? Idle) CopyWaiting()
    {
        lock (_lock)
        {
            if (_failed)
            {
                return (null, null);
            }
            var drained = _waiting;
            _waiting = null;
            _waitingBytes = 0;
            if (drained is null)
            {
                _busy = false;
                var idle = _idleWaiters;
                _idleWaiters = null;
                return (null, idle);
            }
            foreach (var w in drained)
            {
                if (!TryCopy(w.Frame))
                {
                    break;
                }
            }
            return (drained, null);
        }
    }

    // Under the lock. A connection aborted under us refuses writes: that is the end of it (the
    // caller calls Fail outside the lock, which releases whoever waits).
    private bool TryCopy(ReadOnlyMemory<byte> frame)
    {
        try
        {
            _sink!.Write(frame);
            return true;
        }
        catch (Exception ex) when (IsTransportGone(ex))
        {
            _failed = true;
            return false;
        }
    }

    private bool TryCopyAll(IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        foreach (var frame in frames)
        {
            if (!TryCopy(frame))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsTransportGone(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException;

    private readonly record struct Waiting(ReadOnlyMemory<byte> Frame, long PublishedAtMs);
}
