using System.Net.Http.Json;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>Who is here, who is typing, which rooms are busy; and seed sockets never see any of it.</summary>
[Collection(ServerRedisCollection.Name)]
public sealed class PresenceTests(ServerRedisApp app)
{
    [Fact]
    public async Task JoinsAndLeavesAreBroadcastAndTheSnapshotListsEveryone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"here-{Guid.NewGuid():N}";
        var ana = await Sessions.CreateAsync(app, "Ana", cts.Token);
        var ben = await Sessions.CreateAsync(app, "Ben", cts.Token);
        var cy = await Sessions.CreateAsync(app, "Cy", cts.Token);

        // Ben, then Ana on the other replica: Ana's snapshot must list Ben across replicas.
        await using var benSocket = await V1Client.ConnectAsync(app, room, cts.Token, cookie: ben);
        await using var anaSocket = await V1Client.ConnectElsewhereAsync(app, room, benSocket.Replica, cts.Token, cookie: ana);
        var snapshot = await anaSocket.ReceiveTypeAsync("presence", cts.Token);
        Assert.Equal("snapshot", snapshot.GetProperty("event").GetString());
        Assert.Equal(["Ana", "Ben"], snapshot.GetProperty("members").EnumerateArray().Select(u => u.GetProperty("name").GetString()).Order());

        // Cy comes and goes: both are announced (Cy connects once, so these events are Cy's only socket).
        var cySocket = await V1Client.ConnectAsync(app, room, cts.Token, cookie: cy);
        Assert.Equal("Cy", (await anaSocket.ReceivePresenceAsync("join", "Cy", cts.Token)).UserName());
        Assert.Equal("Cy", (await benSocket.ReceivePresenceAsync("join", "Cy", cts.Token)).UserName());
        await cySocket.DisposeAsync();
        Assert.Equal("Cy", (await anaSocket.ReceivePresenceAsync("leave", "Cy", cts.Token)).UserName());
        Assert.Equal("Cy", (await benSocket.ReceivePresenceAsync("leave", "Cy", cts.Token)).UserName());
    }

    [Fact]
    public async Task ACrowdAnnouncesNoJoinsPastItsListedMembersAndSendsItsCountInstead()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = $"crowd-{Guid.NewGuid():N}";
        const int Listed = 100, Others = 149; // LetsChat:Rooms:PresenceListed, its default
        await using var ana = await V1Client.ConnectAsync(app, room, ct, cookie: await Sessions.CreateAsync(app, "Ana", ct));
        var others = new List<V1Client>();
        try
        {
            for (var i = 0; i < Others; i++)
            {
                others.Add(await V1Client.ConnectAsync(app, room, ct));
            }
            // A joiner now: the first Listed users and the count of all (Ana, the others, itself).
            await using var late = await V1Client.ConnectAsync(app, room, ct);
            var snapshot = await late.ReceiveTypeAsync("presence", ct);
            Assert.Equal(("snapshot", Listed, Others + 2L),
                (snapshot.GetProperty("event").GetString(), snapshot.GetProperty("members").GetArrayLength(), snapshot.GetProperty("count").GetInt64()));

            // Ana heard the joins up to Listed users (hers first), then, by the next heartbeat, the count.
            var joins = 0;
            JsonElement frame;
            // (A heartbeat during the joins may have sent a smaller count first.)
            while ((frame = await ana.ReceiveTypeAsync("presence", ct)).GetProperty("event").GetString() is var kind
                && !(kind == "count" && frame.GetProperty("count").GetInt64() == Others + 2))
            {
                if (kind == "join") joins++;
            }
            Assert.Equal(Listed, joins); // her own join included
        }
        finally
        {
            foreach (var other in others) await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task TypingReachesOthersAtMostOncePerIntervalAndNeverTheTypist()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"typing-{Guid.NewGuid():N}";
        await using var ana = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ana", cts.Token));
        await using var ben = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ben", cts.Token));

        for (var i = 0; i < 5; i++)
        {
            await ben.SendFrameAsync(new { type = "typing" }, cts.Token);
        }
        await ben.SendAndAckAsync("done typing", "c1", cts.Token);

        var seenByAna = await FramesUntilMessageAsync(ana, cts.Token);
        Assert.Equal(["typing"], seenByAna.Where(f => f.Type() != "presence").Select(f => f.Type()));
        Assert.Equal("Ben", seenByAna.Single(f => f.Type() == "typing").UserName());
        var seenByBen = await FramesUntilMessageAsync(ben, cts.Token);
        Assert.DoesNotContain(seenByBen, f => f.Type() == "typing");
    }

    [Fact]
    public async Task ActiveRoomsAreListedWithMemberCountsMostMembersFirst()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var busy = $"busy-{Guid.NewGuid():N}";
        var quiet = $"quiet-{Guid.NewGuid():N}";
        var sockets = new List<V1Client>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                sockets.Add(await V1Client.ConnectAsync(app, busy, cts.Token));
            }
            // Users, not sockets: one person in two tabs counts once.
            var ana = await Sessions.CreateAsync(app, "Ana", cts.Token);
            sockets.Add(await V1Client.ConnectAsync(app, busy, cts.Token, cookie: ana));
            sockets.Add(await V1Client.ConnectAsync(app, busy, cts.Token, cookie: ana));
            sockets.Add(await V1Client.ConnectAsync(app, quiet, cts.Token));
            using var http = new HttpClient { BaseAddress = app.Gateway };

            var rooms = (await http.GetFromJsonAsync<JsonElement>("/api/rooms?limit=100", cts.Token)).EnumerateArray().ToList();

            var counts = rooms.ToDictionary(r => r.GetProperty("room").GetString()!, r => r.GetProperty("members").GetInt64());
            Assert.Equal(3, counts[busy]);
            Assert.Equal(1, counts[quiet]);
            var order = rooms.Select(r => r.GetProperty("room").GetString()).ToList();
            Assert.True(order.IndexOf(busy) < order.IndexOf(quiet));
            Assert.True(rooms.Select(r => r.GetProperty("members").GetInt64()).SequenceEqual(rooms.Select(r => r.GetProperty("members").GetInt64()).OrderDescending()));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SeedSocketsInAV1RoomGetOnlyMessageFrames()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = $"mixed-{Guid.NewGuid():N}";
        await using var seed = await ChatClient.ConnectAsync(app.WebSocketUri(room), cts.Token);
        await using var v1 = await V1Client.ConnectAsync(app, room, cts.Token, cookie: await Sessions.CreateAsync(app, "Ana", cts.Token));

        await v1.SendFrameAsync(new { type = "typing" }, cts.Token);
        await v1.SendAndAckAsync("from v1", "c1", cts.Token);
        await seed.SendAsync("from seed", cts.Token);

        // ReceiveMessageAsync fails on any frame without "message": presence and typing never reach seed.
        Assert.Equal("from v1", await seed.ReceiveMessageAsync(cts.Token));
        Assert.Equal("from seed", await seed.ReceiveMessageAsync(cts.Token));
        var fromSeed = (await v1.ReceiveMessagesAsync(2, cts.Token))[1];
        Assert.Equal("from seed", fromSeed.Text());
        Assert.Equal("anonymous", fromSeed.UserName());
    }

    private static async Task<List<JsonElement>> FramesUntilMessageAsync(V1Client client, CancellationToken ct)
    {
        var frames = new List<JsonElement>();
        while (true)
        {
            var frame = await client.ReceiveAsync(ct);
            if (frame.Type() == "message")
            {
                return frames;
            }
            if (frame.Type() is not ("ack" or "history"))
            {
                frames.Add(frame);
            }
        }
    }
}
