using System.Text;
using LetsChat.LoadTest;

namespace LetsChat.Tests;

/// <summary>The load tool's bookkeeping: if it miscounted, every benchmark figure would be wrong.</summary>
public sealed class LoadCountingTests
{
    [Fact]
    public void ASenderTrackTellsInOrderFromReorderedAndDuplicated()
    {
        var track = new SenderTrack();
        Assert.Equal(SenderTrack.Outcome.InOrder, track.Add(0));
        Assert.Equal(SenderTrack.Outcome.InOrder, track.Add(2));
        Assert.Equal(SenderTrack.Outcome.OutOfOrder, track.Add(1));
        Assert.Equal(SenderTrack.Outcome.Duplicate, track.Add(2));
        Assert.Equal(SenderTrack.Outcome.InOrder, track.Add(1000)); // past the first words of the bitmap
        Assert.Equal(SenderTrack.Outcome.Duplicate, track.Add(1000));
        Assert.Equal(4, track.Distinct);
    }

    [Theory]
    [InlineData(ChatProtocol.Seed)]
    [InlineData(ChatProtocol.V1)]
    public void ASentFrameReadsBackAsTheSameSenderSeqAndTime(ChatProtocol protocol)
    {
        var buffer = new byte[256];
        var length = Wire.WriteSend(buffer, protocol, sender: 7, seq: 123456789012, timestamp: 998877665544);
        var sent = Encoding.UTF8.GetString(buffer, 0, length);

        // What the server sends back: the seed frame as is; in v1 the text inside a message frame.
        var text = System.Text.Json.JsonDocument.Parse(sent).RootElement.GetProperty(protocol == ChatProtocol.V1 ? "text" : "message").GetString();
        var echoed = protocol == ChatProtocol.V1
            ? $$"""{"type":"message","room":"r","epoch":"e","seq":3,"id":"x","user":{"id":"u","name":"n"},"text":"{{text}}","ts":1}"""
            : $$"""{"message":"{{text}}"}""";

        Assert.Equal(Wire.Kind.Message, Wire.Read(Encoding.UTF8.GetBytes(echoed), protocol, out var sender, out var seq, out var timestamp));
        Assert.Equal((7, 123456789012L, 998877665544L), (sender, seq, timestamp));
    }

    [Fact]
    public void V1FramesOtherThanMessagesAreNotCountedAsDeliveries()
    {
        var history = """{"type":"history","epoch":"e","messages":[{"type":"message","text":"lt:0:1:2"}],"more":false}"""u8;
        var error = """{"type":"error","code":"rate_limited","message":"slow down"}"""u8;
        Assert.Equal(Wire.Kind.Other, Wire.Read(history, ChatProtocol.V1, out _, out _, out _));
        Assert.Equal(Wire.Kind.Error, Wire.Read(error, ChatProtocol.V1, out _, out _, out _));
        Assert.Equal(Wire.Kind.Other, Wire.Read("""{"message":"someone else's text"}"""u8, ChatProtocol.Seed, out _, out _, out _));
    }
}
