using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Wire;
using LetsChat.RoomService.Telemetry;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// GET /ws/chat/{room}/: checks the upgrade (room name, Origin, the socket caps of its network and user, session, protocol,
/// resume point), joins the room, then hands the connection to <see cref="ChatSocket"/> below the
/// HTTP layer. Everything refused is refused before the 101, as problem details.
/// </summary>
public static class ChatEndpoint
{
    public const string Route = "/ws/chat/{room}";

    public static async Task<IResult> HandleAsync(
        HttpContext context, string room, ChatSockets sockets, SessionCookie sessions, ConnectionCap cap, FloodGuard flood,
        IOptions<RoomServiceOptions> options, RoomTelemetry telemetry)
    {
        var settings = options.Value;
        var handoff = ChatHandoff.Of(context);
        var (admitted, refused) = Admission.Check(Admission.Of(context, room, handoff is not null, settings));
        if (refused is not null)
        {
            return Refuse(telemetry, refused);
        }
        var connectionId = Guid.NewGuid().ToString("N")[..12];
        var (sessionRead, sessionUser) = await sessions.ReadAsync(context.Request);
        if (sessionRead == SessionCookie.ReadResult.Invalid)
        {
            return Refuse(telemetry, Admission.InvalidSession);
        }
        var user = sessionRead == SessionCookie.ReadResult.Valid ? sessionUser! : ChatUser.Anonymous(connectionId);
        var (slot, reached) = await cap.TryTakeAsync(context.Connection.RemoteIpAddress, user, connectionId);
        if (slot is null)
        {
            return Refuse(telemetry, Admission.CapReached(reached, settings));
        }

        var socket = sockets.Open(room, user, connectionId, admitted!, slot,
            flood.For(connectionId, user, context.Connection.RemoteIpAddress), context.Request.Headers.SecWebSocketKey.ToString());
        // Join (and so subscribe) before the 101: once a client sees it, it receives every message
        // published after that. Frames arriving before the socket runs wait in its writer.
        if (!await JoinAsync(socket, slot, context.RequestAborted))
        {
            return Refuse(telemetry, Admission.Unavailable);
        }
        return HandOver(context, handoff!, socket);
    }

    // A join that fails, or that the client leaves, frees the socket's place under the cap.
    private static async Task<bool> JoinAsync(ChatSocket socket, IDisposable slot, CancellationToken cancellationToken)
    {
        var joined = false;
        try
        {
            joined = await socket.JoinAsync(cancellationToken);
            return joined;
        }
        finally
        {
            if (!joined)
            {
                slot.Dispose();
            }
        }
    }

    private static IResult HandOver(HttpContext context, ChatHandoff handoff, ChatSocket socket)
    {
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

    private static IResult Refuse(RoomTelemetry telemetry, Admission.Refusal refusal)
    {
        telemetry.UpgradeRefused(refusal.Reason);
        return refusal.ToResult();
    }
}
