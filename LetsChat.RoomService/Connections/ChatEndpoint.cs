using System.Diagnostics;
using System.Net.WebSockets;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.History;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Presence;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// GET /ws/chat/{room}/: checks the upgrade (room name, session, protocol, resume point), joins
/// the room, then runs the socket. Everything refused is refused before the 101, as problem details.
/// </summary>
public static partial class ChatEndpoint
{
    public const string Route = "/ws/chat/{room}";

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        string room,
        LocalRooms rooms,
        IRoomBroker broker,
        IRoomHistory history,
        IRoomPresence presence,
        SessionCookie sessions,
        RoomTelemetry telemetry,
        ReplicaIdentity replica,
        IOptions<RoomServiceOptions> options,
        IHostApplicationLifetime lifetime,
        TimeProvider clock,
        ConnectionCap cap,
        FloodGuard flood,
        ILogger<ChatConnection> logger)
    {
        if (RoomName.Validate(room) is { } invalid)
        {
            return Results.Problem(title: "Invalid room name", detail: invalid, statusCode: StatusCodes.Status400BadRequest);
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Results.Problem(
                title: "WebSocket required",
                detail: $"Open a WebSocket to /ws/chat/{room}/ to join this room.",
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (!OriginPolicy.IsAllowed(context.Request, options.Value.AllowedOrigins))
        {
            telemetry.FrameRejected("origin");
            return Results.Problem(
                title: "Origin not allowed",
                detail: "Chat sockets may be opened only from this site's pages.",
                statusCode: StatusCodes.Status403Forbidden);
        }
        using var slot = cap.TryTake(context.Connection.RemoteIpAddress);
        if (slot is null)
        {
            telemetry.FrameRejected("connection_cap");
            return Results.Problem(
                title: "Too many connections",
                detail: $"At most {options.Value.MaxConnectionsPerIp} chat sockets per address; close some and retry.",
                statusCode: StatusCodes.Status429TooManyRequests);
        }
        var connectionId = Guid.NewGuid().ToString("N")[..12];
        ChatUser user;
        switch (sessions.TryRead(context.Request, out var sessionUser))
        {
            case SessionCookie.ReadResult.Invalid:
                return SessionEndpoints.InvalidSession();
            case SessionCookie.ReadResult.Valid:
                user = sessionUser!;
                break;
            default:
                user = ChatUser.Anonymous(connectionId);
                break;
        }
        var protocol = context.WebSockets.WebSocketRequestedProtocols.Contains(ChatProtocols.V1Name)
            ? ChatProtocolKind.V1
            : ChatProtocolKind.Seed;
        if (!TryReadResumePoint(context.Request.Query, out var resume, out var resumeProblem))
        {
            return Results.Problem(title: "Invalid resume point", detail: resumeProblem, statusCode: StatusCodes.Status400BadRequest);
        }

        var settings = options.Value;
        var connection = new ChatConnection(settings, telemetry);
        var member = new Member(user, connectionId, protocol, connection, holdLimit: settings.CatchUpHoldLimit);
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["Room"] = room,
            ["ConnectionId"] = connectionId,
            ["UserId"] = user.Id,
        });

        // Join (and so subscribe) before accepting: once a client sees 101, it receives every
        // message published after that. Frames arriving before the socket is up wait in its queue.
        Room joined;
        try
        {
            joined = await rooms.JoinAsync(room, member, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            telemetry.SubscribeFailed();
            LogJoinFailed(logger, ex);
            return Unavailable();
        }

        var started = Stopwatch.GetTimestamp();
        telemetry.ConnectionOpened();
        try
        {
            await presence.JoinAsync(room, member.Presence, context.RequestAborted);
            var session = new ChatSession(room, member, replica.Id, broker, history, presence, settings, telemetry, clock, logger)
            {
                Flood = flood.For(connectionId),
            };

            context.Response.Headers[ReplicaIdentity.HeaderName] = replica.Id;
            var subProtocol = protocol == ChatProtocolKind.V1 ? ChatProtocols.V1Name : null;
            var upgraded = await ChatUpgrade.AcceptAsync(context, subProtocol);
            connection.Attach(upgraded, ChatUpgrade.OutputOf(upgraded), context.Abort, subProtocol);
            using var stopping = lifetime.ApplicationStopping.Register(
                () => connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Server restarting."));
            LogOpened(logger, protocol);

            if (protocol == ChatProtocolKind.V1)
            {
                await StartOrCloseAsync(session, connection, resume, logger, context.RequestAborted);
            }
            await connection.RunAsync(session.OnFrameAsync);
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is not OperationCanceledException)
        {
            LogJoinFailed(logger, ex);
            return Unavailable();
        }
        finally
        {
            await LeaveAsync(room, member, joined, rooms, presence, logger);
            telemetry.ConnectionClosed();
            LogClosed(logger, Stopwatch.GetElapsedTime(started).TotalSeconds, (int?)connection.CloseStatus, connection.CloseReason);
        }
        return Results.Empty;
    }

    private static async Task StartOrCloseAsync(
        ChatSession session, ChatConnection connection, ResumePoint? resume, ILogger logger, CancellationToken ct)
    {
        try
        {
            await session.StartAsync(resume, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogJoinFailed(logger, ex);
            connection.RequestClose(CloseCodes.TryAgainLater, "Chat is unavailable right now; try again.");
        }
    }

    private static async Task LeaveAsync(string room, Member member, Room joined, LocalRooms rooms, IRoomPresence presence, ILogger logger)
    {
        try
        {
            await presence.LeaveAsync(room, member.Presence, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Redis away: the entry expires within the presence TTL instead.
            LogLeaveFailed(logger, ex);
        }
        await rooms.LeaveAsync(joined, member);
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

    private static IResult Unavailable() => Results.Problem(
        title: "Chat unavailable",
        detail: "The room service cannot reach its message broker; try again shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket opened ({Protocol})")]
    private static partial void LogOpened(ILogger logger, ChatProtocolKind protocol);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket closed after {DurationSeconds:F1} s with {CloseStatus} ({CloseReason})")]
    private static partial void LogClosed(ILogger logger, double durationSeconds, int? closeStatus, string? closeReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining the room failed")]
    private static partial void LogJoinFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leaving presence failed; the entry will expire")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);
}
