namespace LetsChat.IntegrationTests;

/// <summary>
/// letschat.v1 history, resume, ordering and idempotent sends, on every Redis backend: the log and
/// its Lua scripts must behave the same on redis-server and on Garnet.
/// </summary>
public abstract class HistorySpec(ChatAppFixture app)
{
    private static string NewRoom(string what) => $"{what}-{Guid.NewGuid():N}";

    [Fact]
    public async Task ResumeOnTheOtherReplicaGetsExactlyTheMissedMessagesThenLive()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = NewRoom("resume");
        await using var sender = await V1Client.ConnectAsync(app, room, cts.Token);
        var reader = await V1Client.ConnectAsync(app, room, cts.Token);

        for (var i = 0; i < 10; i++)
        {
            await sender.SendAndAckAsync($"m{i}", $"c{i}", cts.Token);
        }
        var seen = await reader.ReceiveMessagesAsync(10, cts.Token);
        var (epoch, last) = (seen[^1].Epoch(), seen[^1].Seq());
        var firstReplica = reader.Replica;
        await reader.DisposeAsync();

        for (var i = 10; i < 40; i++)
        {
            await sender.SendAndAckAsync($"m{i}", $"c{i}", cts.Token);
        }
        await using var back = await V1Client.ConnectElsewhereAsync(app, room, firstReplica, cts.Token, epoch: epoch, after: last);
        Assert.True(back.Welcome.GetProperty("resumed").GetBoolean());

        var missed = await back.ReceiveMessagesAsync(30, cts.Token);
        Assert.Equal(Enumerable.Range(10, 30).Select(i => $"m{i}"), missed.Select(m => m.Text()));
        Assert.Equal(Enumerable.Range((int)last + 1, 30).Select(s => (long)s), missed.Select(m => m.Seq()));

