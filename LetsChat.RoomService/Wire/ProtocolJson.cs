using System.Text.Encodings.Web;
using System.Text.Json;

namespace LetsChat.RoomService.Wire;

internal static class ProtocolJson
{
    /// <summary>
    /// Frames travel over a WebSocket, never inside HTML, so only JSON's own escaping is needed;
    /// the default encoder would turn every non-ASCII character into \uXXXX. Clients render text
    /// as text (never as HTML), so nothing here needs to be HTML-safe.
    /// </summary>
    public static ProtocolJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
