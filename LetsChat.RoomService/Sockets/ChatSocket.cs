using System.Diagnostics;
using System.Net.WebSockets;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LetsChat.RoomService.Sockets;

/// <summary>
/// One chat socket's life: joined before its 101 (<see cref="JoinAsync"/>, during the upgrade
/// request), then run on the raw connection once the HTTP layer has let go of it
/// (<see cref="RunAsync"/>), and always left, however it ends.
/// </summary>
public sealed partial class ChatSocket
{
    private readonly ChatSockets.Shared _shared;
    private readonly string _room;
    private readonly Member _member;
    private readonly ChatSession _session;
    private readonly SocketLogScope _scope;
    private readonly ResumePoint? _resume;
    private readonly IDisposable _slot;
    private readonly string? _subProtocol;
    private readonly byte[] _handshake;
    private Room? _joined;

    /// <param name="shared">What every socket of this replica works with.</param>
    /// <param name="slot">Its places under the socket caps, given back at the end.</param>
    /// <param name="secWebSocketKey">The upgrade's Sec-WebSocket-Key, answered in the 101.</param>
    internal ChatSocket(ChatSockets.Shared shared, string room, Member member, ChatConnection connection, ChatSession session,
        SocketLogScope scope, ResumePoint? resume, IDisposable slot, string secWebSocketKey)
    {
        _shared = shared;
        _room = room;
        _member = member;
        Connection = connection;
        _session = session;
        _session.Seen = () => _joined?.Feed ?? default;
        _scope = scope;
        _resume = resume;
        _slot = slot;
        _subProtocol = member.Protocol == ChatProtocolKind.V1 ? ChatProtocols.V1Name : null;
        _handshake = ChatUpgrade.SwitchingProtocols(secWebSocketKey, _subProtocol, shared.Replica);
    }

    /// <summary>The member's outbox, as the socket it is.</summary>
    private ChatConnection Connection { get; }

    /// <summary>Joins the room (subscribing this replica on its first member) and its presence. False when Redis cannot be reached.</summary>
    public async Task<bool> JoinAsync(CancellationToken cancellationToken)
    {
        try
        {
            _joined = await _shared.Rooms.JoinAsync(_room, _member, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _shared.Telemetry.SubscribeFailed();
            Log(() => LogJoinFailed(_shared.Logger, ex));
            return false;
        }
        try
        {
            await _shared.Presence.JoinAsync(_room, _member.Presence, cancellationToken);
            return true;
        }
        catch (Exception ex)
        {
            await LeaveAsync();
            if (ex is OperationCanceledException)
            {
                throw;
            }
            Log(() => LogJoinFailed(_shared.Logger, ex));
            return false;
        }
    }

    /// <summary>Runs the socket on <paramref name="connection"/>, which the HTTP layer has let go of: the 101, then frames until it closes.</summary>
    public async Task RunAsync(ConnectionContext connection)
    {
        var started = Stopwatch.GetTimestamp();
        _shared.Telemetry.ConnectionOpened();
        try
        {
            // Reads stay on Kestrel's pipe; writes go to the socket itself where the transport has one.
            var output = FrameSink.For(connection.Features.Get<IConnectionSocketFeature>()?.Socket, connection.Transport.Output);
            Connection.Attach(connection.Transport.Input.AsStream(), output, _handshake, connection.Abort, _subProtocol);
            var writes = output is SocketSink ? "socket" : "pipe";
            using var stopping = _shared.Stopping.Register(
                () => Connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Server restarting."));
            Log(() => LogOpened(_shared.Logger, _member.Protocol, writes));
            if (_member.Protocol == ChatProtocolKind.V1)
            {
                await StartOrCloseAsync(connection.ConnectionClosed);
            }
            await Connection.RunAsync(_session.OnFrameAsync);
        }
        finally
        {
            await LeaveAsync();
            _slot.Dispose();
            _shared.Telemetry.ConnectionClosed();
#pragma warning disable CA1873 // the arguments are evaluated inside the lambda, which Log runs in the socket's scope
            Log(() => LogClosed(_shared.Logger, Stopwatch.GetElapsedTime(started).TotalSeconds, (int?)Connection.CloseStatus, Connection.CloseReason));
#pragma warning restore CA1873
        }
    }

    private async Task StartOrCloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _session.StartAsync(_resume, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log(() => LogJoinFailed(_shared.Logger, ex));
            Connection.RequestClose(CloseCodes.TryAgainLater, "Chat is unavailable right now; try again.");
        }
        catch (OperationCanceledException)
        {
            Connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Connection lost.");
        }
    }

    // Never throws: it runs in cleanup paths.
    private async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _joined, null) is not { } joined)
        {
            return;
        }
        try
        {
            await _shared.Presence.LeaveAsync(_room, _member.Presence, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Redis away: the entry expires within the presence TTL instead.
            Log(() => LogLeaveFailed(_shared.Logger, ex));
        }
        await _shared.Rooms.LeaveAsync(joined, _member);
    }

    private void Log(Action write)
    {
        using (SocketLogScope.Enter(_shared.Logger, _scope))
        {
            write();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket opened ({Protocol}, writes to the {Writes})")]
    private static partial void LogOpened(ILogger logger, ChatProtocolKind protocol, string writes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket closed after {DurationSeconds:F1} s with {CloseStatus} ({CloseReason})")]
    private static partial void LogClosed(ILogger logger, double durationSeconds, int? closeStatus, string? closeReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining the room failed")]
    private static partial void LogJoinFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leaving presence failed; the entry will expire")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);
}
