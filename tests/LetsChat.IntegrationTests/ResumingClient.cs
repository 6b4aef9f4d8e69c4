using System.Net.WebSockets;
using System.Text.Json;

namespace LetsChat.IntegrationTests;

/// <summary>
/// A letschat.v1 client that behaves like the chat page under faults: it keeps every send pending
/// until acked and resends it (same id) after a reconnect, reconnects with backoff, resumes from
/// the last message it saw, and records every message it receives, so a test can count what was
/// lost or duplicated.
/// </summary>
public sealed class ResumingClient(ChatAppFixture app, string room, string cookie, string name) : IAsyncDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<string, string> _pending = [];
    private readonly Lock _lock = new();
    private readonly List<(string Epoch, long Seq, string Text)> _received = [];
    private readonly HashSet<string> _acked = [];
    private readonly HashSet<string> _refused = [];
    private readonly CancellationTokenSource _stop = new();
    private TestSocket? _socket;
    private Task? _run;
    private string? _epoch;
    private long _lastSeq;

    public string Name { get; } = name;
    public Replica Replica { get; private set; } = Replica.Unknown;
    public int Connects { get; private set; }
    public int Resets { get; private set; }
    public int Refusals { get; private set; }

    public IReadOnlyList<(string Epoch, long Seq, string Text)> Received { get { lock (_lock) return [.. _received]; } }
    public IReadOnlyCollection<string> AckedTexts { get { lock (_lock) return [.. _acked]; } }

    /// <summary>Texts whose send got an error frame at least once (then retried with the same id).</summary>
    public IReadOnlyCollection<string> RefusedTexts { get { lock (_lock) return [.. _refused]; } }
    public int PendingCount { get { lock (_lock) return _pending.Count; } }

    /// <summary>Starts <paramref name="perReplica"/> clients on each of the two replicas, each with its own session.</summary>
    public static async Task<List<ResumingClient>> StartOnBothReplicasAsync(ChatAppFixture app, string room, int perReplica, CancellationToken ct)
    {
        var clients = new List<ResumingClient>();
        var replicas = new Dictionary<Replica, int>();
        for (var attempt = 0; replicas.Count < 2 || replicas.Values.Any(n => n < perReplica); attempt++)
        {
            if (attempt == 40) throw new InvalidOperationException($"could not place {perReplica} clients on each of two replicas: {string.Join(", ", replicas)}");
            var name = $"c{attempt}";
            var client = new ResumingClient(app, room, await Sessions.CreateAsync(app, name.ToUpperInvariant(), ct), name);
            await client.StartAsync(ct);
            if (replicas.GetValueOrDefault(client.Replica) < perReplica)
            {
                replicas[client.Replica] = replicas.GetValueOrDefault(client.Replica) + 1;
                clients.Add(client);
            }
            else
            {
                await client.DisposeAsync();
            }
        }
        return clients;
    }

    /// <summary>Connects once (so the caller knows the replica), then keeps the socket up in the background.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await ConnectAsync(ct);
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>When the first message was received after <see cref="Mark"/>; used to time recovery.</summary>
    public DateTimeOffset? FirstReceivedAfterMark { get; private set; }

    private bool _marked;

    /// <summary>From now on, note when the next message arrives.</summary>
    public void Mark()
    {
        lock (_lock) (_marked, FirstReceivedAfterMark) = (true, null);
    }

    private static long s_fences = 1_000_000_000; // far above any seq: the history page asked for is simply the latest
    private readonly HashSet<long> _fencesAnswered = [];

    /// <summary>
    /// Until the server answered a history request sent now: it is written to the socket behind
    /// every frame queued before it, so once it is here, they are too.
    /// </summary>
    public async Task FenceAsync(CancellationToken ct)
    {
        var before = Interlocked.Increment(ref s_fences);
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket!.SendJsonAsync(new { type = "history", before, limit = 1 }, ct);
        }
        finally
        {
            _sendLock.Release();
        }
        await Eventually.TrueAsync(() => { lock (_lock) return _fencesAnswered.Contains(before); }, ct,
            () => $"{Name}'s fence (history before {before}) answered; {this}");
    }

    /// <summary>Queues a message; it is sent now if the socket is up and again after every reconnect until acked.</summary>
    public async Task SendAsync(string id, string text)
    {
        lock (_lock) _pending[id] = text;
        await TrySendAsync(id, text);
    }

    private async Task TrySendAsync(string id, string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            if (_socket is { State: WebSocketState.Open } socket)
            {
                await socket.SendJsonAsync(new { type = "send", id, text }, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
        {
            // The socket died under us: the reconnect resends everything pending.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var query = _epoch is null ? "" : $"?epoch={_epoch}&after={_lastSeq}";
        var socket = await TestSocket.ConnectAsync(
            new Uri($"ws://{app.Gateway.Authority}/ws/chat/{room}/{query}"), ct, TestSocket.V1Protocol, cookie);
        Replica = socket.Replica;
        Connects++;
        _socket = socket;
        string[] resend;
        lock (_lock) resend = [.. _pending.Keys];
        foreach (var id in resend)
        {
            string? text;
            lock (_lock) _pending.TryGetValue(id, out text);
            if (text is not null) await TrySendAsync(id, text);
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_socket is not { State: WebSocketState.Open })
                {
                    await ConnectAsync(ct);
                    backoff = TimeSpan.FromMilliseconds(100);
                }
                await ReadUntilClosedAsync(_socket!, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or InvalidOperationException)
            {
                // Connection refused or dropped (the replica died, the gateway answered 502): back off and retry.
            }
            _socket?.Abort();
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(50)), CancellationToken.None);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
        }
    }

    private async Task ReadUntilClosedAsync(TestSocket socket, CancellationToken ct)
    {
        while (await socket.ReceiveJsonAsync(ct) is { } frame)
        {
            OnFrame(frame);
        }
    }

    private void OnFrame(JsonElement frame)
    {
        switch (frame.Type())
        {
            case "welcome":
                _epoch ??= frame.Epoch();
                break;
            case "message":
                lock (_lock)
                {
                    _received.Add((frame.Epoch(), frame.Seq(), frame.Text()));
                    (_epoch, _lastSeq) = (frame.Epoch(), frame.Seq());
                    if (_marked && FirstReceivedAfterMark is null) FirstReceivedAfterMark = DateTimeOffset.UtcNow;
                }
                break;
            case "reset":
                // The log this client knew is gone (Redis lost it): follow the new one from its start.
                lock (_lock)
                {
                    Resets++;
                    (_epoch, _lastSeq) = (frame.Epoch(), 0);
                    foreach (var m in frame.Messages())
                    {
                        _received.Add((m.Epoch(), m.Seq(), m.Text()));
                        _lastSeq = m.Seq();
                    }
                }
                break;
            case "history" when frame.TryGetProperty("before", out var fence):
                lock (_lock) _fencesAnswered.Add(fence.GetInt64());
                break;
            case "ack":
                lock (_lock)
                {
                    var id = frame.GetProperty("id").GetString()!;
                    if (_pending.Remove(id, out var text)) _acked.Add(text);
                }
                break;
            case "error":
                // "unavailable" (Redis away) and the like: nothing was stored; retry the same id shortly.
                Refusals++;
                if (frame.TryGetProperty("id", out var failed) && failed.GetString() is { } retryId)
                {
                    string? text;
                    lock (_lock)
                    {
                        _pending.TryGetValue(retryId, out text);
                        if (text is not null) _refused.Add(text);
                    }
                    if (text is not null)
                        _ = Task.Delay(300).ContinueWith(_ => TrySendAsync(retryId, text), TaskScheduler.Default).Unwrap();
                }
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run;
        if (_socket is not null) await _socket.DisposeAsync();
        _stop.Dispose();
    }

    public override string ToString() => $"{Name}: {Connects} connects, {Received.Count} received, {AckedTexts.Count} acked, {PendingCount} pending, {Resets} resets, {Refusals} refused";
}

