using System.Security.Cryptography;
using System.Text;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// The server's half of the WebSocket handshake (RFC 6455 §4.2.2), for an upgrade that the
/// WebSockets middleware recognised and <see cref="ChatEndpoint"/> accepted. The 101 is written
/// on the raw connection once the HTTP layer has handed it over (<see cref="ChatHandoff"/>).
/// </summary>
internal static class ChatUpgrade
{
    private const string Rfc6455Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The complete 101 response: its bytes go out before any frame.</summary>
    public static byte[] SwitchingProtocols(string secWebSocketKey, string? subProtocol, string replica)
    {
        var response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n")
            .Append("Sec-WebSocket-Accept: ").Append(AcceptKey(secWebSocketKey)).Append("\r\n");
        if (subProtocol is not null)
        {
            response.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }
        response.Append(ReplicaIdentity.HeaderName).Append(": ").Append(replica).Append("\r\n\r\n");
        return Encoding.ASCII.GetBytes(response.ToString());
    }

    /// <summary>Sec-WebSocket-Accept: base64(SHA-1(key + the RFC's GUID)).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 fixes SHA-1 here; it proves the server read the key, it protects nothing.")]
    internal static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Rfc6455Guid)));
}
