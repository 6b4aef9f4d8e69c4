using System.Buffers;

namespace LetsChat.RoomService.Wire;

/// <summary>Room names: letters, digits, '_', '-', '.', 1 to 100 characters (ASCII only).</summary>
public static class RoomName
{
    public const int MaxLength = 100;

    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.");

    /// <summary>Null when <paramref name="name"/> is a valid room name, else why not.</summary>
    public static string? Validate(string? name) => name switch
    {
        null or "" => "A room name is required.",
        { Length: > MaxLength } => $"A room name is at most {MaxLength} characters.",
        _ when name.AsSpan().ContainsAnyExcept(s_allowed) => "A room name may contain only letters, digits, '_', '-' and '.'.",
        _ => null,
    };
}
