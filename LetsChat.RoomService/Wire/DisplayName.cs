using System.Globalization;

namespace LetsChat.RoomService.Wire;

/// <summary>Display names: trimmed, 1 to 32 characters (as people count them), and only what shows (<see cref="VisibleText.NameProblem"/>).</summary>
public static class DisplayName
{
    public const int MaxLength = 32;

    /// <summary>Null when <paramref name="raw"/> is acceptable (and <paramref name="name"/> is its trimmed form), else why not.</summary>
    public static string? Validate(string? raw, out string name)
    {
        name = raw?.Trim() ?? "";
        if (name.Length == 0)
        {
            return "A name is required.";
        }
        // Count what a reader sees (an emoji with modifiers is one), but cap the UTF-16 length too:
        // 8 code units per character is room for skin tones and joined emoji, and still bounded.
        if (new StringInfo(name).LengthInTextElements > MaxLength || name.Length > MaxLength * 8)
        {
            return $"A name is at most {MaxLength} characters.";
        }
        return VisibleText.NameProblem(name);
    }
}
