using System.Globalization;
using LetsChat.RoomService.Api;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// Whether a chat upgrade may go on, decided from the request alone: no Redis, no side effect, so
/// the whole table is a unit test (AdmissionTests). The checks that need Redis (the session, the
/// socket caps) come after it in <see cref="ChatEndpoint"/>, and their refusals are here too, so
/// every answer an upgrade can get is in one place.
/// </summary>
public static class Admission
{
    /// <summary>What the checks read from an upgrade.</summary>
    /// <param name="IsWebSocket">A WebSocket upgrade on HTTP/1.1 (the only one <see cref="ChatHandoff"/> can take).</param>
    /// <param name="OriginAllowed"><see cref="OriginPolicy.IsAllowed"/> of the request.</param>
    /// <param name="Epoch">The <c>epoch</c> query parameter ("" when absent).</param>
    /// <param name="After">The <c>after</c> query parameter ("" when absent).</param>
    /// <param name="OffersV1">The client offered the letschat.v1 subprotocol.</param>
    public sealed record Request(string Room, bool IsWebSocket, bool OriginAllowed, string Epoch, string After, bool OffersV1);

    /// <summary>An admitted upgrade: the protocol it speaks and where it resumes (null: a plain join).</summary>
    public sealed record Admitted(ChatProtocolKind Protocol, ResumePoint? Resume);

    /// <summary>A refused upgrade: <see cref="Reason"/> for the <c>upgrades.refused</c> metric, the rest for the client.</summary>
    public sealed record Refusal(string Reason, int Status, string Title, string Detail, string? Code = null)
    {
        public IResult ToResult() => Results.Problem(title: Title, detail: Detail, statusCode: Status,
            extensions: Code is null ? null : new Dictionary<string, object?> { ["code"] = Code });
    }

    public static Request Of(HttpContext context, string room, bool canHandOver, RoomServiceOptions options) => new(
        room,
        context.WebSockets.IsWebSocketRequest && canHandOver,
        OriginPolicy.IsAllowed(context.Request, options.AllowedOrigins),
        context.Request.Query["epoch"].ToString(),
        context.Request.Query["after"].ToString(),
        context.WebSockets.WebSocketRequestedProtocols.Contains(ChatProtocols.V1Name));

    /// <summary>The first thing wrong with <paramref name="request"/>, in the order a client would fix them; else what was admitted.</summary>
    public static (Admitted? Admitted, Refusal? Refused) Check(Request request)
    {
        if (RoomName.Validate(request.Room) is { } invalid)
        {
            return (null, new("invalid_room", StatusCodes.Status400BadRequest, "Invalid room name", invalid));
        }
        if (!request.IsWebSocket)
        {
            return (null, new("not_websocket", StatusCodes.Status400BadRequest, "WebSocket required",
                $"Open a WebSocket (HTTP/1.1) to /ws/chat/{request.Room}/ to join this room."));
        }
        if (!request.OriginAllowed)
        {
            return (null, new("origin", StatusCodes.Status403Forbidden, "Origin not allowed", "Chat sockets may be opened only from this site's pages."));
        }
        if (ResumeProblem(request.Epoch, request.After, out var resume) is { } problem)
        {
            return (null, new("invalid_resume", StatusCodes.Status400BadRequest, "Invalid resume point", problem));
        }
        return (new(request.OffersV1 ? ChatProtocolKind.V1 : ChatProtocolKind.Seed, resume), null);
    }

    /// <summary>The session cookie is not one this service issued (the same answer as the session API's).</summary>
    public static readonly Refusal InvalidSession = new("invalid_session", StatusCodes.Status401Unauthorized,
        SessionEndpoints.InvalidSessionTitle, SessionEndpoints.InvalidSessionDetail);

    /// <summary>Redis cannot be reached, so the room cannot be joined.</summary>
    public static readonly Refusal Unavailable = new("unavailable", StatusCodes.Status503ServiceUnavailable, "Chat unavailable",
        "The room service cannot reach its message broker; try again shortly.");

    /// <summary>A socket cap (<see cref="ConnectionCap"/>) is reached.</summary>
    public static Refusal CapReached(ConnectionCap.Refusal cap, RoomServiceOptions options) => cap == ConnectionCap.Refusal.User
        ? new("user_connection_cap", StatusCodes.Status429TooManyRequests, "Too many connections",
            $"At most {options.MaxConnectionsPerUser} chat sockets per user; close some tabs and retry.", "connection_cap")
        : new("connection_cap", StatusCodes.Status429TooManyRequests, "Too many connections",
            $"At most {options.MaxConnectionsPerIp} chat sockets per network; close some and retry.", "connection_cap");

    /// <summary><c>?epoch=…&amp;after=…</c>: both or neither. Null when acceptable.</summary>
    internal static string? ResumeProblem(string epoch, string after, out ResumePoint? resume)
    {
        resume = null;
        if (epoch.Length == 0 && after.Length == 0)
        {
            return null;
        }
        if (epoch.Length is 0 or > 64 || !epoch.All(char.IsAsciiLetterOrDigit))
        {
            return "epoch must be the epoch of the last message received (letters and digits, at most 64).";
        }
        if (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var afterSeq))
        {
            return "after must be the seq of the last message received (a whole number, 0 for none).";
        }
        resume = new ResumePoint(epoch, afterSeq);
        return null;
    }
}
