using System.Diagnostics;
using System.Net.WebSockets;
using HdrHistogram;

namespace LetsChat.LoadTest;

/// <summary>
/// One socket's view of its room: which of each sender's messages arrived, how often, in what order,
/// and how late. Only its own receive loop writes to it; totals are read after the loop ends
/// (or as rough progress while it runs).
/// </summary>
public sealed class Receiver(ClientWebSocket socket, RoomLoad room, ChatProtocol protocol)
{
    private readonly SenderTrack[] _tracks = Enumerable.Range(0, room.Senders).Select(_ => new SenderTrack()).ToArray();

    public ClientWebSocket Socket { get; } = socket;
    public RoomLoad Room { get; } = room;
    public long Received;
    public long Duplicates;
    public long OutOfOrder;
    public long Errors;
    /// <summary>Why the server closed the socket before the tool did, if it did.</summary>
    public string? ClosedEarly { get; private set; }

    /// <summary>Distinct messages of <paramref name="sender"/> this socket received.</summary>
    public long Distinct(int sender) => _tracks[sender].Distinct;

    public async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer.AsMemory(filled), ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedEarly = $"{(int?)Socket.CloseStatus} {Socket.CloseStatusDescription}".Trim();
                    return;
                }
                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    // A frame bigger than the buffer (a long history on join): grow and keep reading.
                    if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    continue;
                }
                Record(buffer.AsSpan(0, filled));
                filled = 0;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (WebSocketException e)
        {
            ClosedEarly ??= e.WebSocketErrorCode.ToString();
        }
    }

    private void Record(ReadOnlySpan<byte> frame)
    {
        switch (Wire.Read(frame, protocol, out var sender, out var seq, out var sentAt))
        {
            case Wire.Kind.Error:
                Interlocked.Increment(ref Errors);
                return;
            case Wire.Kind.Ack:
                Room.RecordAckLatency((Stopwatch.GetTimestamp() - sentAt) * 1_000_000 / Stopwatch.Frequency);
                return;
            case Wire.Kind.Message when (uint)sender < (uint)_tracks.Length && seq >= 0:
                var latencyUs = (Stopwatch.GetTimestamp() - sentAt) * 1_000_000 / Stopwatch.Frequency;
                switch (_tracks[sender].Add(seq))
                {
                    case SenderTrack.Outcome.Duplicate:
                        Interlocked.Increment(ref Duplicates);
                        return;
                    case SenderTrack.Outcome.OutOfOrder:
                        Interlocked.Increment(ref OutOfOrder);
                        break;
                }
                Interlocked.Increment(ref Received);
                Room.RecordLatency(latencyUs);
                return;
        }
    }
}

/// <summary>The set of one sender's message numbers a receiver has seen, as a growable bitmap.</summary>
public sealed class SenderTrack
{
    public enum Outcome { InOrder, OutOfOrder, Duplicate }

    private ulong[] _seen = new ulong[4];
    private long _highest = -1;

    public long Distinct { get; private set; }

    public Outcome Add(long seq)
    {
        var word = (int)(seq >> 6);
        if (word >= _seen.Length) Array.Resize(ref _seen, Math.Max(word + 1, _seen.Length * 2));
        var bit = 1UL << (int)(seq & 63);
        if ((_seen[word] & bit) != 0) return Outcome.Duplicate;
        _seen[word] |= bit;
        Distinct++;
        if (seq < _highest) return Outcome.OutOfOrder;
        _highest = seq;
        return Outcome.InOrder;
    }
}

/// <summary>One room of the load: its name, how many each of its senders sent, and its latency histogram.</summary>
public sealed class RoomLoad(string name, int senders)
{
    // 1 µs to 60 s at 3 significant digits.
    private readonly LongHistogram _latency = new(1, 60_000_000, 3);
    private readonly LongHistogram _ackLatency = new(1, 60_000_000, 3);
    private readonly long[] _sent = new long[senders];

    public string Name { get; } = name;
    public int Senders { get; } = senders;
    public List<Receiver> Receivers { get; } = [];

    public long Sent(int sender) => Volatile.Read(ref _sent[sender]);
    public void CountSend(int sender) => Interlocked.Increment(ref _sent[sender]);

    public void RecordLatency(long microseconds)
    {
        lock (_latency) _latency.RecordValue(Math.Clamp(microseconds, 1, 60_000_000));
    }

    /// <summary>v1: a send's round trip to its ack (stored, and durable as the server's Redis is configured).</summary>
    public void RecordAckLatency(long microseconds)
    {
        lock (_ackLatency) _ackLatency.RecordValue(Math.Clamp(microseconds, 1, 60_000_000));
    }

    public void AddLatenciesTo(HistogramBase total, HistogramBase acks)
    {
        lock (_latency) total.Add(_latency);
        lock (_ackLatency) acks.Add(_ackLatency);
    }
}
