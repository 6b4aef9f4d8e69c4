using System.Net.WebSockets;

namespace LetsChat.RoomService.Wire;

/// <summary>WebSocket close codes LetsChat uses that <see cref="WebSocketCloseStatus"/> has no name for.</summary>
public static class CloseCodes
{
    /// <summary>1013 Try Again Later: the server cannot serve this socket now (slow consumer, Redis down).</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
}
