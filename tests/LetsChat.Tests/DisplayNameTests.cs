using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

public class DisplayNameTests
{
    [Theory]
    [InlineData("Ana", "Ana")]
    [InlineData("  Ana B.  ", "Ana B.")]
    [InlineData("Zoë", "Zoë")]
    [InlineData("12345678901234567890123456789012", "12345678901234567890123456789012")]
    public void ValidateAcceptsAndTrims(string raw, string expected)
    {
        Assert.Null(DisplayName.Validate(raw, out var name));
        Assert.Equal(expected, name);
    }

    [Fact]
    public void ValidateCountsAnEmojiSequenceAsOneCharacter()
    {
        var astronauts = string.Concat(Enumerable.Repeat("👩🏽‍🚀", 32));
        Assert.Null(DisplayName.Validate(astronauts, out _));
        Assert.NotNull(DisplayName.Validate(astronauts + "👩🏽‍🚀", out _));
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData(" \t ", "required")]
    [InlineData("123456789012345678901234567890123", "at most 32")]
    [InlineData("two\nlines", "control")]
    [InlineData("nul\0", "control")]
    [InlineData("flip\u202Eflop", "direction")]
    [InlineData("iso\u2066late", "direction")]
    [InlineData("sep\u2028arator", "line-break")]
    public void ValidateRefusesWithAReason(string? raw, string reasonFragment) =>
        Assert.Contains(reasonFragment, DisplayName.Validate(raw, out _));

    [Fact]
    public void NewIdsAreDistinctAndPrefixed()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => ChatUser.NewId()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id => Assert.Matches("^u_[0-9a-f]{16}$", id));
    }
}
