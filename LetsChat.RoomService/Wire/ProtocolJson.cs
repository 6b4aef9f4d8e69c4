using System.Text.Encodings.Web;
using System.Text.Json;

namespace LetsChat.RoomService.Wire;

internal static class ProtocolJson
{
    public static ProtocolJsonContext Context { get; } = new(Options());

    /// <summary>
    /// Frames travel over a WebSocket, never inside HTML, so only JSON's own escaping is needed;
    /// the default encoder would turn every non-ASCII character into \uXXXX. Clients render text
    /// as text (never as HTML), so nothing here needs to be HTML-safe. Stored bodies are spliced
    /// into frames as they are (Redis/RoomRecords), so they are written with these options too.
    /// </summary>
    public static JsonSerializerOptions Options() => new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
