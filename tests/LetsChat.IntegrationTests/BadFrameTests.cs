using System.Net.WebSockets;
using System.Text;

namespace LetsChat.IntegrationTests;

/// <summary>
/// Each class of bad input gets its own close code, and a well-behaved pair in the same room
/// keeps chatting through all of it.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class BadFrameTests(ServerRedisApp app)
{
    public static TheoryData<string, byte[], WebSocketMessageType, WebSocketCloseStatus> BadFrames => new()
    {
        { "not JSON", "hello"u8.ToArray(), WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "empty frame", [], WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "no message field", """{"text":"hi"}"""u8.ToArray(), WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "message not a string", """{"message":42}"""u8.ToArray(), WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "JSON array", """["message","hi"]"""u8.ToArray(), WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "invalid UTF-8", [.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8], WebSocketMessageType.Text, WebSocketCloseStatus.InvalidPayloadData },
        { "binary frame", """{"message":"hi"}"""u8.ToArray(), WebSocketMessageType.Binary, WebSocketCloseStatus.InvalidMessageType },
        { "16 KiB + 1 frame", OversizeFrame(), WebSocketMessageType.Text, WebSocketCloseStatus.MessageTooBig },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task BadFrameClosesOnlyItsSenderWithTheMatchingCode(
        string description, byte[] frame, WebSocketMessageType type, WebSocketCloseStatus expected)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"bad-{Guid.NewGuid():N}";
        await using var sender = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        await using var receiver = await ChatClient.ConnectElsewhereAsync(app.WebSocketUri(room), sender.Replica, cts.Token);
        await using var offender = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);

        await sender.SendAsync("before", cts.Token);
        Assert.Equal("before", await receiver.ReceiveMessageAsync(cts.Token));

        await offender.SendRawAsync(frame, type, cts.Token);
        var status = await offender.ReceiveCloseAsync(cts.Token);
        Assert.True(expected == status, $"{description}: expected {expected}, got {status}");

        // The offender's frame never reached the room: the receiver's next message is the honest one.
        await sender.SendAsync("after", cts.Token);
        Assert.Equal("after", await receiver.ReceiveMessageAsync(cts.Token));
        Assert.Equal(WebSocketState.Open, receiver.State);
    }

    [Fact]
    public async Task FragmentedFrameWithinTheLimitIsReassembled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await ChatClient.ConnectAsync(app.WebSocketUri($"frag-{Guid.NewGuid():N}"), cts.Token);

        await client.SendRawAsync("""{"message":"frag"""u8.ToArray(), WebSocketMessageType.Text, cts.Token, endOfMessage: false);
        await client.SendRawAsync("""mented"}"""u8.ToArray(), WebSocketMessageType.Text, cts.Token, endOfMessage: true);

        Assert.Equal("fragmented", await client.ReceiveMessageAsync(cts.Token));
    }

    [Fact]
    public async Task FrameOfExactly16KiBIsAccepted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await ChatClient.ConnectAsync(app.WebSocketUri($"max-{Guid.NewGuid():N}"), cts.Token);
        // 4,000 three-byte characters (the longest message allowed), padded with an ignored field to exactly 16,384 bytes.
        var text = new string('\u2713', 4000);
        var frame = $$"""{"message":"{{text}}","pad":"{{new string('x', 16 * 1024 - 12_000 - """{"message":"","pad":""}""".Length)}}"}""";
        Assert.Equal(16 * 1024, Encoding.UTF8.GetByteCount(frame));

        await client.SendRawAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, cts.Token);

        Assert.Equal(text, await client.ReceiveMessageAsync(cts.Token));
    }

    [Fact]
    public async Task MessageLongerThan4000CharactersIsRefusedWith1009()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await ChatClient.ConnectAsync(app.WebSocketUri($"long-{Guid.NewGuid():N}"), cts.Token);

        await client.SendAsync(new string('x', 4001), cts.Token);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.ReceiveCloseAsync(cts.Token));
    }

    private static byte[] OversizeFrame() =>
        Encoding.UTF8.GetBytes($$"""{"message":"{{new string('x', 16 * 1024)}}"}""");
}
