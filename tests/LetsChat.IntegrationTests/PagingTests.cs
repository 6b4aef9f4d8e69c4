using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>Older history, by page: GET /api/rooms/{room}/messages and the v1 history frame; and v1's error frames.</summary>
[Collection(ServerRedisCollection.Name)]
public sealed class PagingTests(ServerRedisApp app)
{
    private async Task<string> RoomWith30MessagesAsync(CancellationToken ct)
    {
        var room = $"page-{Guid.NewGuid():N}";
        await using var sender = await V1Client.ConnectAsync(app, room, ct);
        for (var i = 1; i <= 30; i++)
        {
            await sender.SendAndAckAsync($"m{i}", $"c{i}", ct);
        }
        return room;
    }

    [Fact]
    public async Task PagesWalkBackwardsThroughTheLogWithoutGapsOrOverlap()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = await RoomWith30MessagesAsync(cts.Token);
        using var http = new HttpClient { BaseAddress = app.Gateway };

        var newest = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages?limit=10", cts.Token);
        var middle = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages?before=21&limit=10", cts.Token);
        var oldest = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages?before=11&limit=10", cts.Token);
        var beyond = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages?before=1", cts.Token);

        Assert.Equal(Enumerable.Range(21, 10).Select(i => $"m{i}"), newest.Messages().Select(m => m.Text()));
        Assert.Equal(Enumerable.Range(11, 10).Select(i => $"m{i}"), middle.Messages().Select(m => m.Text()));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"m{i}"), oldest.Messages().Select(m => m.Text()));
        Assert.True(newest.GetProperty("more").GetBoolean());
        Assert.True(middle.GetProperty("more").GetBoolean());
        Assert.False(oldest.GetProperty("more").GetBoolean());
        Assert.Empty(beyond.Messages());
        Assert.Equal(newest.Epoch(), oldest.Epoch());
    }

    [Fact]
    public async Task APageOfLargeMessagesIsCutToOneFramesBytesAndWalkingBackStillReachesEveryMessage()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var room = $"bigpage-{Guid.NewGuid():N}";
        await using (var sender = await V1Client.ConnectAsync(app, room, ct))
        {
            for (var i = 1; i <= 30; i++)
            {
                await sender.SendAndAckAsync($"m{i} " + new string('x', 3990), $"c{i}", ct); // ~4 KB each, 120 KB in all
            }
        }

        await using var client = await V1Client.ConnectAsync(app, room, ct);
        var joined = await client.ReceiveTypeAsync("history", ct);
        var seen = joined.Messages().Select(m => m.GetProperty("seq").GetInt64()).ToList();
        // 64 KiB a frame (HistoryFrameBytes): the newest 15 or so of the 30, and "more".
        Assert.InRange(seen.Count, 10, 16);
        Assert.True(joined.GetProperty("more").GetBoolean());
        Assert.Equal(30, seen[^1]);
        while (seen[0] > 1)
        {
            await client.SendFrameAsync(new { type = "history", before = seen[0], limit = 100 }, ct);
            var page = await client.ReceiveTypeAsync("history", ct);
            var seqs = page.Messages().Select(m => m.GetProperty("seq").GetInt64()).ToList();
            Assert.InRange(seqs.Count, 1, 16);
            Assert.Equal(seen[0] - 1, seqs[^1]); // no gap, no overlap
            Assert.Equal(seqs[0] > 1, page.GetProperty("more").GetBoolean());
            seen.InsertRange(0, seqs);
        }
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), seen);

        using var http = new HttpClient { BaseAddress = app.Gateway };
        var api = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/{room}/messages?limit=100", ct);
        Assert.InRange(api.Messages().Count, 10, 17); // the same byte budget, read from Redis
        Assert.True(api.GetProperty("more").GetBoolean());
    }

    [Fact]
    public async Task TheHistoryFrameReturnsTheSamePages()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var room = await RoomWith30MessagesAsync(cts.Token);
        await using var client = await V1Client.ConnectAsync(app, room, cts.Token);
        await client.ReceiveTypeAsync("history", cts.Token); // the join's history

        await client.SendFrameAsync(new { type = "history", before = 11, limit = 5 }, cts.Token);
        var page = await client.ReceiveTypeAsync("history", cts.Token);

        Assert.Equal(Enumerable.Range(6, 5).Select(i => $"m{i}"), page.Messages().Select(m => m.Text()));
        Assert.Equal(11, page.GetProperty("before").GetInt64());
        Assert.True(page.GetProperty("more").GetBoolean());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("before=0")]
    [InlineData("before=-5")]
    [InlineData("before=abc")]
    public async Task OutOfBoundsPagingIsRefusedWithProblemDetails(string query)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        using var response = await http.GetAsync($"/api/rooms/lobby/messages?{query}", cts.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnEmptyRoomHasNoEpochAndNoMessages()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = app.Gateway };

        var page = await http.GetFromJsonAsync<JsonElement>($"/api/rooms/never-{Guid.NewGuid():N}/messages", cts.Token);

        Assert.Equal(JsonValueKind.Null, page.GetProperty("epoch").ValueKind);
        Assert.Empty(page.Messages());
    }

    public static TheoryData<string, string> BadV1Frames => new()
    {
        { """{"type":"history","limit":0}""", "invalid_limit" },
        { """{"type":"history","limit":101}""", "invalid_limit" },
        { """{"type":"history","before":0}""", "invalid_before" },
        { """{"type":"send","text":"no id"}""", "invalid_id" },
        { """{"type":"send","id":"has space","text":"x"}""", "invalid_id" },
        { """{"type":"send","id":"c1"}""", "invalid_text" },
        { """{"type":"send","id":"c1","text":"   "}""", "empty_text" },
        { """{"type":"dance"}""", "unknown_type" },
        { """{"text":"no type"}""", "unknown_type" },
    };

    [Theory]
    [MemberData(nameof(BadV1Frames))]
    public async Task BadV1RequestsGetAnErrorFrameAndTheSocketStaysOpen(string frame, string code)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await V1Client.ConnectAsync(app, $"err-{Guid.NewGuid():N}", cts.Token);

        await client.SendFrameAsync(JsonDocument.Parse(frame).RootElement, cts.Token);
        var error = await client.ReceiveTypeAsync("error", cts.Token);

        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.NotEmpty(error.GetProperty("message").GetString()!);
        Assert.Equal("ok", (await SendOkAsync(client, cts.Token)).Text());
    }

    [Fact]
    public async Task AMessageOverTheLengthLimitGetsAnErrorNamingItsId()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = await V1Client.ConnectAsync(app, $"long-{Guid.NewGuid():N}", cts.Token);

        await client.SendAsync(new string('x', 4001), "too-long", cts.Token);
        var error = await client.ReceiveTypeAsync("error", cts.Token);

        Assert.Equal("text_too_long", error.GetProperty("code").GetString());
        Assert.Equal("too-long", error.GetProperty("id").GetString());
    }

    private static async Task<JsonElement> SendOkAsync(V1Client client, CancellationToken ct)
    {
        await client.SendAsync("ok", "ok-1", ct);
        return await client.ReceiveTypeAsync("message", ct);
    }
}
