using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// Completes a WebSocket handshake that the WebSockets middleware recognised (RFC 6455 §4.2.2) and
/// hands back the raw upgraded connection. The framework's AcceptWebSocketAsync would own the
/// outbound side; taking the connection ourselves lets every recipient's frames be written
/// straight into it (see <see cref="FrameWriter"/>).
/// </summary>
internal static class ChatUpgrade
{
    private const string Rfc6455Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static async Task<Stream> AcceptAsync(HttpContext context, string? subProtocol)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            throw new InvalidOperationException("The request cannot be upgraded.");
        }
        var headers = context.Response.Headers;
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        if (subProtocol is not null)
        {
            headers.SecWebSocketProtocol = subProtocol;
        }
        return await upgrade.UpgradeAsync(); // sends 101 Switching Protocols with Connection: Upgrade
    }

    /// <summary>
    /// Where frames are written: a pipe over the upgraded stream, so a batch of frames is copied into
    /// one buffer and handed to the connection in one write per flush. (The response's own
    /// BodyWriter refuses writes once the connection is upgraded.)
    /// </summary>
    public static PipeWriter OutputOf(Stream upgraded) =>
        PipeWriter.Create(upgraded, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));

    /// <summary>Sec-WebSocket-Accept: base64(SHA-1(key + the RFC's GUID)).</summary>
    internal static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Rfc6455Guid)));
}
