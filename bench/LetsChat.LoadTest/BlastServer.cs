using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LetsChat.LoadTest;

/// <summary>
/// A stand-in server that only sends: every socket gets seed frames as fast as the reader takes
/// them (TCP flow control sets the pace). Used to measure how many deliveries a second the tool
/// itself can receive, which no real server on one core here can reach. Frames carry sender 0,
/// the socket's own counter and the send time (<see cref="Stopwatch"/> ticks are CLOCK_MONOTONIC,
/// comparable across processes on one machine).
/// </summary>
public static class BlastServer
{
    public static async Task RunAsync(int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws/chat/{room}/", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await BlastAsync(socket, context.RequestAborted);
        });
        Console.Error.WriteLine($"blast server on http://127.0.0.1:{port}/ws/chat/{{room}}/ (Ctrl+C to stop)");
        await app.RunAsync(ct);
    }

    private static async Task BlastAsync(WebSocket socket, CancellationToken ct)
    {
        var frame = new byte[128];
        "{\"message\":\"lt:0:"u8.CopyTo(frame);
        var prefix = "{\"message\":\"lt:0:"u8.Length;
        try
        {
            for (long seq = 0; socket.State == WebSocketState.Open; seq++)
            {
                var at = prefix;
                Utf8Formatter.TryFormat(seq, frame.AsSpan(at), out var n);
                at += n;
                frame[at++] = (byte)':';
                Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), frame.AsSpan(at), out n);
                at += n;
                "\"}"u8.CopyTo(frame.AsSpan(at));
                await socket.SendAsync(frame.AsMemory(0, at + 2), WebSocketMessageType.Text, true, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }
}
