using System.Buffers;
using System.Globalization;
using System.Text;

namespace LetsChat.RoomService.Wire;

/// <summary>
/// Text that shows what it says: the rules for display names and message text, by Unicode
/// category (a hand list only where the category does not tell). A name must look like one
/// name and nothing else (no invisible characters, no blank-looking letters, no reordering); a
/// message may hold any script and emoji but nothing that reorders or hides the text around it.
/// </summary>
public static class VisibleText
{
    /// <summary>Combining marks one character may carry: enough for any script, not for a wall of stacked marks.</summary>
    public const int MaxMarksPerCharacter = 4;

    /// <summary>Null when <paramref name="text"/> may be a message's text, else why not (<c>invalid_text</c>).</summary>
    public static string? MessageProblem(string text)
    {
        foreach (var (rune, valid) in Runes(text))
        {
            if (!valid)
            {
                return "The text is not valid Unicode (a lone surrogate).";
            }
            if (rune.Value is '\n' or '\t')
            {
                continue;
            }
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return "The text may not contain control characters (line breaks are \\n).";
                case UnicodeCategory.Format when IsBidiOverride(rune):
                    return "The text may not contain text-direction overrides, embeddings or isolates.";
            }
        }
        return MarksProblem(text);
    }

    /// <summary>
    /// Null when <paramref name="name"/> (already trimmed) may be a display name, else why not
    /// (<c>invalid_name</c>): no control, format, separator or private-use characters (a joiner
    /// only inside an emoji or word), one kind of space, and at least one visible character.
    /// </summary>
    public static string? NameProblem(string name)
    {
        var visible = false;
        Rune previous = default;
        var runes = Runes(name).ToList();
        for (var i = 0; i < runes.Count; i++)
        {
            var (rune, valid) = runes[i];
            if (!valid)
            {
                return "A name must be valid Unicode.";
            }
            var category = Rune.GetUnicodeCategory(rune);
            switch (category)
            {
                case UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return "A name may not contain control or line-break characters.";
                case UnicodeCategory.Format when IsJoiner(rune) && i > 0 && i < runes.Count - 1 && IsVisible(previous) && IsVisible(runes[i + 1].Rune):
                    break; // the ZWJ of 👩‍🚀, the ZWNJ of Persian words
                case UnicodeCategory.Format:
                    return "A name may not contain invisible or text-direction characters.";
                case UnicodeCategory.SpaceSeparator when rune.Value != ' ':
                    return "A name may use only the ordinary space.";
                case UnicodeCategory.PrivateUse:
                    return "A name may not contain private-use characters.";
            }
            if (IsVisible(rune))
            {
                visible = true;
            }
            previous = rune;
        }
        return !visible ? "A name needs at least one visible letter, digit or symbol." : MarksProblem(name);
    }

    // Letters, digits, punctuation and symbols show; the blank "letters" below are letters by
    // category but draw nothing (Hangul fillers, the braille blank), so they are named here.
    private static bool IsVisible(Rune rune) =>
        IsLetterNumberPunctuationOrSymbol(Rune.GetUnicodeCategory(rune)) && rune.Value is not (0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800);

    private static bool IsLetterNumberPunctuationOrSymbol(UnicodeCategory c) => c switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation => true,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => true,
        _ => false,
    };

    private static bool IsJoiner(Rune rune) => rune.Value is 0x200D or 0x200C;

    // Unicode's Bidi_Control characters that reorder text (embeddings, overrides, isolates); the
    // marks (LRM, RLM, ALM) only nudge neutral characters and are left to right-to-left writers.
    private static bool IsBidiOverride(Rune rune) => rune.Value is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069);

    private static string? MarksProblem(string text)
    {
        var marks = 0;
        foreach (var (rune, _) in Runes(text))
        {
            marks = Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark ? marks + 1 : 0;
            if (marks > MaxMarksPerCharacter)
            {
                return $"At most {MaxMarksPerCharacter} combining marks may sit on one character.";
            }
        }
        return null;
    }

    private static IEnumerable<(Rune Rune, bool Valid)> Runes(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            var status = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used);
            yield return (rune, status == OperationStatus.Done);
            i += used;
        }
    }
}
