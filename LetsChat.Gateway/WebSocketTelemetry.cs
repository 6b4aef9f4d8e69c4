using System.Diagnostics.Metrics;

namespace LetsChat.Gateway;

/// <summary>
/// Meter "LetsChat.Gateway": WebSockets the gateway is proxying right now. An upgrade request
/// stays in the pipeline for the socket's whole life, so counting requests in flight counts sockets.
/// </summary>
public static class WebSocketTelemetry
{
    public const string MeterName = "LetsChat.Gateway";

    public static WebApplication UseWebSocketTelemetry(this WebApplication app)
    {
        var meter = app.Services.GetRequiredService<IMeterFactory>().Create(MeterName);
        var active = meter.CreateUpDownCounter<long>("letschat.gateway.websockets.active", "{connection}", "WebSockets being proxied.");
        var total = meter.CreateCounter<long>("letschat.gateway.websockets.opened", "{connection}", "WebSocket upgrades proxied.");
        app.Use(async (context, next) =>
        {
            if (!context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }
            active.Add(1);
            total.Add(1);
            try
            {
                await next(context);
            }
            finally
            {
                active.Add(-1);
            }
        });
        return app;
    }
}
