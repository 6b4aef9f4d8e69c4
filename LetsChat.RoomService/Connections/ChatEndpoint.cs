using System.Diagnostics;
using System.Net.WebSockets;
using LetsChat.RoomService.Broker;
using LetsChat.RoomService.Protocol;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Telemetry;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Connections;

/// <summary>
/// GET /ws/chat/{room}/: validates the upgrade, joins the room, and runs the socket.
/// The one data path: frame -> SeedProtocol -> broker publish; broker -> Room -> each connection's queue.
/// </summary>
public static partial class ChatEndpoint
{
    public const string Route = "/ws/chat/{room}";

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        string room,
        LocalRooms rooms,
        IRoomBroker broker,
        RoomTelemetry telemetry,
        ReplicaIdentity replica,
        IOptions<RoomServiceOptions> options,
        IHostApplicationLifetime lifetime,
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

        using var connection = new ChatConnection(options.Value, telemetry);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Room"] = room, ["ConnectionId"] = context.TraceIdentifier });

        // Join (and so subscribe) before accepting: once a client sees 101, it receives every
        // message published after that. Frames arriving before the socket is up wait in its queue.
        Room joined;
        try
        {
            joined = await rooms.JoinAsync(room, connection, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogJoinFailed(logger, ex);
            return Results.Problem(
                title: "Chat unavailable",
                detail: "The room service cannot reach its message broker; try again shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var started = Stopwatch.GetTimestamp();
        telemetry.ConnectionOpened();
        try
        {
            context.Response.Headers[ReplicaIdentity.HeaderName] = replica.Id;
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            using var stopping = lifetime.ApplicationStopping.Register(
                () => connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Server restarting."));
            LogOpened(logger);
            await connection.RunAsync(socket, frame => PublishAsync(frame, room, connection, broker, telemetry, logger));
        }
        finally
        {
            await rooms.LeaveAsync(joined, connection);
            telemetry.ConnectionClosed();
            LogClosed(logger, Stopwatch.GetElapsedTime(started).TotalSeconds, (int?)connection.CloseStatus, connection.CloseReason);
        }
        return Results.Empty;
    }

    private static async Task PublishAsync(
        ReadOnlyMemory<byte> frame, string room, ChatConnection connection, IRoomBroker broker,
        RoomTelemetry telemetry, ILogger logger)
    {
        if (!SeedProtocol.TryParseSend(frame.Span, out var message, out var error))
        {
            connection.Reject(WebSocketCloseStatus.InvalidPayloadData, "invalid_json", error);
            return;
        }
        try
        {
            await broker.PublishAsync(room, SeedProtocol.EncodeMessage(message), CancellationToken.None);
            telemetry.MessagePublished();
        }
        catch (Exception ex)
        {
            // Never pretend a message was sent: the client is told to come back, and keeps its text.
            telemetry.PublishFailed();
            LogPublishFailed(logger, ex);
            connection.RequestClose(CloseCodes.TryAgainLater, "Chat is unavailable right now; try again.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket opened")]
    private static partial void LogOpened(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket closed after {DurationSeconds:F1} s with {CloseStatus} ({CloseReason})")]
    private static partial void LogClosed(ILogger logger, double durationSeconds, int? closeStatus, string? closeReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining the room failed; upgrade refused with 503")]
    private static partial void LogJoinFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing to Redis failed; socket closed with 1013")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}
