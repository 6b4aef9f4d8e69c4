using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

/// <summary>Names and text that deceive (issue 22, item 10): refused by Unicode category, with a reason.</summary>
public class VisibleTextTests
{
    [Theory]
    [InlineData("Ana")]
    [InlineData("Zoë Ünal")]
    [InlineData("محمد")]
    [InlineData("می‌خواهم")] // ZWNJ inside a Persian word
    [InlineData("李小龍")]
    [InlineData("👩‍🚀 Ana")] // ZWJ inside an emoji
    [InlineData("Ana 🇫🇷")]
    [InlineData("नमस्ते")]
    public void ANameThatShowsWhatItSaysIsAccepted(string name) => Assert.Null(VisibleText.NameProblem(name));

    [Theory]
    [InlineData("An\u200Ba", "invisible")] // zero-width space
    [InlineData("\u200DAna", "invisible")] // a joiner that joins nothing
    [InlineData("Ana\u200D", "invisible")]
    [InlineData("Ana\u200E", "invisible")] // left-to-right mark
    [InlineData("Ana\u202Egnp.exe", "invisible")] // right-to-left override
    [InlineData("Ana\U000E0041", "invisible")] // a tag character
    [InlineData("Ana\u00ADB", "invisible")] // soft hyphen
    [InlineData("\u3164", "visible")] // Hangul filler, alone
    [InlineData("\u115F\u1160", "visible")]
    [InlineData("\u2800", "visible")] // braille blank
    [InlineData("\u0301\u0301", "visible")] // marks on nothing
    [InlineData("Ana\u00A0B", "ordinary space")]
    [InlineData("Ana\u3000B", "ordinary space")]
    [InlineData("Ana\uE000", "private-use")]
    [InlineData("a\u0301\u0302\u0303\u0304\u0305", "combining marks")]
    [InlineData("two\nlines", "control")]
    [InlineData("sep\u2028arator", "line-break")]
    public void ANameThatHidesOrFakesIsRefusedWithAReason(string name, string reason) =>
        Assert.Contains(reason, VisibleText.NameProblem(name));

    [Fact]
    public void ALoneSurrogateIsNotANameNorText()
    {
        // Not an InlineData: xunit would store the lone surrogate as U+FFFD.
        Assert.Contains("valid Unicode", VisibleText.NameProblem("Ana\uD800"));
        Assert.Contains("valid Unicode", VisibleText.MessageProblem("lone \uDC00"));
    }

    [Fact]
    public void DisplayNameRefusesWhatVisibleTextRefusesAfterTrimming()
    {
        Assert.NotNull(DisplayName.Validate("  \u3164  ", out _));
        Assert.Null(DisplayName.Validate("  Ana  ", out var name));
        Assert.Equal("Ana", name);
    }

    [Theory]
    [InlineData("hello\nworld\tand tabs")]
    [InlineData("שלום \u200F!")] // a right-to-left mark is left to RTL writers
    [InlineData("👩‍👩‍👧 family")]
    [InlineData("zero\u200Bwidth is fine in text")]
    public void MessageTextMayHoldAnyScriptEmojiAndLineBreaks(string text) => Assert.Null(VisibleText.MessageProblem(text));

    [Theory]
    [InlineData("file\u202Etxt.exe", "direction")]
    [InlineData("\u2066isolated\u2069", "direction")]
    [InlineData("bell\a", "control")]
    [InlineData("nul\0", "control")]
    [InlineData("para\u2029graph", "control")]
    [InlineData("z\u0301\u0301\u0301\u0301\u0301\u0301algo", "combining marks")]
    public void MessageTextThatReordersOrHidesIsRefused(string text, string reason) =>
        Assert.Contains(reason, VisibleText.MessageProblem(text));
}
