using System.Diagnostics;

namespace LetsChat.LoadTest;

/// <summary>A line a second while a step runs: sockets, sends, deliveries and the delivery rate.</summary>
public sealed class Progress : IDisposable
{
    private readonly Timer _timer;

    private Progress(TextWriter output, Receiver[] receivers, RoomLoad[] rooms, Stopwatch clock)
    {
        var lastReceived = 0L;
        var lastAt = TimeSpan.Zero;
        _timer = new Timer(_ =>
        {
            var received = receivers.Sum(r => Volatile.Read(ref r.Received));
            var sent = rooms.Sum(room => Enumerable.Range(0, room.Senders).Sum(room.Sent));
            var now = clock.Elapsed;
            var rate = (received - lastReceived) / Math.Max((now - lastAt).TotalSeconds, 0.001);
            (lastReceived, lastAt) = (received, now);
            output.WriteLine($"  {now.TotalSeconds,6:F1}s  sockets {receivers.Length,6:N0}  sent {sent,10:N0}  received {received,12:N0}  {rate,10:N0}/s");
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public static Progress Start(TextWriter output, Receiver[] receivers, RoomLoad[] rooms, Stopwatch clock) =>
        new(output, receivers, rooms, clock);

    public void Dispose() => _timer.Dispose();
}
