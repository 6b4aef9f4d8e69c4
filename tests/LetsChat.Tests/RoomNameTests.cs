using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

public class RoomNameTests
{
    [Theory]
    [InlineData("lobby")]
    [InlineData("a")]
    [InlineData("Room_42-b.v2")]
    [InlineData("..")]
    public void ValidateAcceptsLettersDigitsAndUnderscoreDashDot(string name) =>
        Assert.Null(RoomName.Validate(name));

    [Fact]
    public void ValidateAcceptsExactlyOneHundredCharacters() =>
        Assert.Null(RoomName.Validate(new string('x', 100)));

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("bad name", "only letters")]
    [InlineData("slash/room", "only letters")]
    [InlineData("brace{x}", "only letters")]
    [InlineData("café", "only letters")]
    [InlineData("tab\troom", "only letters")]
    public void ValidateRefusesOtherCharactersWithAReason(string? name, string reasonFragment) =>
        Assert.Contains(reasonFragment, RoomName.Validate(name));

    [Fact]
    public void ValidateRefusesOneHundredAndOneCharacters() =>
        Assert.Contains("at most 100", RoomName.Validate(new string('x', 101)));
}
