using System.Text.Json;
using LetsChat.RoomService.Wire;
using static LetsChat.Tests.TestRooms;

namespace LetsChat.Tests;

public class MemberTests
{
    [Fact]
    public void SeedMembersGetSeedFramesAndV1MembersGetTheStoredFrameItself()
    {
        var seed = NewMember(ChatProtocolKind.Seed);
        var v1 = NewMember(ChatProtocolKind.V1);
        v1.GoLive("e1", 0);
        var e = MessageEvent(1, "hello");

        seed.Deliver(e);
        v1.Deliver(e);

        Assert.Equal(["""{"message":"hello"}"""], Drain(seed));
        Assert.Equal([MessageFrame(1, "hello")], Drain(v1));
    }

    [Fact]
    public void SeedMembersGetNoPresenceOrTypingFrames()
    {
        var seed = NewMember(ChatProtocolKind.Seed);

        seed.Deliver(TypingEvent("u_2"));

        Assert.Empty(Drain(seed));
    }

    [Fact]
    public void V1MembersAreNotToldAboutTheirOwnTyping()
    {
        var me = NewMember(ChatProtocolKind.V1, userId: "u_me");
        me.GoLive("e1", 0);

        me.Deliver(TypingEvent("u_me"));
        me.Deliver(TypingEvent("u_other"));

        Assert.Single(Drain(me), frame => frame.Contains("u_other"));
    }

    [Fact]
    public void CatchingUpHoldsLiveEventsThenSendsOnlyThoseNewerThanTheCatchUp()
    {
        var member = NewMember(ChatProtocolKind.V1);
        foreach (var seq in new[] { 4, 5, 6, 7 })
        {
            member.Deliver(MessageEvent(seq, $"m{seq}"));
        }
        Assert.Empty(Drain(member));

        member.GoLive("e1", lastSeq: 5);
        member.Deliver(MessageEvent(8, "m8"));

        Assert.Equal(["m6", "m7", "m8"], Drain(member).Select(Text));
    }

    [Fact]
    public void ALiveMemberNeverGetsTheSameSeqTwice()
    {
        var member = NewMember(ChatProtocolKind.V1);
        member.GoLive("e1", 0);

        member.Deliver(MessageEvent(1, "a"));
        member.Deliver(MessageEvent(1, "a"));
        member.Deliver(MessageEvent(2, "b"));

        Assert.Equal(["a", "b"], Drain(member).Select(Text));
    }

    [Fact]
    public void ANewEpochIsAnnouncedWithAResetBeforeItsFirstMessage()
    {
        var member = NewMember(ChatProtocolKind.V1);
        member.GoLive("e1", 10);

        member.Deliver(MessageEvent(1, "fresh", epoch: "e2"));

        var frames = Drain(member);
        Assert.Equal(2, frames.Count);
        using var reset = JsonDocument.Parse(frames[0]);
        Assert.Equal("reset", reset.RootElement.GetProperty("type").GetString());
        Assert.Equal("e2", reset.RootElement.GetProperty("epoch").GetString());
        Assert.Equal("epoch_changed", reset.RootElement.GetProperty("reason").GetString());
        Assert.Equal("fresh", Text(frames[1]));
    }

    [Fact]
    public void HoldingMoreThanTheLimitClosesWith1013()
    {
        var member = NewMember(ChatProtocolKind.V1, holdLimit: 3);

        for (var seq = 1; seq <= 4; seq++)
        {
            member.Deliver(MessageEvent(seq));
        }

        Assert.Equal(1013, (int?)member.Socket().CloseStatus);
    }

    [Fact]
    public void TypingIsAllowedOncePerInterval()
    {
        var member = NewMember(ChatProtocolKind.V1);
        var interval = TimeSpan.FromSeconds(2);
        var t0 = DateTime.UtcNow.Ticks;

        Assert.True(member.TryTyping(interval, t0));
        Assert.False(member.TryTyping(interval, t0 + TimeSpan.FromSeconds(1).Ticks));
        Assert.True(member.TryTyping(interval, t0 + TimeSpan.FromSeconds(2).Ticks));
    }

    private static string Text(string frame)
    {
        using var json = JsonDocument.Parse(frame);
        return json.RootElement.GetProperty("text").GetString()!;
    }
}
