using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// One client socket. Inbound: the framework's WebSocket reads (unmasking, UTF-8, fragments,
/// control frames); frames are reassembled up to a size limit and each text frame is handed to
/// the caller. Outbound: a <see cref="FrameWriter"/>, written straight into by the room's delivery
/// loop; a client that does not read is closed (1013) instead of slowing its room.
/// </summary>
public sealed class ChatConnection : IOutbox
{
    private readonly RoomServiceOptions _options;
    private readonly RoomTelemetry _telemetry;
    private readonly FrameWriter _writer;
    private WebSocket? _socket; // set by RunAsync; frames written before then wait in the writer
    private TransportStream.ReadCount? _heard; // set by Attach
    private long _lastPingMs;
    private long _readsAtPing = -1; // none outstanding
    private Action? _abort;
    private Task _closed = Task.CompletedTask;
    private CancellationTokenSource? _deadline;
    private int _closeRequested;
    private int _closeStarted;

    public ChatConnection(RoomServiceOptions options, RoomTelemetry telemetry)
    {
        _options = options;
        _telemetry = telemetry;
        _writer = new FrameWriter(options.SendBufferBytes,
            publishedAtMs => telemetry.MessageDelivered((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - publishedAtMs) / 1000.0));
    }

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseReason { get; private set; }

    /// <summary>Bytes written for this client and not yet taken by its connection.</summary>
    public long PendingBytes => _writer.WaitingBytes;

    /// <summary>Unit tests: takes the payload of the oldest frame not yet sent (without a socket, every frame waits).</summary>
    internal bool TryTakeQueued(out ReadOnlyMemory<byte> payload)
    {
        var taken = _writer.TryTakeWaiting(out var frame);
        payload = taken ? frame[(frame.Length - WireFrame.PayloadOf(frame.Span).Length)..] : default;
        return taken;
    }

    /// <summary>
    /// Writes a frame shared by the room (see <see cref="WireFrame"/>) without flushing; the room
    /// calls <see cref="Flush"/> after its batch. Never blocks: a client too far behind is closed.
    /// <paramref name="publishedAtMs"/> (live messages only) feeds the delivery latency histogram.
    /// </summary>
    public void Deliver(ReadOnlyMemory<byte> wireFrame, long publishedAtMs = 0)
    {
        if (!_writer.TryWrite(wireFrame, publishedAtMs) && Volatile.Read(ref _closeRequested) == 0)
        {
            _telemetry.SlowConsumerClosed();
            RequestClose(CloseCodes.TryAgainLater, "Too slow: the send buffer is full.");
        }
    }

    /// <summary>Sends what <see cref="Deliver"/> wrote since the last flush.</summary>
    public void Flush() => _writer.Flush();

    /// <summary>
    /// The replica's look at this socket, about once a second (KeepAliveSweep). A transport that has
    /// taken nothing for DrainTimeoutSeconds, or a peer that sent nothing since the last ping (its
    /// pong included) when the next is due, is aborted and counted: no close frame could get
    /// through either. Otherwise a ping every KeepAliveSeconds.
    /// </summary>
    public void Sweep(long nowMs)
    {
        if (_heard is not { } heard || Volatile.Read(ref _closeRequested) != 0)
        {
            return; // not attached yet, or closing: the close has its own deadline
        }
        if (_writer.StalledMilliseconds(nowMs) >= _options.DrainTimeoutSeconds * 1000L)
        {
            Abort("stalled", $"Not reading: the connection took nothing for {_options.DrainTimeoutSeconds} s.");
            return;
        }
        if (nowMs - _lastPingMs < _options.KeepAliveSeconds * 1000L)
        {
            return;
        }
        if (heard.Value == _readsAtPing)
        {
            Abort("no_pong", $"No pong to a ping for {_options.KeepAliveSeconds} s.");
            return;
        }
        _lastPingMs = nowMs;
        _readsAtPing = heard.Value;
        Deliver(WireFrame.KeepAlive);
        Flush();
    }

    /// <summary>Unit tests: reads from the peer that brought bytes.</summary>
    internal long ReadsHeard => _heard?.Value ?? 0;

    /// <summary>Unit tests: a flush is waiting for the transport.</summary>
    internal bool IsStalled => _writer.IsStalled;

