using System.Text;
using System.Text.Json;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

public class SeedProtocolTests
{
    [Theory]
    [InlineData("""{"message":"hi"}""", "hi")]
    [InlineData("""{"message":""}""", "")]
    [InlineData("""{"message":"héllo ✓ \"quoted\""}""", "héllo ✓ \"quoted\"")]
    [InlineData("""{"message":"hi","extra":[1,2,{"x":null}]}""", "hi")]
    [InlineData("""  {"message" : "spaced"}  """, "spaced")]
    public void TryParseSendReadsTheMessageString(string frame, string expected)
    {
        Assert.True(SeedProtocol.TryParseSend(Encoding.UTF8.GetBytes(frame), out var message, out var error));
        Assert.Equal(expected, message);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"message":null}""")]
    [InlineData("""{"message":5}""")]
    [InlineData("""{"message":{"text":"hi"}}""")]
    [InlineData("""{"message":["hi"]}""")]
    [InlineData("""["message","hi"]""")]
    [InlineData("\"hi\"")]
    [InlineData("""{"message":"unterminated""")]
    [InlineData("""{"Message":"wrong case"}""")]
    public void TryParseSendRefusesAnythingButAnObjectWithAStringMessage(string frame)
    {
        Assert.False(SeedProtocol.TryParseSend(Encoding.UTF8.GetBytes(frame), out _, out var error));
        Assert.Contains("string \"message\"", error);
    }

    [Fact]
    public void TryParseSendRefusesInvalidUtf8()
    {
        byte[] frame = [.. "{\"message\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        Assert.False(SeedProtocol.TryParseSend(frame, out _, out _));
    }

    [Fact]
    public void TryParseSendRefusesDeeplyNestedJson()
    {
        var frame = "{\"message\":\"x\",\"deep\":" + new string('[', 1000) + new string(']', 1000) + "}";
        Assert.False(SeedProtocol.TryParseSend(Encoding.UTF8.GetBytes(frame), out _, out _));
    }

    [Theory]
    [InlineData("hi")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("line1\nline2 \"q\" \\ ✓ 😀")]
    public void EncodeMessageRoundTripsThroughTheSeedShape(string text)
    {
        var bytes = SeedProtocol.EncodeMessage(text);
        using var json = JsonDocument.Parse(bytes);
        Assert.Equal(text, json.RootElement.GetProperty("message").GetString());
        Assert.Single(json.RootElement.EnumerateObject());
    }

    [Fact]
    public void EncodeMessageKeepsNonAsciiAsUtf8()
    {
        var bytes = SeedProtocol.EncodeMessage("héllo");
        Assert.Equal("""{"message":"héllo"}""", Encoding.UTF8.GetString(bytes));
    }
}
