using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LetsChat.IntegrationTests;

/// <summary>A span as exported over OTLP: ids in lowercase hex, attributes as strings.</summary>
public sealed record ReceivedSpan(
    string Service, string Instance, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<(string TraceId, string SpanId)> Links, DateTimeOffset Start)
{
    public bool IsRoot => ParentSpanId.Length == 0;

    public const int Server = 2, Client = 3, Producer = 4, Consumer = 5;
}

/// <summary>One exported metric data point: counters and gauges as a number, histograms as their count.</summary>
public sealed record ReceivedPoint(string Service, string Instance, string Metric, double Value, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver inside the test process: the app's services export their
/// traces and metrics to it, exactly as they would to the Aspire dashboard or a collector.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    public ConcurrentQueue<ReceivedPoint> Points { get; } = new();

    private readonly ConcurrentDictionary<string, int> _metricExports = new();

    /// <summary>Metric exports received so far from each "service/instance".</summary>
    public IReadOnlyDictionary<string, int> MetricExports => new Dictionary<string, int>(_metricExports);

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint => _app.Urls.First();

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) => { receiver.ReadTraces(await BodyAsync(request)); return Results.Ok(); });
        app.MapPost("/v1/metrics", async (HttpRequest request) => { receiver.ReadMetrics(await BodyAsync(request)); return Results.Ok(); });
        app.MapPost("/v1/logs", () => Results.Ok());
        await app.StartAsync();
        return receiver;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>The newest cumulative value of <paramref name="metric"/> on each service instance, summed.</summary>
    public double Latest(string service, string metric, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        Points.Where(p => p.Service == service && p.Metric == metric && (where is null || where(p.Attributes)))
            .GroupBy(p => (p.Instance, Key: string.Join(",", p.Attributes.OrderBy(a => a.Key))))
            .Sum(g => g.Last().Value);

    private static async Task<byte[]> BodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    // ExportTraceServiceRequest: resource_spans(1) { resource(1), scope_spans(2) { spans(2) } }
    private void ReadTraces(byte[] body)
    {
        var request = new ProtoReader(body);
        while (request.Next())
        {
            if (request.Field != 1) { request.Skip(); continue; }
            var resourceSpans = new ProtoReader(request.ReadBytes());
            var (service, instance) = ("", "");
            var scopes = new List<byte[]>();
            while (resourceSpans.Next())
            {
                if (resourceSpans.Field == 1) (service, instance) = ReadResource(resourceSpans.ReadBytes());
                else if (resourceSpans.Field == 2) scopes.Add(resourceSpans.ReadBytes().ToArray());
                else resourceSpans.Skip();
            }
            foreach (var scope in scopes)
            {
                var scopeSpans = new ProtoReader(scope);
                while (scopeSpans.Next())
                {
                    if (scopeSpans.Field == 2) Spans.Enqueue(ReadSpan(scopeSpans.ReadBytes(), service, instance));
                    else scopeSpans.Skip();
                }
            }
        }
    }

    // Span: trace_id(1) span_id(2) parent_span_id(4) name(5) kind(6) start_time_unix_nano(7) attributes(9) links(13)
    private static ReceivedSpan ReadSpan(ReadOnlySpan<byte> bytes, string service, string instance)
    {
        var span = new ProtoReader(bytes);
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var start = DateTimeOffset.UnixEpoch;
        var attributes = new Dictionary<string, string>();
        var links = new List<(string, string)>();
        while (span.Next())
        {
            switch (span.Field)
            {
                case 1: traceId = Convert.ToHexStringLower(span.ReadBytes()); break;
                case 2: spanId = Convert.ToHexStringLower(span.ReadBytes()); break;
                case 4: parent = Convert.ToHexStringLower(span.ReadBytes()); break;
                case 5: name = span.ReadString(); break;
                case 6: kind = (int)span.ReadVarint(); break;
                case 7: start = DateTimeOffset.UnixEpoch.AddTicks((long)(span.ReadFixed64() / 100)); break;
                case 9: AddAttribute(attributes, span.ReadBytes()); break;
                case 13:
                    var link = new ProtoReader(span.ReadBytes());
                    string linkTrace = "", linkSpan = "";
                    while (link.Next())
                    {
                        if (link.Field == 1) linkTrace = Convert.ToHexStringLower(link.ReadBytes());
                        else if (link.Field == 2) linkSpan = Convert.ToHexStringLower(link.ReadBytes());
                        else link.Skip();
                    }
                    links.Add((linkTrace, linkSpan));
                    break;
                default: span.Skip(); break;
            }
        }
        return new ReceivedSpan(service, instance, traceId, spanId, parent, name, kind, attributes, links, start);
    }

    // ExportMetricsServiceRequest: resource_metrics(1) { resource(1), scope_metrics(2) { metrics(2) } }
    private void ReadMetrics(byte[] body)
    {
        var request = new ProtoReader(body);
        while (request.Next())
        {
            if (request.Field != 1) { request.Skip(); continue; }
            var resourceMetrics = new ProtoReader(request.ReadBytes());
            var (service, instance) = ("", "");
            var scopes = new List<byte[]>();
            while (resourceMetrics.Next())
            {
                if (resourceMetrics.Field == 1) (service, instance) = ReadResource(resourceMetrics.ReadBytes());
                else if (resourceMetrics.Field == 2) scopes.Add(resourceMetrics.ReadBytes().ToArray());
                else resourceMetrics.Skip();
            }
            foreach (var scope in scopes)
            {
                var scopeMetrics = new ProtoReader(scope);
                while (scopeMetrics.Next())
                {
                    if (scopeMetrics.Field == 2) ReadMetric(scopeMetrics.ReadBytes(), service, instance);
                    else scopeMetrics.Skip();
                }
            }
            _metricExports.AddOrUpdate($"{service}/{instance}", 1, (_, n) => n + 1);
        }
    }

    // Metric: name(1) gauge(5) sum(7) histogram(9); each holds data_points(1).
    private void ReadMetric(ReadOnlySpan<byte> bytes, string service, string instance)
    {
        var metric = new ProtoReader(bytes);
        var name = "";
        while (metric.Next())
        {
            switch (metric.Field)
            {
                case 1: name = metric.ReadString(); break;
                case 5 or 7 or 9:
                    var histogram = metric.Field == 9;
                    var data = new ProtoReader(metric.ReadBytes());
                    while (data.Next())
                    {
                        if (data.Field == 1) Points.Enqueue(ReadPoint(data.ReadBytes(), histogram, service, instance, name));
                        else data.Skip();
                    }
                    break;
                default: metric.Skip(); break;
            }
        }
    }

    // NumberDataPoint: as_double(4) as_int(6) attributes(7). HistogramDataPoint: count(4) attributes(9).
    private static ReceivedPoint ReadPoint(ReadOnlySpan<byte> bytes, bool histogram, string service, string instance, string name)
    {
        var point = new ProtoReader(bytes);
        var value = 0.0;
        var attributes = new Dictionary<string, string>();
        while (point.Next())
        {
            switch (point.Field, histogram)
            {
                case (4, false): value = BitConverter.UInt64BitsToDouble(point.ReadFixed64()); break;
                case (6, false): value = (long)point.ReadFixed64(); break;
                case (7, false): AddAttribute(attributes, point.ReadBytes()); break;
                case (4, true): value = point.ReadFixed64(); break;
                case (9, true): AddAttribute(attributes, point.ReadBytes()); break;
                default: point.Skip(); break;
            }
        }
        return new ReceivedPoint(service, instance, name, value, attributes);
    }

    private static (string Service, string Instance) ReadResource(ReadOnlySpan<byte> bytes)
    {
        var resource = new ProtoReader(bytes);
        var attributes = new Dictionary<string, string>();
        while (resource.Next())
        {
            if (resource.Field == 1) AddAttribute(attributes, resource.ReadBytes());
            else resource.Skip();
        }
        return (attributes.GetValueOrDefault("service.name", ""), attributes.GetValueOrDefault("service.instance.id", ""));
    }

    // KeyValue: key(1) value(2) AnyValue { string(1) bool(2) int(3) double(4) }
    private static void AddAttribute(Dictionary<string, string> attributes, ReadOnlySpan<byte> bytes)
    {
        var keyValue = new ProtoReader(bytes);
        string key = "", value = "";
        while (keyValue.Next())
        {
            if (keyValue.Field == 1) { key = keyValue.ReadString(); continue; }
            if (keyValue.Field != 2) { keyValue.Skip(); continue; }
            var any = new ProtoReader(keyValue.ReadBytes());
            while (any.Next())
            {
                value = any.Field switch
                {
                    1 => any.ReadString(),
                    2 => (any.ReadVarint() != 0).ToString(),
                    3 => ((long)any.ReadVarint()).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    4 => BitConverter.UInt64BitsToDouble(any.ReadFixed64()).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => Skipped(ref any),
                };
            }
        }
        attributes[key] = value;
    }

    private static string Skipped(ref ProtoReader reader)
    {
        reader.Skip();
        return "";
    }
}