    // The peer is not reading or not there: no close handshake, the connection goes at once.
    private void Abort(string reason, string description)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }
        CloseReason = description;
        _telemetry.ConnectionAborted(reason);
        _abort?.Invoke();
    }

    /// <summary>
    /// Sends a frame this connection itself produced (welcome, catch-up, ack, error) and waits
    /// until it is flushed. False when the connection is closing.
    /// </summary>
    public ValueTask<bool> SendAsync(ReadOnlyMemory<byte> payload) => SendAsync([payload]);

    /// <summary>
    /// Several frames of its own (a resume's missed messages): one flush per <see cref="OwnWriteBytes"/>
    /// or so rather than one per frame, and never more than that in flight for this socket, however
    /// much it missed.
    /// </summary>
    public async ValueTask<bool> SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        var slice = new List<ReadOnlyMemory<byte>>();
        var bytes = 0;
        try
        {
            for (var i = 0; i < payloads.Count; i++)
            {
                if (Volatile.Read(ref _closeRequested) != 0)
                {
                    return false;
                }
                slice.Add(WireFrame.Text(payloads[i].Span));
                bytes += payloads[i].Length;
                if (bytes >= OwnWriteBytes || i == payloads.Count - 1)
                {
                    await _writer.WriteOwnAsync(slice);
                    slice.Clear();
                    bytes = 0;
                }
            }
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>About what one write of the socket's own frames carries (Kestrel's default output buffer).</summary>
    private const int OwnWriteBytes = 64 * 1024;

    /// <summary>Decides how this connection ends. The first decision wins.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }
        CloseStatus = status;
        CloseReason = reason;
        if (Volatile.Read(ref _socket) is not null)
        {
            StartClose();
        }
    }

    /// <summary>
    /// Takes over the connection: <paramref name="handshake"/> (the 101) is written first, then
    /// the frames delivered before this, and from now on every frame goes to <paramref name="output"/>.
    /// <paramref name="abort"/> tears the connection down.
    /// </summary>
    internal void Attach(Stream input, FrameSink output, ReadOnlyMemory<byte> handshake, Action abort, string? subProtocol)
    {
        // No keep-alive timer per socket: the replica sends them for all (KeepAliveSweep).
        var heard = new TransportStream.ReadCount();
        var socket = WebSocket.CreateFromStream(new TransportStream(input, _writer, heard),
            new WebSocketCreationOptions { IsServer = true, SubProtocol = subProtocol, KeepAliveInterval = TimeSpan.Zero });
        _abort = abort;
        _lastPingMs = Environment.TickCount64; // the first ping is due KeepAliveSeconds from now
        Volatile.Write(ref _heard, heard);
        _writer.Attach(output, handshake);
        Volatile.Write(ref _socket, socket);
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            StartClose();
        }
    }

    /// <summary>Reads the attached socket until it is closed. <paramref name="onText"/> gets each complete text frame.</summary>
    public async Task RunAsync(Func<ReadOnlyMemory<byte>, Task> onText)
    {
        using var socket = _socket ?? throw new InvalidOperationException("Attach the connection first.");
        try
        {
            await ReadLoopAsync(socket, onText);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer vanished, sent something the WebSocket layer refused (bad UTF-8: it closes
            // with 1007 itself), or the close timed out. Nothing more to read either way.
            RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Connection lost.");
        }
        RequestClose(WebSocketCloseStatus.NormalClosure, ""); // the peer closed first: answer it
        await _closed;
        _deadline?.Dispose();
        _writer.Fail();
    }

    /// <summary>Refuses the client's input: counted by reason, then closed with <paramref name="status"/>.</summary>
    public void Reject(WebSocketCloseStatus status, string reason, string description)
    {
        _telemetry.FrameRejected(reason);
        RequestClose(status, description);
    }

    private async Task ReadLoopAsync(WebSocket socket, Func<ReadOnlyMemory<byte>, Task> onText)
    {
        while (Volatile.Read(ref _closeRequested) == 0)
        {
            // Wait for a frame with an empty buffer: an idle socket holds no receive buffer.
            var head = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            if (head.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            if (head.MessageType == WebSocketMessageType.Binary)
            {
                Reject(WebSocketCloseStatus.InvalidMessageType, "binary", "Binary frames are not accepted; send JSON text.");
                break;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxFrameBytes);
            try
            {
                var length = 0;
                var result = head;
                while (!result.EndOfMessage)
                {
                    if (length == _options.MaxFrameBytes)
                    {
                        Reject(WebSocketCloseStatus.MessageTooBig, "too_big", $"Frames are limited to {_options.MaxFrameBytes} bytes.");
                        break;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length, _options.MaxFrameBytes - length), CancellationToken.None);
                    length += result.Count;
                }
                if (Volatile.Read(ref _closeRequested) == 0)
                {
                    await onText(buffer.AsMemory(0, length));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        await DrainUntilCloseAsync(socket);
    }

    // After we decide to close, keep reading (and discarding) until the client's close frame
    // arrives, so the handshake completes and the client sees our close code.
    private static async Task DrainUntilCloseAsync(WebSocket socket)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(scratch.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    // Sends the close frame once, off the caller's thread (it may be the room's delivery loop).
    // If the handshake, or a flush stuck behind a client that stopped reading, outlives
    // CloseTimeoutSeconds, the connection is aborted. Only closing sockets have a timer.
    private void StartClose()
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            return;
        }
        var socket = _socket!;
        var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_options.CloseTimeoutSeconds));
        deadline.Token.UnsafeRegister(static state => ((ChatConnection)state!)._abort?.Invoke(), this);
        _deadline = deadline;
        _closed = Task.Run(async () =>
        {
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(CloseStatus ?? WebSocketCloseStatus.NormalClosure, CloseReason ?? "", CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                _abort?.Invoke();
            }
        });
    }
}
