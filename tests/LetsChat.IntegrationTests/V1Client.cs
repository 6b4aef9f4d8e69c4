using System.Net.WebSockets;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>A letschat.v1 socket for tests: typed frames as JSON, with a timeout on every wait.</summary>
public sealed class V1Client : IAsyncDisposable
{
    private readonly TestSocket _socket;
    // Frames read while waiting for something else (an ack), handed out by the next receive.
    private readonly Queue<JsonElement> _pending = new();

    // The last frames read, so a wait that times out can say what did arrive.
    private readonly Queue<string> _recent = new();
    private readonly string _room;

    private V1Client(TestSocket socket, string room) => (_socket, _room) = (socket, room);

    public Replica Replica => _socket.Replica;

    /// <summary>Who the server says this socket is (the welcome's user id).</summary>
    public string UserId => Welcome.GetProperty("user").GetProperty("id").GetString()!;

    /// <summary>The first frame the server sent.</summary>
    public JsonElement Welcome { get; private set; }

    public string Epoch => Welcome.GetProperty("epoch").GetString()!;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    public static async Task<V1Client> ConnectAsync(
        ChatAppFixture app, string room, CancellationToken ct, string? cookie = null, string? epoch = null, long? after = null, string? forwardedFor = null)
    {
        var query = epoch is null ? "" : $"?epoch={epoch}&after={after}";
        var client = new V1Client(await TestSocket.ConnectAsync(
            new Uri($"ws://{app.Gateway.Authority}/ws/chat/{room}/{query}"), ct, TestSocket.V1Protocol, cookie, forwardedFor: forwardedFor), room);
        Assert.Equal(TestSocket.V1Protocol, client._socket.SubProtocol);
        client.Welcome = await client.ReceiveAsync(ct);
        Assert.Equal("welcome", client.Welcome.GetProperty("type").GetString());
        return client;
    }

    /// <summary>Connects until the socket lands on a replica other than <paramref name="notOn"/>.</summary>
    public static Task<V1Client> ConnectElsewhereAsync(
        ChatAppFixture app, string room, Replica notOn, CancellationToken ct, string? cookie = null, string? epoch = null, long? after = null, string? forwardedFor = null) =>
        TestSocket.ElsewhereAsync(() => ConnectAsync(app, room, ct, cookie, epoch, after, forwardedFor), c => c.Replica, notOn);

    public Task SendAsync(string text, string id, CancellationToken ct) =>
        SendFrameAsync(new { type = "send", id, text }, ct);

    public Task SendFrameAsync(object frame, CancellationToken ct) => _socket.SendJsonAsync(frame, ct);

    /// <summary>Sends a frame as a browser's JSON.stringify does: non-ASCII text as UTF-8, not as \u escapes (a third of the bytes).</summary>
    public Task SendUnescapedAsync(object frame, CancellationToken ct) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, s_unescaped), WebSocketMessageType.Text, ct);

    private static readonly JsonSerializerOptions s_unescaped = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The next frame; throws when the server closed the socket.</summary>
    public Task<JsonElement> ReceiveAsync(CancellationToken ct) =>
        _pending.TryDequeue(out var frame) ? Task.FromResult(frame) : ReadFrameAsync(ct);

    private async Task<JsonElement> ReadFrameAsync(CancellationToken ct)
    {
        JsonElement? frame;
        try
        {
            frame = await _socket.ReceiveJsonAsync(ct);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No frame in time on {Replica}, room {_room}. {Recent()}", e);
        }
        if (frame is not { } received)
        {
            throw new InvalidOperationException($"Closed by {Replica} ({_socket.CloseStatus} {_socket.CloseStatusDescription}), room {_room}. {Recent()}");
        }
        var text = received.GetRawText();
        _recent.Enqueue(text.Length <= 160 ? text : text[..160] + "…");
        if (_recent.Count > 10)
        {
            _recent.Dequeue();
        }
        return received;
    }

    private string Recent() => _recent.Count == 0 ? "Nothing was received." : $"The last frames received:{Environment.NewLine}{string.Join(Environment.NewLine, _recent)}";

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
        var reply = await SendAndReplyAsync(frame, id, ct);
        Assert.True(reply.Type() == "error", $"{id} was acked: {reply}");
        return reply;
    }

    /// <summary>Sends a frame with an id and returns its answer, an ack or an error. Frames that come first stay for later receives.</summary>
    public async Task<JsonElement> SendAndReplyAsync(object frame, string id, CancellationToken ct)
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

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
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
}
