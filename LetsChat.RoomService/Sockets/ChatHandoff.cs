using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// Takes chat sockets below the HTTP layer, so that an idle socket holds no HttpContext, no
/// request headers, no HTTP parser and no request span: only the TCP connection and its chat state.
/// <para>
/// A Kestrel connection middleware (<c>ListenOptions.Use</c>) puts itself between every connection
/// and the HTTP layer. The chat upgrade is still read, checked and refused by ASP.NET Core
/// (<see cref="ChatEndpoint"/>: problem details, limits, forwarded headers, cookies), so
/// nothing is parsed twice. Once the endpoint accepts, it hands the socket over (<see cref="Take"/>):
/// from then on the HTTP layer reads the end of the connection and its writes go nowhere, so it
/// finishes that request and lets go of the connection; this middleware then writes the 101 and
/// runs the socket on the raw transport. Every other request passes through untouched.
/// </para>
/// </summary>
public sealed class ChatHandoff
{
    private readonly HandoffPipe _pipe;
    private readonly HeartbeatRelay _heartbeat;
    private Func<ConnectionContext, Task>? _socket;

    private ChatHandoff(IDuplexPipe transport, IConnectionHeartbeatFeature? heartbeat)
    {
        _pipe = new HandoffPipe(transport);
        _heartbeat = new HeartbeatRelay(heartbeat);
    }

    /// <summary>The handoff of the connection carrying <paramref name="context"/>; null off Kestrel (no connection middleware).</summary>
    public static ChatHandoff? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(typeof(ChatHandoff), out var handoff) == true
            ? handoff as ChatHandoff
            : null;

    /// <summary>
    /// Claims the connection for <paramref name="socket"/>, which runs once the HTTP layer has let
    /// go of it. Call before anything of the response is written; after this nothing is.
    /// </summary>
    public void Take(Func<ConnectionContext, Task> socket)
    {
        _socket = socket;
        _pipe.Detach();
        _heartbeat.Detach();
    }

    /// <summary>For <c>ListenOptions.Use</c> on every endpoint of the room service.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        var heartbeat = connection.Features.Get<IConnectionHeartbeatFeature>();
        var handoff = new ChatHandoff(transport, heartbeat);
        connection.Items[typeof(ChatHandoff)] = handoff;
        connection.Transport = handoff._pipe;
        connection.Features.Set<IConnectionHeartbeatFeature>(handoff._heartbeat);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
            connection.Features.Set(heartbeat);
            connection.Items.Remove(typeof(ChatHandoff));
        }
        if (handoff._socket is { } socket)
        {
            await socket(connection);
        }
    };

    /// <summary>The transport as the HTTP layer sees it: the real one until <see cref="Detach"/>, then an ended one.</summary>
    private sealed class HandoffPipe(IDuplexPipe transport) : IDuplexPipe
    {
        private readonly HandoffReader _input = new(transport.Input);
        private readonly HandoffWriter _output = new(transport.Output);

        public PipeReader Input => _input;

        public PipeWriter Output => _output;

        public void Detach()
        {
            _input.Detached = true;
            _output.Detached = true;
        }
    }

    // After Detach the HTTP layer reads "connection ended" and stops; completing does not reach the transport.
    private sealed class HandoffReader(PipeReader inner) : PipeReader
    {
        public volatile bool Detached;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            Detached ? new ValueTask<ReadResult>(new ReadResult(default, isCanceled: false, isCompleted: true)) : inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result)
        {
            if (Detached)
            {
                result = new ReadResult(default, isCanceled: false, isCompleted: true);
                return true;
            }
            return inner.TryRead(out result);
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            // A position of the empty ended buffer belongs to no segment of the transport.
            if (consumed.GetObject() is not null)
            {
                inner.AdvanceTo(consumed, examined);
            }
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            if (!Detached)
            {
                inner.Complete(exception);
            }
        }
    }

    // The HTTP layer's timeouts tick through here. Kestrel keeps a connection's heartbeat handlers
    // for as long as the connection lives, and through them the HTTP layer's whole per-connection
    // state (parser, headers, HttpContext); after Detach this relay holds none of it, and those
    // timeouts (keep-alive, response drain rate) stop applying to what is now a chat socket.
    private sealed class HeartbeatRelay(IConnectionHeartbeatFeature? inner) : IConnectionHeartbeatFeature
    {
        private readonly Lock _lock = new();
        private List<(Action<object> Action, object State)>? _handlers = [];
        private bool _registered;

        public void OnHeartbeat(Action<object> action, object state)
        {
            lock (_lock)
            {
                _handlers?.Add((action, state));
                if (!_registered && inner is not null)
                {
                    _registered = true;
                    inner.OnHeartbeat(static relay => ((HeartbeatRelay)relay).Tick(), this);
                }
            }
        }

        public void Detach()
        {
            lock (_lock)
            {
                _handlers = null;
            }
        }

        private void Tick()
        {
            (Action<object> Action, object State)[] handlers;
            lock (_lock)
            {
                handlers = _handlers is { Count: > 0 } list ? [.. list] : [];
            }
            foreach (var (action, state) in handlers)
            {
                action(state);
            }
        }
    }

    // After Detach the HTTP layer's writes (its response to the handed-over request) go nowhere:
    // into one scratch buffer that every connection shares and nobody reads.
    private sealed class HandoffWriter(PipeWriter inner) : PipeWriter
    {
        private static readonly byte[] s_scratch = new byte[64 * 1024];

        public volatile bool Detached;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => Detached ? 0 : inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            if (!Detached)
            {
                inner.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => Detached ? Scratch(sizeHint) : inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => Detached ? Scratch(sizeHint) : inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            Detached ? new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false)) : inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush()
        {
            if (!Detached)
            {
                inner.CancelPendingFlush();
            }
        }

        public override void Complete(Exception? exception = null)
        {
            if (!Detached)
            {
                inner.Complete(exception);
            }
        }

        private static byte[] Scratch(int sizeHint) => sizeHint <= s_scratch.Length ? s_scratch : new byte[sizeHint];
    }
}
