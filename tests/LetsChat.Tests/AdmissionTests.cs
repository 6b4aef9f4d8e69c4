using LetsChat.RoomService;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Sockets;
using LetsChat.RoomService.Wire;

namespace LetsChat.Tests;

/// <summary>Every answer an upgrade can get before it touches Redis, as a table (<see cref="Admission"/>).</summary>
public class AdmissionTests
{
    [Theory]
    // room, WebSocket, origin allowed, epoch, after, offers v1 -> metric reason (null: admitted), status
    [InlineData("lobby", true, true, "", "", true, null, 0)]
    [InlineData("lobby", true, true, "", "", false, null, 0)]
    [InlineData("lobby", true, true, "e1", "7", true, null, 0)]
    [InlineData("", true, true, "", "", true, "invalid_room", 400)]
    [InlineData("a/b", true, true, "", "", true, "invalid_room", 400)]
    [InlineData("lobby", false, true, "", "", true, "not_websocket", 400)]
    [InlineData("lobby", true, false, "", "", true, "origin", 403)]
    [InlineData("lobby", true, true, "e1", "", true, "invalid_resume", 400)]
    [InlineData("lobby", true, true, "", "3", true, "invalid_resume", 400)]
    // The first problem wins, in the order a client would fix them.
    [InlineData("a/b", false, false, "x", "", true, "invalid_room", 400)]
    [InlineData("lobby", false, false, "x", "", true, "not_websocket", 400)]
    [InlineData("lobby", true, false, "x", "", true, "origin", 403)]
    public void AnUpgradeIsAdmittedOrGetsItsRefusal(string room, bool webSocket, bool origin, string epoch, string after, bool v1, string? reason, int status)
    {
        var (admitted, refused) = Admission.Check(new Admission.Request(room, webSocket, origin, epoch, after, v1));

        Assert.Equal(reason, refused?.Reason);
        Assert.Equal(reason is null, admitted is not null);
        if (refused is not null)
        {
            Assert.Equal(status, refused.Status);
            Assert.False(string.IsNullOrWhiteSpace(refused.Title));
            Assert.False(string.IsNullOrWhiteSpace(refused.Detail));
            return;
        }
        Assert.Equal(v1 ? ChatProtocolKind.V1 : ChatProtocolKind.Seed, admitted!.Protocol);
        Assert.Equal(epoch.Length == 0 ? null : new ResumePoint(epoch, long.Parse(after, System.Globalization.CultureInfo.InvariantCulture)), admitted.Resume);
    }

    [Theory]
    [InlineData(ConnectionCap.Refusal.Network, "connection_cap", "per network")]
    [InlineData(ConnectionCap.Refusal.User, "user_connection_cap", "per user")]
    public void AReachedCapIs429WithItsCodeAndSaysWhichCap(ConnectionCap.Refusal cap, string reason, string says)
    {
        var refused = Admission.CapReached(cap, new RoomServiceOptions { MaxConnectionsPerIp = 7, MaxConnectionsPerUser = 3 });

        Assert.Equal((reason, 429, "connection_cap"), (refused.Reason, refused.Status, refused.Code));
        Assert.Contains(says, refused.Detail, StringComparison.Ordinal);
        Assert.Contains(cap == ConnectionCap.Refusal.User ? "3" : "7", refused.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "", true, null, null)]
    [InlineData("abc123", "0", true, "abc123", 0L)]
    [InlineData("abc123", "42", true, "abc123", 42L)]
    [InlineData("abc123", "", false, null, null)]
    [InlineData("", "5", false, null, null)]
    [InlineData("abc123", "-1", false, null, null)]
    [InlineData("abc123", "1e3", false, null, null)]
    [InlineData("ab-c", "1", false, null, null)]
    public void ResumePointsNeedBothAPlainEpochAndASeq(string epoch, string after, bool ok, string? expectedEpoch, long? expectedAfter)
    {
        Assert.Equal(ok, Admission.ResumeProblem(epoch, after, out var resume) is null);
        Assert.Equal(expectedEpoch, resume?.Epoch);
        Assert.Equal(expectedAfter, resume?.AfterSeq);
    }
}
