using System.Net.WebSockets;

namespace LetsChat.IntegrationTests;

/// <summary>A test's seed-protocol socket (<c>{"message": …}</c> both ways), with a timeout on every wait.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly TestSocket _socket;

    private ChatClient(TestSocket socket) => _socket = socket;

    public Replica Replica => _socket.Replica;

    public WebSocketState State => _socket.State;

    public static async Task<ChatClient> ConnectAsync(Uri uri, CancellationToken ct) =>
        new(await TestSocket.ConnectAsync(uri, ct));

    /// <summary>Connects until the socket lands on a replica other than <paramref name="notOn"/>.</summary>
    public static Task<ChatClient> ConnectElsewhereAsync(Uri uri, Replica notOn, CancellationToken ct) =>
        TestSocket.ElsewhereAsync(() => ConnectAsync(uri, ct), c => c.Replica, notOn);

    public Task SendAsync(string message, CancellationToken ct) => _socket.SendJsonAsync(new { message }, ct);

    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type, CancellationToken ct, bool endOfMessage = true) =>
        _socket.SendAsync(bytes, type, ct, endOfMessage);

    /// <summary>The next frame's "message", or null when the server closed the socket.</summary>
    public async Task<string?> ReceiveMessageAsync(CancellationToken ct) =>
        await _socket.ReceiveJsonAsync(ct) is { } frame ? frame.GetProperty("message").GetString() : null;

    public async Task<List<string>> ReceiveMessagesAsync(int count, CancellationToken ct)
    {
        var messages = new List<string>(count);
        while (messages.Count < count)
        {
            messages.Add(await ReceiveMessageAsync(ct) ?? throw new InvalidOperationException(
                $"Closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) by {Replica} after {messages.Count} of {count} messages: [{string.Join(", ", messages)}]."));
        }
        return messages;
    }

    /// <summary>Reads until the server's close frame; returns its code. Frames before it are skipped.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync(CancellationToken ct)
    {
        while (await _socket.ReceiveAsync(ct) is not null)
        {
        }
        return _socket.CloseStatus;
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}
