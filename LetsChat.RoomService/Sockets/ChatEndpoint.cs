using LetsChat.RoomService.Api;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Wire;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// GET /ws/chat/{room}/: checks the upgrade (room name, Origin, the socket caps of its network and user, session, protocol,
/// resume point), joins the room, then hands the connection to <see cref="ChatSocket"/> below the
/// HTTP layer. Everything refused is refused before the 101, as problem details.
/// </summary>
public static class ChatEndpoint
{
    public const string Route = "/ws/chat/{room}";

    public static async Task<IResult> HandleAsync(HttpContext context, string room, ChatServices chat)
    {
        var settings = chat.Options;
        if (RoomName.Validate(room) is { } invalid)
        {
            chat.Telemetry.UpgradeRefused("invalid_room");
            return Results.Problem(title: "Invalid room name", detail: invalid, statusCode: StatusCodes.Status400BadRequest);
        }
        if (!context.WebSockets.IsWebSocketRequest || ChatHandoff.Of(context) is not { } handoff)
        {
            chat.Telemetry.UpgradeRefused("not_websocket");
            return Results.Problem(
                title: "WebSocket required",
                detail: $"Open a WebSocket (HTTP/1.1) to /ws/chat/{room}/ to join this room.",
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (!OriginPolicy.IsAllowed(context.Request, settings.AllowedOrigins))
        {
            chat.Telemetry.UpgradeRefused("origin");
            return Results.Problem(
                title: "Origin not allowed",
                detail: "Chat sockets may be opened only from this site's pages.",
                statusCode: StatusCodes.Status403Forbidden);
        }
        if (!TryReadResumePoint(context.Request.Query, out var resume, out var resumeProblem))
        {
            chat.Telemetry.UpgradeRefused("invalid_resume");
            return Results.Problem(title: "Invalid resume point", detail: resumeProblem, statusCode: StatusCodes.Status400BadRequest);
        }
        var connectionId = Guid.NewGuid().ToString("N")[..12];
        var (sessionRead, sessionUser) = await chat.Sessions.ReadAsync(context.Request);
        if (sessionRead == SessionCookie.ReadResult.Invalid)
        {
            chat.Telemetry.UpgradeRefused("invalid_session");
            return SessionEndpoints.InvalidSession();
        }
        var user = sessionRead == SessionCookie.ReadResult.Valid ? sessionUser! : ChatUser.Anonymous(connectionId);
        var (slot, refused) = await chat.Cap.TryTakeAsync(context.Connection.RemoteIpAddress, user, connectionId);
        if (slot is null)
        {
            chat.Telemetry.UpgradeRefused(refused == ConnectionCap.Refusal.User ? "user_connection_cap" : "connection_cap");
            return Results.Problem(
                title: "Too many connections",
                detail: refused == ConnectionCap.Refusal.User
                    ? $"At most {settings.MaxConnectionsPerUser} chat sockets per user; close some tabs and retry."
                    : $"At most {settings.MaxConnectionsPerIp} chat sockets per network; close some and retry.",
                statusCode: StatusCodes.Status429TooManyRequests,
                extensions: new Dictionary<string, object?> { ["code"] = "connection_cap" });
        }

        var protocol = context.WebSockets.WebSocketRequestedProtocols.Contains(ChatProtocols.V1Name) ? ChatProtocolKind.V1 : ChatProtocolKind.Seed;
        var connection = new ChatConnection(settings, chat.Telemetry);
        var member = new Member(user, connectionId, protocol, connection, settings.CatchUpHoldLimit);
        var flood = chat.Flood.For(connectionId, user, context.Connection.RemoteIpAddress);
        var socket = new ChatSocket(chat, room, member, connection, resume, slot, flood, context.Request.Headers.SecWebSocketKey.ToString());
        // Join (and so subscribe) before the 101: once a client sees it, it receives every message
        // published after that. Frames arriving before the socket runs wait in its writer.
        bool joined;
        try
        {
            joined = await socket.JoinAsync(context.RequestAborted);
        }
        catch
        {
            slot.Dispose(); // the client left during the join: its place under the cap is free again
            throw;
        }
        if (!joined)
        {
            slot.Dispose();
            chat.Telemetry.UpgradeRefused("unavailable");
            return Results.Problem(
                title: "Chat unavailable",
                detail: "The room service cannot reach its message broker; try again shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        // The HTTP layer gives a finished connection a grace period to drain its last response at
        // the minimum data rate, then aborts it; this connection's output is the socket's from now on.
        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
        handoff.Take(socket.RunAsync);
        context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols; // for the request's metrics and span; the real 101 follows
        return Results.Empty;
    }

    /// <summary><c>?epoch=…&amp;after=…</c>: both or neither.</summary>
    internal static bool TryReadResumePoint(IQueryCollection query, out ResumePoint? resume, out string problem)
    {
        resume = null;
        problem = "";
        var epoch = query["epoch"].ToString();
        var after = query["after"].ToString();
        if (epoch.Length == 0 && after.Length == 0)
        {
            return true;
        }
        if (epoch.Length is 0 or > 64 || !epoch.All(char.IsAsciiLetterOrDigit))
        {
            problem = "epoch must be the epoch of the last message received (letters and digits, at most 64).";
            return false;
        }
        if (!long.TryParse(after, System.Globalization.NumberStyles.None, null, out var afterSeq))
        {
            problem = "after must be the seq of the last message received (a whole number, 0 for none).";
            return false;
        }
        resume = new ResumePoint(epoch, afterSeq);
        return true;
    }

}
