using System.Net.WebSockets;
using System.Text;

namespace LetsChat.IntegrationTests;

/// <summary>
/// 10,000 random and mutated frames against one room while two honest clients chat in it: the
/// service stays up, and the honest clients lose nothing and see nothing twice.
/// </summary>
[Collection(ServerRedisCollection.Name)]
public sealed class FuzzTests(ServerRedisApp app)
{
    private const int FuzzFrames = 10_000;
    private const int Fuzzers = 4;
    private const int HonestMessages = 200;

    [Fact]
    public async Task TenThousandHostileFramesNeitherStopTheServiceNorCostHonestClientsAMessage()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var room = $"fuzz-{Guid.NewGuid():N}";
        await using var ana = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var ben = await V1Client.ConnectElsewhereAsync(app, room, ana.Replica, cts.Token);

        var fuzzing = Enumerable.Range(0, Fuzzers).Select(f => Task.Run(() => FuzzAsync(room, seed: 1000 + f, FuzzFrames / Fuzzers, cts.Token))).ToArray();
        var chatting = Task.Run(async () =>
        {
            for (var i = 0; i < HonestMessages; i++)
            {
                await (i % 2 == 0 ? ana : ben).SendAsync($"honest {i:D3}", $"h{i}", cts.Token);
                await Task.Delay(5, cts.Token);
            }
        }, cts.Token);

        var anaSees = ReceiveHonestAsync(ana, cts.Token);
        var benSees = ReceiveHonestAsync(ben, cts.Token);
        await Task.WhenAll(fuzzing);
        await chatting;

        // Each honest message exactly once, each sender's in its order, and one order for everyone
        // (the two senders are on different replicas, so their messages may interleave either way).
        var seenByAna = await anaSees;
        var seenByBen = await benSees;
        Assert.Equal(Enumerable.Range(0, HonestMessages).Select(i => $"honest {i:D3}"), seenByAna.Order());
        foreach (var parity in new[] { 0, 1 })
        {
            var own = seenByAna.Where(t => int.Parse(t[7..], System.Globalization.CultureInfo.InvariantCulture) % 2 == parity).ToList();
            Assert.Equal(own.Order(), own);
        }
        Assert.Equal(seenByAna, seenByBen);

        // Both room-service processes that took the fuzz are the ones that started, and still chat.
        Assert.All(new[] { ana.Replica, ben.Replica }, r => Assert.True(r.IsRunning, $"{r} is gone"));
        var fromAna = await ana.SendAndAckAsync("after the fuzz, from ana", "after-a", cts.Token);
        Assert.Equal(fromAna, await SeqOfAsync(ben, "after the fuzz, from ana", cts.Token));
        var fromBen = await ben.SendAndAckAsync("after the fuzz, from ben", "after-b", cts.Token);
        Assert.Equal(fromBen, await SeqOfAsync(ana, "after the fuzz, from ben", cts.Token));
    }

    // The seq of the message with this text, skipping fuzzed frames that happened to be valid sends (and one's own).
    private static async Task<long> SeqOfAsync(V1Client client, string text, CancellationToken ct)
    {
        while (true)
        {
            var message = await client.ReceiveTypeAsync("message", ct);
            if (message.Text() == text)
            {
                return message.Seq();
            }
        }
    }

    // Fuzzed frames are published only when they happen to be valid sends; the honest clients
    // filter on their own prefix, and must see exactly their 200, in order.
    private static async Task<List<string>> ReceiveHonestAsync(V1Client client, CancellationToken ct)
    {
        var seen = new List<string>();
        while (seen.Count < HonestMessages)
        {
            var text = (await client.ReceiveTypeAsync("message", ct)).Text();
            if (text.StartsWith("honest ", StringComparison.Ordinal))
            {
                seen.Add(text);
            }
        }
        return seen;
    }

    /// <summary>
    /// Writes <paramref name="count"/> hostile frames to the server (a frame counts once its send
    /// completed), reconnecting whenever the server closes the socket.
    /// </summary>
    private async Task FuzzAsync(string room, int seed, int count, CancellationToken ct)
    {
        var random = new Random(seed);
        var sent = 0;
        while (sent < count)
        {
            await using var socket = await TestSocket.ConnectAsync(app.WebSocketUri(room), ct, random.Next(2) == 0 ? TestSocket.V1Protocol : null);
            var draining = DrainAsync(socket, ct);
            try
            {
                while (sent < count && socket.State == WebSocketState.Open)
                {
                    var (bytes, type, fragmented) = NextFrame(random);
                    if (fragmented && bytes.Length > 1)
                    {
                        var cut = random.Next(1, bytes.Length);
                        await socket.SendAsync(bytes.AsMemory(0, cut), type, ct, endOfMessage: false);
                        await socket.SendAsync(bytes.AsMemory(cut), type, ct);
                    }
                    else
                    {
                        await socket.SendAsync(bytes, type, ct);
                    }
                    sent++;
                    if (random.Next(200) == 0)
                    {
                        socket.Abort(); // an abrupt reset mid-conversation
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // closed by the server for what we sent: expected, reconnect
            }
            socket.Abort();
            await draining;
        }
    }

    private static async Task DrainAsync(TestSocket socket, CancellationToken ct)
    {
        try
        {
            while (await socket.ReceiveAsync(ct) is not null)
            {
            }
        }
        // ObjectDisposedException: the fuzzer's own Abort() disposes the socket between two reads.
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static readonly string[] s_valid =
    [
        """{"message":"fuzz"}""",
        """{"type":"send","id":"f1","text":"fuzz"}""",
        """{"type":"history","before":5,"limit":10}""",
        """{"type":"typing"}""",
    ];

    private static (byte[] Bytes, WebSocketMessageType Type, bool Fragmented) NextFrame(Random random)
    {
        var fragmented = random.Next(5) == 0;
        byte[] bytes = random.Next(12) switch
        {
            0 => RandomBytes(random, random.Next(0, 512)),                                        // noise, often invalid UTF-8
            1 => Encoding.UTF8.GetBytes(new string('[', random.Next(64, 5000)) + new string(']', 10)), // deep nesting
            2 => Encoding.UTF8.GetBytes($$"""{"message":{{random.NextInt64()}}{{new string('9', random.Next(1, 400))}}}"""), // huge number, wrong type
            3 => Encoding.UTF8.GetBytes($$"""{"type":"send","id":{{random.Next()}},"text":["x"]}"""),  // wrong types
            4 => Encoding.UTF8.GetBytes($$"""{"type":"history","before":-{{random.Next()}},"limit":1e308}"""),
            5 => new byte[random.Next(20) == 0 ? 1024 * 1024 : random.Next(16 * 1024 + 1, 64 * 1024)], // oversize; some 1 MiB
            6 => [0xC0, 0xAF, .. "{\"message\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8],              // overlong and surrogate UTF-8
            _ => Mutate(random, Encoding.UTF8.GetBytes(s_valid[random.Next(s_valid.Length)])),    // valid frames, bit-flipped
        };
        var type = random.Next(15) == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        return (bytes, type, fragmented);
    }

    private static byte[] Mutate(Random random, byte[] frame)
    {
        for (var flips = random.Next(0, 4); flips > 0; flips--)
        {
            frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
        }
        return frame;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
