using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>A letschat.v1 socket for tests: typed frames as JSON, with a timeout on every wait.</summary>
public sealed class V1Client : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[256 * 1024];
    // Frames read while waiting for something else (an ack), handed out by the next receive.
    private readonly Queue<JsonElement> _pending = new();

    private V1Client()
    {
        _socket.Options.CollectHttpResponseDetails = true;
        _socket.Options.AddSubProtocol("letschat.v1");
    }

    public string Replica { get; private set; } = "";

    /// <summary>Who the server says this socket is (the welcome's user id).</summary>
    public string UserId => Welcome.GetProperty("user").GetProperty("id").GetString()!;

    /// <summary>The first frame the server sent.</summary>
    public JsonElement Welcome { get; private set; }

    public string Epoch => Welcome.GetProperty("epoch").GetString()!;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<V1Client> ConnectAsync(
        ChatAppFixture app, string room, CancellationToken ct, string? cookie = null, string? epoch = null, long? after = null)
    {
        var query = epoch is null ? "" : $"?epoch={epoch}&after={after}";
        var client = new V1Client();
        if (cookie is not null)
        {
            client._socket.Options.SetRequestHeader("Cookie", cookie);
        }
        await client._socket.ConnectAsync(new Uri($"ws://{app.Gateway.Authority}/ws/chat/{room}/{query}"), ct);
        Assert.Equal("letschat.v1", client._socket.SubProtocol);
        client.Replica = client._socket.HttpResponseHeaders?.TryGetValue(ChatClient.ReplicaHeader, out var values) == true
            ? string.Join(",", values) : "";
        client.Welcome = await client.ReceiveAsync(ct);
        Assert.Equal("welcome", client.Welcome.GetProperty("type").GetString());
        return client;
    }

    /// <summary>Connects until the socket lands on a replica other than <paramref name="notOn"/>.</summary>
    public static async Task<V1Client> ConnectElsewhereAsync(
        ChatAppFixture app, string room, string notOn, CancellationToken ct, string? cookie = null, string? epoch = null, long? after = null)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var client = await ConnectAsync(app, room, ct, cookie, epoch, after);
            if (client.Replica != notOn)
            {
                return client;
            }
            await client.DisposeAsync();
        }
        throw new InvalidOperationException($"30 connections all landed on replica {notOn}.");
    }

    public Task SendAsync(string text, string id, CancellationToken ct) =>
        SendFrameAsync(new { type = "send", id, text }, ct);

    public async Task SendFrameAsync(object frame, CancellationToken ct) =>
        await _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, ct);

    /// <summary>The next frame; throws when the server closed the socket.</summary>
    public Task<JsonElement> ReceiveAsync(CancellationToken ct) =>
        _pending.TryDequeue(out var frame) ? Task.FromResult(frame) : ReadFrameAsync(ct);

    private async Task<JsonElement> ReadFrameAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"Closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                using var json = JsonDocument.Parse(_buffer.AsMemory(0, length));
                return json.RootElement.Clone();
            }
        }
    }

    /// <summary>The next frame of <paramref name="type"/>, skipping others.</summary>
    public async Task<JsonElement> ReceiveTypeAsync(string type, CancellationToken ct)
    {
        while (true)
        {
            var frame = await ReceiveAsync(ct);
            if (frame.GetProperty("type").GetString() == type)
            {
                return frame;
            }
        }
    }

    /// <summary>The next presence <paramref name="kind"/> (join, leave) about the user named <paramref name="name"/>.</summary>
    public async Task<JsonElement> ReceivePresenceAsync(string kind, string name, CancellationToken ct)
    {
        while (true)
        {
            var frame = await ReceiveTypeAsync("presence", ct);
            if (frame.GetProperty("event").GetString() == kind && frame.UserName() == name)
            {
                return frame;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> message frames, skipping presence and typing.</summary>
    public async Task<List<JsonElement>> ReceiveMessagesAsync(int count, CancellationToken ct)
    {
        var messages = new List<JsonElement>(count);
        while (messages.Count < count)
        {
            messages.Add(await ReceiveTypeAsync("message", ct));
        }
        return messages;
    }

    /// <summary>The next <paramref name="count"/> events of the room's log (messages and updates), skipping other frames.</summary>
    public async Task<List<JsonElement>> ReceiveLoggedAsync(int count, CancellationToken ct)
    {
        var frames = new List<JsonElement>();
        while (frames.Count < count)
        {
            var frame = await ReceiveAsync(ct);
            if (frame.GetProperty("type").GetString() is "message" or "update")
            {
                frames.Add(frame);
            }
        }
        return frames;
    }

    /// <summary>Sends and waits for the ack; returns its seq. Frames that come first stay for later receives.</summary>
    public async Task<long> SendAndAckAsync(string text, string id, CancellationToken ct)
    {
        await SendAsync(text, id, ct);
        return await AckAsync(id, ct);
    }

    /// <summary>Sends a frame with an id (an edit, a reply…) and waits for its ack; returns its seq.</summary>
    public async Task<long> SendAndAckAsync(object frame, string id, CancellationToken ct)
    {
        await SendFrameAsync(frame, ct);
        return await AckAsync(id, ct);
    }

    /// <summary>Sends a frame with an id and returns the error it gets (fails on an ack).</summary>
    public async Task<JsonElement> SendAndErrorAsync(object frame, string id, CancellationToken ct)
    {
        await SendFrameAsync(frame, ct);
        var skipped = new List<JsonElement>();
        while (true)
        {
            var reply = await ReceiveAsync(ct);
            var type = reply.GetProperty("type").GetString();
            if (type is "ack" or "error" && reply.TryGetProperty("id", out var replyId) && replyId.GetString() == id)
            {
                foreach (var other in skipped)
                {
                    _pending.Enqueue(other);
                }
                Assert.True(type == "error", $"{id} was acked: {reply}");
                return reply;
            }
            skipped.Add(reply);
        }
    }

    /// <summary>Waits for the ack of <paramref name="id"/>; returns its seq. Frames that come first stay for later receives.</summary>
    public async Task<long> AckAsync(string id, CancellationToken ct)
    {
        var skipped = new List<JsonElement>();
        while (true)
        {
            var frame = await ReceiveAsync(ct);
            var type = frame.GetProperty("type").GetString();
            if (type == "ack" && frame.GetProperty("id").GetString() == id)
            {
                foreach (var other in skipped)
                {
                    _pending.Enqueue(other);
                }
                return frame.GetProperty("seq").GetInt64();
            }
            Assert.True(type != "error", $"waiting for the ack of {id}: {frame}");
            skipped.Add(frame);
        }
    }

    /// <summary>Drops the connection without a close handshake, like a network failure.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync() => await ChatClient.CloseQuietlyAsync(_socket);
}

public static class Frames
{
    public static string Type(this JsonElement frame) => frame.GetProperty("type").GetString()!;

    public static string Text(this JsonElement frame) => frame.GetProperty("text").GetString()!;

    public static long Seq(this JsonElement frame) => frame.GetProperty("seq").GetInt64();

    public static string Epoch(this JsonElement frame) => frame.GetProperty("epoch").GetString()!;

    public static string UserName(this JsonElement frame) => frame.GetProperty("user").GetProperty("name").GetString()!;

    public static string UserId(this JsonElement frame) => frame.GetProperty("user").GetProperty("id").GetString()!;

    public static List<JsonElement> Messages(this JsonElement frame) => [.. frame.GetProperty("messages").EnumerateArray()];

    public static string Raw(this JsonElement frame) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(frame));
}
