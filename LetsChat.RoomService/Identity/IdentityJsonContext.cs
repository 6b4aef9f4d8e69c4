using System.Text.Json.Serialization;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Identity;

public sealed record SessionRequest([property: JsonPropertyName("name")] string? Name);

[JsonSerializable(typeof(ChatUser))]
[JsonSerializable(typeof(SessionRequest))]
internal sealed partial class IdentityJsonContext : JsonSerializerContext;
