using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LetsChat.LoadTest;

/// <summary>
/// A stand-in server that only sends: every socket gets seed frames as fast as the reader takes
/// them (TCP flow control sets the pace). Used to measure how many deliveries a second the tool
/// itself can receive, which no real server on one core here can reach. Frames carry sender 0,
/// the socket's own counter and the send time (<see cref="Stopwatch"/> ticks are CLOCK_MONOTONIC,
/// comparable across processes on one machine). With <c>framesPerWrite</c> above 1 each write to
/// the connection carries that many frames: 1 against 16 gives the cost of one loopback write
/// (the floor under any server that writes each delivery on its own).
/// </summary>
public static class BlastServer
{
    public static async Task RunAsync(int port, int framesPerWrite, double framesPerSecond, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws/chat/{room}/", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest || context.Features.Get<IHttpUpgradeFeature>() is not { } upgrade)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            // The handshake by hand, so that frames can be written several to a write.
            var key = context.Request.Headers.SecWebSocketKey.ToString().Trim();
            context.Response.Headers.Upgrade = "websocket";
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept
            context.Response.Headers.SecWebSocketAccept =
                Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
            var stream = await upgrade.UpgradeAsync();
            await BlastAsync(stream, Math.Max(1, framesPerWrite), framesPerSecond, context.RequestAborted);
        });
        Console.Error.WriteLine($"blast server on http://127.0.0.1:{port}/ws/chat/{{room}}/, {framesPerWrite} frame(s) a write (Ctrl+C to stop)");
        await app.RunAsync(ct);
    }

    private static readonly byte[] s_prefix = "{\"message\":\"lt:0:"u8.ToArray();

    // Paced: one loop for every socket, as a room's delivery loop would: each tick writes
    // framesPerWrite frames to every socket (one write each), so the timer's cost is shared.
    private static readonly List<Paced> s_paced = [];
    private static Task? s_pacer;

    private sealed class Paced(Stream stream, int framesPerWrite)
    {
        public readonly Stream Stream = stream;
        public readonly byte[] Buffer = new byte[framesPerWrite * 128];
        public long Seq;
        public ValueTask Last = ValueTask.CompletedTask;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static async Task BlastAsync(Stream stream, int framesPerWrite, double framesPerSecond, CancellationToken ct)
    {
        if (framesPerSecond > 0)
        {
            var paced = new Paced(stream, framesPerWrite);
            lock (s_paced)
            {
                s_paced.Add(paced);
                s_pacer ??= Task.Run(() => PaceAsync(framesPerWrite, framesPerSecond), CancellationToken.None); // one pacer for all readers, for the process's life
            }
            using var _ = ct.Register(() => paced.Done.TrySetResult());
            await paced.Done.Task;
            lock (s_paced) s_paced.Remove(paced);
            return;
        }
        var buffer = new byte[framesPerWrite * 128];
        try
        {
            for (long seq = 0; !ct.IsCancellationRequested;)
            {
                await stream.WriteAsync(buffer.AsMemory(0, Fill(buffer, framesPerWrite, ref seq)), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private static async Task PaceAsync(int framesPerWrite, double framesPerSecond)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(framesPerWrite / framesPerSecond));
        while (await pace.WaitForNextTickAsync())
        {
            Paced[] sockets;
            lock (s_paced) sockets = [.. s_paced];
            foreach (var p in sockets)
            {
                if (!p.Last.IsCompleted)
                {
                    continue; // still flushing the previous write: this reader is behind
                }
                try
                {
                    p.Last = p.Stream.WriteAsync(p.Buffer.AsMemory(0, Fill(p.Buffer, framesPerWrite, ref p.Seq)));
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    p.Done.TrySetResult();
                }
            }
        }
    }

    // Unmasked text frames of at most 125 bytes: a two-byte header each.
    private static int Fill(byte[] buffer, int frames, ref long seq)
    {
        var at = 0;
        for (var i = 0; i < frames; i++, seq++)
        {
            var frame = buffer.AsSpan(at);
            frame[0] = 0x81;
            var payload = frame[2..];
            s_prefix.CopyTo(payload);
            var n = s_prefix.Length;
            Utf8Formatter.TryFormat(seq, payload[n..], out var w);
            n += w;
            payload[n++] = (byte)':';
            Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), payload[n..], out w);
            n += w;
            "\"}"u8.CopyTo(payload[n..]);
            n += 2;
            frame[1] = (byte)n;
            at += 2 + n;
        }
        return at;
    }
}
