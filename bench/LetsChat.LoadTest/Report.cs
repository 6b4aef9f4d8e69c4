using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LetsChat.LoadTest;

/// <summary>Tables for people and JSON for scripts.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static string Line(StepResult s) =>
        $"  -> sent {s.Sent:N0} ({s.SentPerSecond:N0}/s), delivered {s.Received:N0}/{s.Expected:N0} ({s.DeliveredPerSecond:N0}/s), " +
        $"lost {s.Lost}, dup {s.Duplicated}, ooo {s.OutOfOrder}, refused {s.Refused}, p99 {s.P99 / 1000.0:N1} ms, " +
        $"generator {s.GeneratorCores:P0} core, server {s.ServerCpuPerDeliveryUs:N1} µs/delivery";

    public static string Table(Joins.Result j) =>
        $"{j.Joins:N0} v1 joins ({j.Failed:N0} failed) into {j.Rooms} rooms of {Joins.Messages} messages → {j.Target}\n" +
        $"  open to history p50/p90/p99/max   {j.P50Ms:N2} / {j.P90Ms:N2} / {j.P99Ms:N2} / {j.MaxMs:N2} ms\n" +
        (j.FirstError is null ? "" : $"  first error                       {j.FirstError}\n");

    public static string Table(StepResult s)
    {
        var t = new StringBuilder();
        void Row(string name, object value) => t.AppendLine(CultureInfo.InvariantCulture, $"  {name,-28} {value}");
        t.AppendLine(CultureInfo.InvariantCulture, $"{s.Rooms} rooms × {s.Clients} clients, {s.Senders} senders/room at {s.RatePerSender:G4} msg/s, {s.Protocol}, {s.Seconds:N1} s → {s.Target}");
        Row("connections", $"{s.ConnectionsEstablished:N0} of {s.ConnectionsAttempted:N0} ({s.ConnectionsFailed:N0} failed, {s.ConnectionsClosedEarly:N0} closed early)");
        if (s.FirstConnectError is not null) Row("first connect error", s.FirstConnectError);
        if (s.FirstCloseReason is not null) Row("first early close", s.FirstCloseReason);
        Row("messages sent", $"{s.Sent:N0} ({s.SentPerSecond:N0}/s of {s.OfferedPerSecond:N0}/s offered), {s.Refused:N0} refused");
        Row("deliveries", $"{s.Received:N0} of {s.Expected:N0} expected ({s.DeliveredPerSecond:N0}/s)");
        Row("lost / duplicated / reordered", $"{s.Lost:N0} / {s.Duplicated:N0} / {s.OutOfOrder:N0}");
        Row("latency p50/p90/p99/p99.9/max", $"{Ms(s.P50)} / {Ms(s.P90)} / {Ms(s.P99)} / {Ms(s.P999)} / {Ms(s.Max)} ms");
        if (s.Acked > 0)
        {
            Row("send to ack p50/p99", $"{Ms(s.AckP50)} / {Ms(s.AckP99)} ms ({s.Acked:N0} acks)");
        }
        Row("generator CPU", $"{s.GeneratorCores:P0} of one core");
        foreach (var p in s.Processes)
            Row($"{p.Name} ({p.Pid})", $"{p.Cores:P0} of a core, {p.CpuMs * 1000 / Math.Max(s.Received, 1):N1} µs/delivery, RSS {p.RssStartKiB / 1024.0:N0} → {p.RssEndKiB / 1024.0:N0} MiB");
        if (s.Processes.Count > 0) Row("server CPU per delivery", $"{s.ServerCpuPerDeliveryUs:N1} µs (all PIDs)");
        return t.ToString();
    }

    public static string Table(Ladder.Result ladder)
    {
        var t = new StringBuilder();
        t.AppendLine(CultureInfo.InvariantCulture, $"{"rate/sender",12} {"offered/s",10} {"sent/s",10} {"delivered/s",12} {"lost",6} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"gen core",9} {"server µs/dlv",14}");
        foreach (var s in ladder.Steps)
            t.AppendLine(CultureInfo.InvariantCulture, $"{s.RatePerSender,12:G4} {s.OfferedPerSecond,10:N0} {s.SentPerSecond,10:N0} {s.DeliveredPerSecond,12:N0} {s.Lost,6:N0} {Ms(s.P50),8} {Ms(s.P99),8} {Ms(s.Max),8} {s.GeneratorCores,9:P0} {s.ServerCpuPerDeliveryUs,14:N1}");
        t.AppendLine(ladder.Best is { } best
            ? $"best clean step: {best.DeliveredPerSecond:N0} deliveries/s ({best.RatePerSender:G4} msg/s per sender); stopped: {ladder.StoppedBecause}"
            : $"no clean step; stopped: {ladder.StoppedBecause}");
        return t.ToString();
    }

    public static string Table(Idle.Result idle)
    {
        var t = new StringBuilder();
        t.AppendLine(CultureInfo.InvariantCulture, $"idle: {idle.Established:N0} of {idle.Attempted:N0} sockets held {idle.HeldSeconds:N0} s ({idle.Failed:N0} failed{(idle.FirstError is null ? "" : ": " + idle.FirstError)})");
        foreach (var p in idle.Processes)
            t.AppendLine(CultureInfo.InvariantCulture, $"  {p.Name} ({p.Pid}): RSS {p.RssBeforeKiB / 1024.0:N1} → {p.RssAfterKiB / 1024.0:N1} MiB, {p.KiBPerConnection:N2} KiB per connection");
        if (idle.Processes.Count > 1) t.AppendLine(CultureInfo.InvariantCulture, $"  all given processes: {idle.TotalKiBPerConnection:N2} KiB per connection");
        t.AppendLine(CultureInfo.InvariantCulture, $"  generator RSS {idle.GeneratorRssKiB / 1024.0:N0} MiB");
        return t.ToString();
    }

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("N2", CultureInfo.InvariantCulture);
}