        await sender.SendAndAckAsync("live", "c-live", cts.Token);
        Assert.Equal("live", (await back.ReceiveTypeAsync("message", cts.Token)).Text());
    }

    [Fact]
    public async Task TwentyRandomDisconnectsUnderLoadLoseAndDuplicateNothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var room = NewRoom("churn");
        const int total = 300;
        var random = new Random(20261130);

        // The first disconnect comes before any message: resume from the welcome's place.
        var reader = await V1Client.ConnectAsync(app, room, cts.Token);
        var (epoch, last) = (reader.Epoch, reader.Welcome.GetProperty("seq").GetInt64());
        await reader.DisposeAsync();

        await using var sender = await V1Client.ConnectAsync(app, room, cts.Token);
        var received = new List<string>();
        var receivedCount = 0;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                // Stay within the kept history (the fixture keeps only 100): a reader further behind
                // correctly gets a reset, which is another test.
                while (i - Volatile.Read(ref receivedCount) >= ChatAppFixture.HistoryLength / 2)
                {
                    await Task.Delay(1, cts.Token);
                }
                await sender.SendAsync($"m{i:D3}", $"c{i}", cts.Token);
                await Task.Delay(Random.Shared.Next(0, 3), cts.Token);
            }
        }, cts.Token);

        for (var reconnect = 0; reconnect < 19 || received.Count < total; reconnect++)
        {
            reader = await V1Client.ConnectAsync(app, room, cts.Token, epoch: epoch, after: last);
            Assert.True(reader.Welcome.GetProperty("resumed").GetBoolean(), $"reconnect {reconnect} was not resumed");
            var take = reconnect < 19 ? random.Next(1, 25) : total - received.Count;
            for (var n = Math.Min(take, total - received.Count); n > 0; n--)
            {
                var message = await reader.ReceiveTypeAsync("message", cts.Token);
                Assert.Equal(last + 1, message.Seq());
                (epoch, last) = (message.Epoch(), message.Seq());
                received.Add(message.Text());
                Volatile.Write(ref receivedCount, received.Count);
            }
            if (random.Next(2) == 0)
            {
                reader.Abort(); // a dropped network, not a goodbye
            }
            await reader.DisposeAsync();
        }
        await sending;

        Assert.Equal(Enumerable.Range(0, total).Select(i => $"m{i:D3}"), received);
    }

    [Fact]
    public async Task ThreeSendersOnTwoReplicasAreSeenInOneStrictlyIncreasingOrderByEveryone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var room = NewRoom("order");
        const int perSender = 200;
        await using var s1 = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var s2 = await V1Client.ConnectElsewhereAsync(app, room, s1.Replica, cts.Token);
        await using var s3 = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var r1 = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var r2 = await V1Client.ConnectElsewhereAsync(app, room, r1.Replica, cts.Token);

        var receiving = new[] { s1, s2, s3, r1, r2 }.Select(c => c.ReceiveMessagesAsync(3 * perSender, cts.Token)).ToArray();
        await Task.WhenAll(new[] { s1, s2, s3 }.Select((s, n) => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                await s.SendAsync($"s{n}-{i:D3}", $"s{n}-{i}", cts.Token);
            }
        }, cts.Token)));

        var views = await Task.WhenAll(receiving);
        foreach (var view in views)
        {
            var seqs = view.Select(m => m.Seq()).ToList();
            Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1), "seq must increase by one, with no gap");
            for (var n = 0; n < 3; n++)
            {
                Assert.Equal(Enumerable.Range(0, perSender).Select(i => $"s{n}-{i:D3}"),
                    view.Select(m => m.Text()).Where(t => t.StartsWith($"s{n}-", StringComparison.Ordinal)));
            }
        }
        // Everyone saw the same sequence.
        Assert.All(views, view => Assert.Equal(views[0].Select(m => m.Text()), view.Select(m => m.Text())));
    }

    [Fact]
    public async Task ResendingTheSameIdIsAcknowledgedAgainButPublishedOnce()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = NewRoom("dup");
        await using var sender = await V1Client.ConnectAsync(app, room, cts.Token);
        await using var reader = await V1Client.ConnectAsync(app, room, cts.Token);

        await sender.SendAsync("once", "same-id", cts.Token);
        var first = await sender.ReceiveTypeAsync("ack", cts.Token);
        await sender.SendAsync("once", "same-id", cts.Token);
        var second = await sender.ReceiveTypeAsync("ack", cts.Token);
        await sender.SendAndAckAsync("next", "other-id", cts.Token);

        Assert.False(first.GetProperty("duplicate").GetBoolean());
        Assert.True(second.GetProperty("duplicate").GetBoolean());
        Assert.Equal(first.Seq(), second.Seq());
        Assert.Equal(["once", "next"], (await reader.ReceiveMessagesAsync(2, cts.Token)).Select(m => m.Text()));
    }

    [Fact]
    public async Task JoiningGetsTheLast50MessagesAsHistory()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = NewRoom("join");
        await using (var sender = await V1Client.ConnectAsync(app, room, cts.Token))
        {
            for (var i = 1; i <= 60; i++)
            {
                await sender.SendAndAckAsync($"m{i}", $"c{i}", cts.Token);
            }
        }

        await using var joiner = await V1Client.ConnectAsync(app, room, cts.Token);
        var history = await joiner.ReceiveTypeAsync("history", cts.Token);

        Assert.Equal(Enumerable.Range(11, 50).Select(i => $"m{i}"), history.Messages().Select(m => m.Text()));
        Assert.True(history.GetProperty("more").GetBoolean());
        Assert.Equal(60, joiner.Welcome.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task ResumingFromBeyondTheKeptHistoryGetsAResetWithRecentHistory()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var room = NewRoom("window");
        await using var sender = await V1Client.ConnectAsync(app, room, cts.Token);
        var firstSeq = await sender.SendAndAckAsync("first", "c-first", cts.Token);
        for (var i = 0; i < ChatAppFixture.HistoryLength + 20; i++)
        {
            await sender.SendAsync($"m{i}", $"c{i}", cts.Token);
        }
        var lastSeq = await sender.SendAndAckAsync("last", "c-last", cts.Token);

        await using var late = await V1Client.ConnectAsync(app, room, cts.Token, epoch: sender.Epoch, after: firstSeq);
        var reset = await late.ReceiveTypeAsync("reset", cts.Token);

        Assert.False(late.Welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal("gap_too_old", reset.GetProperty("reason").GetString());
        Assert.Equal(sender.Epoch, reset.Epoch());
        Assert.Equal(50, reset.Messages().Count);
        Assert.Equal(lastSeq, reset.Messages()[^1].Seq());
    }

    [Fact]
    public async Task ResumingWithAnotherEpochGetsAReset()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = NewRoom("epoch");
        await using (var sender = await V1Client.ConnectAsync(app, room, cts.Token))
        {
            await sender.SendAndAckAsync("hello", "c1", cts.Token);
        }

        await using var client = await V1Client.ConnectAsync(app, room, cts.Token, epoch: "0123456789abcdef", after: 1);
        var reset = await client.ReceiveTypeAsync("reset", cts.Token);

        Assert.Equal("epoch_changed", reset.GetProperty("reason").GetString());
        Assert.Equal(["hello"], reset.Messages().Select(m => m.Text()));
    }
}

[Collection(ServerRedisCollection.Name)]
public sealed class HistoryOnRedisServerTests(ServerRedisApp app) : HistorySpec(app);

[Collection(GarnetRedisCollection.Name)]
public sealed class HistoryOnGarnetTests(GarnetRedisApp app) : HistorySpec(app);

[Collection(ClusterCollection.Name)]
public sealed class HistoryOnClusterTests(ClusterApp app) : HistorySpec(app);
