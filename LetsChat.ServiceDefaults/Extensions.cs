using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every LetsChat service shares: OpenTelemetry, health checks, service discovery,
/// resilient HTTP clients and whose X-Forwarded-For to believe (<see cref="TrustedProxies"/>). Keeps the shape of the Aspire service-defaults template.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>ActivitySource and Meter names owned by LetsChat services; registered here so every service exports them.</summary>
    public static readonly string[] LetsChatTelemetryNames = ["LetsChat.RoomService", "LetsChat.Gateway"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.ConfigureTrustedProxies();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // LetsChat:Telemetry:TraceSampleRatio (default 1: every trace) keeps tracing affordable under
        // load, e.g. 0.01. Parent-based: a message's spans on every replica share one decision.
        // Redis calls of background work (no parent span) are not traced: see BackgroundRedisSampler.
        var ratio = builder.Configuration.GetValue("LetsChat:Telemetry:TraceSampleRatio", 1.0);

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(LetsChatTelemetryNames))
            .WithTracing(tracing => tracing
                .SetSampler(new BackgroundRedisSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(ratio, 0, 1)))))
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(LetsChatTelemetryNames)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes run every few seconds; keep them out of traces.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        // Export only when an OTLP endpoint is configured (the AppHost sets it for the dashboard).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps /health (every check: ready to serve) and /alive (only "live" checks: restart me if this fails).
    /// Mapped in every environment: the AppHost's WaitFor and the replicas' probes need them, and
    /// the gateway never forwards these paths.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
