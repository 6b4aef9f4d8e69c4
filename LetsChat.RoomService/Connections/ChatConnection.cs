using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Telemetry;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// One client socket. Inbound: reassembles frames up to a size limit and hands each text frame
/// to the caller. Outbound: a bounded queue drained by a single writer, so a client that does not
/// read fills only its own queue and is closed (1013) instead of slowing its room.
/// </summary>
public sealed class ChatConnection : IDisposable
{
    private WebSocket _socket = null!; // set by RunAsync; frames queued before then wait for it
    private readonly RoomServiceOptions _options;
    private readonly RoomTelemetry _telemetry;
    private readonly Channel<OutboundFrame> _outbound;
    // Stops the writer taking further frames once a close is decided.
    private readonly CancellationTokenSource _closing = new();
    // Aborts socket I/O when the close handshake (or a stuck send) outlives CloseTimeoutSeconds.
    private readonly CancellationTokenSource _abort = new();
    private int _closeRequested;

    public ChatConnection(RoomServiceOptions options, RoomTelemetry telemetry)
    {
        _options = options;
        _telemetry = telemetry;
        _outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of waiting or dropping silently
        });
    }

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseReason { get; private set; }

    /// <summary>Frames queued and not yet written.</summary>
    public int PendingFrames => _outbound.Reader.Count;

    /// <summary>Takes the next queued frame without a socket (unit tests look at what would be sent).</summary>
    internal bool TryTakeQueued(out ReadOnlyMemory<byte> frame)
    {
        var taken = _outbound.Reader.TryRead(out var queued);
        frame = queued.Bytes;
        return taken;
    }

    /// <summary>
    /// Queues <paramref name="frame"/> for this client. Never blocks: a full queue closes the client.
    /// <paramref name="publishedAtMs"/> (live messages only) feeds the delivery latency histogram.
    /// </summary>
    public void Enqueue(ReadOnlyMemory<byte> frame, long publishedAtMs = 0)
    {
        if (_outbound.Writer.TryWrite(new OutboundFrame(frame, publishedAtMs)))
        {
            return;
        }
        if (Volatile.Read(ref _closeRequested) == 0)
        {
            _telemetry.SlowConsumerClosed();
            RequestClose(CloseCodes.TryAgainLater, "Too slow: the send queue is full.");
        }
    }

    /// <summary>
    /// Queues a frame this connection itself produced (welcome, catch-up, ack, error), waiting for
    /// room in the queue: these may outnumber its capacity. False when the connection is closing.
    /// </summary>
    public async ValueTask<bool> EnqueueAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            await _outbound.Writer.WriteAsync(new OutboundFrame(frame, 0), _closing.Token);
            return true;
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Decides how this connection ends. The first decision wins.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }
        CloseStatus = status;
        CloseReason = reason;
        _outbound.Writer.TryComplete();
        _closing.Cancel();
        _abort.CancelAfter(TimeSpan.FromSeconds(_options.CloseTimeoutSeconds));
    }

    /// <summary>Runs <paramref name="socket"/> until it is closed. <paramref name="onText"/> gets each complete text frame.</summary>
    public async Task RunAsync(WebSocket socket, Func<ReadOnlyMemory<byte>, Task> onText)
    {
        _socket = socket;
        var writer = WriteLoopAsync();
        try
        {
            await ReadLoopAsync(onText);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer vanished, sent something the WebSocket layer refused (bad UTF-8: it closes
            // with 1007 itself), or the close timed out. Nothing more to read either way.
            RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Connection lost.");
        }
        await writer;
    }

    private async Task ReadLoopAsync(Func<ReadOnlyMemory<byte>, Task> onText)
    {
        while (Volatile.Read(ref _closeRequested) == 0)
        {
            // Wait for a frame with an empty buffer: an idle socket holds no receive buffer.
            var head = await _socket.ReceiveAsync(Memory<byte>.Empty, _abort.Token);
            if (head.MessageType == WebSocketMessageType.Close)
            {
                RequestClose(WebSocketCloseStatus.NormalClosure, "");
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
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, _options.MaxFrameBytes - length), _abort.Token);
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
        await DrainUntilCloseAsync();
    }

    /// <summary>Refuses the client's input: counted by reason, then closed with <paramref name="status"/>.</summary>
    public void Reject(WebSocketCloseStatus status, string reason, string description)
    {
        _telemetry.FrameRejected(reason);
        RequestClose(status, description);
    }

    // After we decide to close, keep reading (and discarding) until the client's close frame
    // arrives, so the handshake completes and the client sees our close code.
    private async Task DrainUntilCloseAsync()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(scratch.AsMemory(), _abort.Token);
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

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token))
            {
                while (!_closing.IsCancellationRequested && reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame.Bytes, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
                    if (frame.PublishedAtMs > 0)
                    {
                        _telemetry.MessageDelivered((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - frame.PublishedAtMs) / 1000.0);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closing, or the peer is gone; the close handshake below copes with both.
        }

        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(
                    CloseStatus ?? WebSocketCloseStatus.NormalClosure, CloseReason ?? "", _abort.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                _socket.Abort();
            }
        }
    }

    public void Dispose()
    {
        _closing.Dispose();
        _abort.Dispose();
    }
}

/// <summary>A frame waiting for the writer; <see cref="PublishedAtMs"/> is set for live messages.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Bytes, long PublishedAtMs);
