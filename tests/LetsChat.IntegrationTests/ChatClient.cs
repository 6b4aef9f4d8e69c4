using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>A test's chat socket: the seed protocol, with timeouts on every wait.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    public const string ReplicaHeader = "X-LetsChat-Replica";

    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    private ChatClient() => _socket.Options.CollectHttpResponseDetails = true;

    public string Replica { get; private set; } = "";

    public WebSocketState State => _socket.State;

    public static async Task<ChatClient> ConnectAsync(Uri uri, CancellationToken ct)
    {
        var client = new ChatClient();
        await client._socket.ConnectAsync(uri, ct);
        client.Replica = client._socket.HttpResponseHeaders?.TryGetValue(ReplicaHeader, out var values) == true
            ? string.Join(",", values)
            : "";
        return client;
    }

    /// <summary>Opens sockets until one lands on a replica other than <paramref name="other"/>'s.</summary>
    public static async Task<ChatClient> ConnectToOtherReplicaAsync(Uri uri, ChatClient other, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var client = await ConnectAsync(uri, ct);
            if (client.Replica != other.Replica)
            {
                return client;
            }
            await client.DisposeAsync();
        }
        throw new InvalidOperationException($"30 connections all landed on replica {other.Replica}.");
    }

    public Task SendAsync(string message, CancellationToken ct) =>
        SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(new { message }), WebSocketMessageType.Text, ct);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type, CancellationToken ct, bool endOfMessage = true) =>
        await _socket.SendAsync(bytes, type, endOfMessage, ct);

    /// <summary>The next frame's "message", or null when the server closed the socket.</summary>
    public async Task<string?> ReceiveMessageAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                using var json = JsonDocument.Parse(_buffer.AsMemory(0, length));
                return json.RootElement.GetProperty("message").GetString();
            }
        }
    }

    public async Task<List<string>> ReceiveMessagesAsync(int count, CancellationToken ct)
    {
        var messages = new List<string>(count);
        while (messages.Count < count)
        {
            messages.Add(await ReceiveMessageAsync(ct) ?? throw new InvalidOperationException(
                $"Closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) after {messages.Count} of {count} messages."));
        }
        return messages;
    }

    /// <summary>Reads until the server's close frame; returns its code. Messages before it are skipped.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync(CancellationToken ct)
    {
        while (await ReceiveMessageOrNullAsync(ct) is not null)
        {
        }
        return _socket.CloseStatus;
    }

    private async Task<string?> ReceiveMessageOrNullAsync(CancellationToken ct)
    {
        try
        {
            return await ReceiveMessageAsync(ct);
        }
        catch (JsonException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync() => await CloseQuietlyAsync(_socket);

    /// <summary>Closes politely when the socket is still open (5 s at most), then disposes it.</summary>
    public static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        socket.Dispose();
    }

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
