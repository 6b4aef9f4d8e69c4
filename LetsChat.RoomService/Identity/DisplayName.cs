using System.Globalization;

namespace LetsChat.RoomService.Identity;

/// <summary>Display names: trimmed, 1 to 32 characters (as people count them), no control or direction-override characters.</summary>
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
        foreach (var c in name)
        {
            if (char.IsControl(c) || IsInvisibleTrick(c))
            {
                return "A name may not contain control, line-break or text-direction characters.";
            }
        }
        return null;
    }

    // Line/paragraph separators and bidi embeddings/overrides/isolates: they let a name reorder or
    // break the text around it.
    private static bool IsInvisibleTrick(char c) =>
        c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F';
}
