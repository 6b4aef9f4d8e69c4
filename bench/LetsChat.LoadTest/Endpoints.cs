using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace LetsChat.LoadTest;

/// <summary>
/// Opens WebSockets to the targets, round-robin, from the configured local addresses.
/// One machine runs out of ephemeral ports near 28,000 sockets per (source, destination) pair;
/// binding to 127.0.0.2, 127.0.0.3, … gives each its own range.
/// </summary>
public sealed class Endpoints : IDisposable
{
    private readonly IReadOnlyList<Uri> _targets;
    private readonly HttpMessageInvoker[] _invokers;
    private int _next = -1;

    public Endpoints(IReadOnlyList<Uri> targets, IReadOnlyList<IPAddress> sources)
    {
        _targets = targets;
        _invokers = sources.Count == 0
            ? [new HttpMessageInvoker(Handler(null))]
            : sources.Select(s => new HttpMessageInvoker(Handler(s))).ToArray();
    }

    public static Uri RoomUri(Uri target, string room, string query = "")
    {
        var scheme = target.Scheme is "https" or "wss" ? "wss" : "ws";
        return new UriBuilder(target) { Scheme = scheme, Path = $"/ws/chat/{room}/", Query = query }.Uri;
    }

    /// <summary>Connects socket number <paramref name="index"/> to <paramref name="room"/>.</summary>
    public async Task<ClientWebSocket> ConnectAsync(int index, string room, ChatProtocol protocol, int bufferBytes, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        if (protocol == ChatProtocol.V1) socket.Options.AddSubProtocol("letschat.v1");
        socket.Options.SetBuffer(bufferBytes, bufferBytes);
        // The server pings every 30 s; the tool need not ping as well.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var slot = Interlocked.Increment(ref _next);
        var target = _targets[(int)((uint)index % (uint)_targets.Count)];
        try
        {
            await socket.ConnectAsync(RoomUri(target, room), _invokers[(int)((uint)slot % (uint)_invokers.Length)], ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static SocketsHttpHandler Handler(IPAddress? source) => new()
    {
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        ConnectCallback = source is null ? null : async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public void Dispose()
    {
        foreach (var invoker in _invokers) invoker.Dispose();
    }
}
