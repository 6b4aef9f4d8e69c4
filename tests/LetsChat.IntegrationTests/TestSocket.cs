using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>
/// The one WebSocket every test client is built on (seed, v1, resuming, fuzzing, slow): it
/// connects through the gateway, knows which replica took it, and reads one whole frame at a time.
/// </summary>
public sealed class TestSocket : IAsyncDisposable
{
    public const string V1Protocol = "letschat.v1";
    public const string ReplicaHeader = "X-LetsChat-Replica";

    private readonly ClientWebSocket _socket = new();
    private byte[] _buffer = new byte[64 * 1024];

    private TestSocket() => _socket.Options.CollectHttpResponseDetails = true;

    /// <summary>The room-service process that accepted the upgrade.</summary>
    public Replica Replica { get; private set; } = Replica.Unknown;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    public string? SubProtocol => _socket.SubProtocol;

    /// <summary>Opens <paramref name="uri"/>; <paramref name="invoker"/> replaces the HTTP stack (a tiny receive window, say).</summary>
    public static async Task<TestSocket> ConnectAsync(
        Uri uri, CancellationToken ct, string? protocol = null, string? cookie = null, HttpMessageInvoker? invoker = null, string? origin = null,
        string? forwardedFor = null)
    {
        var socket = new TestSocket();
        if (forwardedFor is not null)
        {
            socket._socket.Options.SetRequestHeader("X-Forwarded-For", forwardedFor); // the client's address, as a load balancer in front of the gateway says
        }
        if (protocol is not null)
        {
            socket._socket.Options.AddSubProtocol(protocol);
        }
        if (cookie is not null)
        {
            socket._socket.Options.SetRequestHeader("Cookie", cookie);
        }
        if (origin is not null)
        {
            socket._socket.Options.SetRequestHeader("Origin", origin); // what a browser sends
        }
        try
        {
            await socket._socket.ConnectAsync(uri, invoker, ct);
        }
        catch
        {
            socket._socket.Dispose();
            throw;
        }
        socket.Replica = Replica.From(socket._socket.HttpResponseHeaders);
        return socket;
    }

    /// <summary>
    /// The next whole frame (valid until the next call), or null once the server's close frame
    /// arrived. The buffer grows to fit any frame the server sends.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return _buffer.AsMemory(0, length);
            }
        }
    }

    /// <summary>The next frame as JSON, or null once the server's close frame arrived.</summary>
    public async Task<JsonElement?> ReceiveJsonAsync(CancellationToken ct)
    {
        if (await ReceiveAsync(ct) is not { } frame)
        {
            return null;
        }
        using var json = JsonDocument.Parse(frame);
        return json.RootElement.Clone();
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type, CancellationToken ct, bool endOfMessage = true) =>
        await _socket.SendAsync(bytes, type, endOfMessage, ct);

    public Task SendJsonAsync(object frame, CancellationToken ct) =>
        SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, ct);

    /// <summary>Drops the connection without a close handshake, like a network failure.</summary>
    public void Abort() => _socket.Abort();

    /// <summary>Closes politely when the socket is still open (5 s at most), then disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
    }

    /// <summary>
    /// Connects with <paramref name="connect"/> until a socket lands on a replica other than
    /// <paramref name="notOn"/>. The orchestrator's proxy spreads the gateway's connections over the
    /// replicas, but an upgrade goes out on an idle pooled connection when the gateway has one, and
    /// a burst of API calls just before (AbuseSpec's fifty at once) can leave dozens pooled on one
    /// replica (seen in CI: 30 tries in a row on one). Each try uses up one pooled connection (an
    /// upgraded one never goes back to the pool), so enough tries always reach a fresh one.
    /// </summary>
    public static async Task<T> ElsewhereAsync<T>(Func<Task<T>> connect, Func<T, Replica> replicaOf, Replica notOn)
        where T : IAsyncDisposable
    {
        var seen = new List<Replica>();
        const int Attempts = 200;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var client = await connect();
            if (replicaOf(client) != notOn)
            {
                return client;
            }
            seen.Add(replicaOf(client));
            await client.DisposeAsync();
        }
        throw new InvalidOperationException($"{Attempts} connections all landed on replica {notOn}: {string.Join(", ", seen.Distinct())}.");
    }
}

/// <summary>
/// A room-service replica, as its X-LetsChat-Replica header names it: "&lt;host&gt;-&lt;pid&gt;-&lt;random&gt;".
/// The one place that reads the pid out of it.
/// </summary>
public sealed record Replica(string Id)
{
    public static readonly Replica Unknown = new("");

    public static Replica From(IReadOnlyDictionary<string, IEnumerable<string>>? headers) =>
        headers?.TryGetValue(TestSocket.ReplicaHeader, out var values) == true ? new Replica(string.Join(",", values)) : Unknown;

    /// <summary>The process id of the room service behind this replica.</summary>
    public int Pid => Id.Split('-') is { Length: >= 3 } parts && int.TryParse(parts[^2], out var pid)
        ? pid
        : throw new InvalidOperationException($"No pid in replica id '{Id}'.");

    public Process Process() => System.Diagnostics.Process.GetProcessById(Pid);

    /// <summary>Whether the replica's process is still alive (not killed, not crashed).</summary>
    public bool IsRunning
    {
        get
        {
            try
            {
                using var process = Process();
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false; // no such process
            }
        }
    }

    public override string ToString() => Id.Length == 0 ? "(unknown replica)" : Id;
}
