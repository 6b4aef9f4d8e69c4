using System.Text.Json.Serialization;

namespace LetsChat.RoomService.Wire;

/// <summary>Who sent a message, as the server knows them. Clients never supply this.</summary>
public sealed record ChatUser(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name)
{
    public const string AnonymousName = "anonymous";

    /// <summary>A client without a session: one identity per socket, so presence can still count it.</summary>
    public static ChatUser Anonymous(string connectionId) => new($"anon-{connectionId}", AnonymousName);

    /// <summary>A socket's own identity (<see cref="Anonymous"/>), not a signed-in user's.</summary>
    [JsonIgnore]
    public bool IsAnonymous => Id.StartsWith("anon-", StringComparison.Ordinal);

    public static string NewId() => $"u_{Guid.NewGuid():N}"[..18];
}