/// <summary>Steady senders for fault tests: a message every tick, never more than a few unacknowledged.</summary>
public static class Load
{
    public static async Task SendSteadilyAsync(ResumingClient client, double perSecond, CancellationToken ct)
    {
        var n = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                // A person waits when their messages are stuck; so does this sender, past five.
                if (client.PendingCount >= 5) continue;
                n++;
                await client.SendAsync($"{client.Name}-{n}", $"{client.Name} says {n}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Until each client has <paramref name="more"/> acks beyond what it has now: the load is flowing.</summary>
    public static async Task AckedMoreAsync(IReadOnlyList<ResumingClient> clients, int more, CancellationToken ct)
    {
        var now = clients.ToDictionary(c => c, c => c.AckedTexts.Count);
        await Eventually.TrueAsync(() => clients.All(c => c.AckedTexts.Count >= now[c] + more), ct,
            () => $"{more} more acks for every client; {string.Join("; ", clients)}");
    }

    /// <summary>
    /// Waits until every send was acked and every client received every acked message, then fences
    /// each socket, so that anything the server had queued for it (a late duplicate) has arrived too.
    /// </summary>
    public static async Task SettleAsync(IReadOnlyList<ResumingClient> clients, CancellationToken ct)
    {
        await Eventually.TrueAsync(() => clients.All(c => c.PendingCount == 0), ct, () => $"every send acked; {string.Join("; ", clients)}");
        var acked = clients.SelectMany(c => c.AckedTexts).ToHashSet();
        await Eventually.TrueAsync(() => clients.All(c => acked.IsSubsetOf(c.Received.Select(r => r.Text))), ct,
            () => $"every client has every acked message; {DeliveryCounts.Of(clients)}");
        await Task.WhenAll(clients.Select(c => c.FenceAsync(ct)));
    }
}

/// <summary>Counts across a group of clients: what was acked, and what each client got of it.</summary>
public sealed record DeliveryCounts(int Acked, int Expected, int Delivered, int Lost, int Duplicated, int OutOfOrder)
{
    public static DeliveryCounts Of(IReadOnlyList<ResumingClient> clients)
    {
        var acked = clients.SelectMany(c => c.AckedTexts).ToHashSet();
        int delivered = 0, lost = 0, duplicated = 0, outOfOrder = 0;
        foreach (var client in clients)
        {
            var received = client.Received;
            var texts = received.Select(r => r.Text).ToList();
            delivered += texts.Count(acked.Contains);
            lost += acked.Count(t => !texts.Contains(t));
            duplicated += texts.Count - texts.Distinct().Count();
            outOfOrder += received.Zip(received.Skip(1)).Count(p => p.First.Epoch == p.Second.Epoch && p.Second.Seq <= p.First.Seq);
        }
        return new DeliveryCounts(acked.Count, acked.Count * clients.Count, delivered, lost, duplicated, outOfOrder);
    }

    public override string ToString() =>
        $"acked {Acked}, expected deliveries {Expected}, delivered {Delivered}, lost {Lost}, duplicated {Duplicated}, out of order {OutOfOrder}";
}
