using System.Text.Json;
using System.Text.Json.Serialization;

namespace LetsChat.RoomService.Wire;

/// <summary>
/// The Django Channels tutorial's protocol: the client sends <c>{"message": "hi"}</c>, every
/// member receives <c>{"message": "hi"}</c>. Unknown inbound fields are ignored.
/// </summary>
public static class SeedProtocol
{
    private static ProtocolJsonContext s_json => ProtocolJson.Context;

    /// <summary>Reads a client frame. Returns false (with a reason for the close frame) when it is not a seed send.</summary>
    public static bool TryParseSend(ReadOnlySpan<byte> utf8, out string message, out string error)
    {
        message = "";
        try
        {
            var frame = JsonSerializer.Deserialize(utf8, s_json.SeedInbound);
            if (frame?.Message is not { } text)
            {
                error = "Expected a JSON object with a string \"message\".";
                return false;
            }
            message = text;
            error = "";
            return true;
        }
        catch (JsonException)
        {
            error = "Expected a JSON object with a string \"message\".";
            return false;
        }
    }

    /// <summary>The bytes every member of the room receives. Made once per message.</summary>
    public static byte[] EncodeMessage(string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new SeedOutbound(message), s_json.SeedOutbound);
}

internal sealed record SeedInbound([property: JsonPropertyName("message")] string? Message);

internal sealed record SeedOutbound([property: JsonPropertyName("message")] string Message);
