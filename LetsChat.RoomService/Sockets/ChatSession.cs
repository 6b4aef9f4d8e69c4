using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Security;
using LetsChat.RoomService.Telemetry;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Sockets;

/// <summary>Where a v1 client left off: its last (epoch, seq), from the upgrade's query string.</summary>
public sealed record ResumePoint(string Epoch, long AfterSeq);

/// <summary>
/// The protocol side of one socket: what to send when it starts, and what to do with each frame
/// it sends. Seed and v1 share the publish path; v1 adds acks, history, catch-up and typing.
/// </summary>
public sealed partial class ChatSession(
    string room,
    Member member,
    ChatConnection connection,
    string replica,
    IRoomBroker broker,
    IRoomHistory history,
    IRoomPresence presence,
    RoomServiceOptions options,
    RoomTelemetry telemetry,
    TimeProvider clock,
    ILogger logger)
{
    // The upgrade request's span: every message's receive span links to it, but is not its child,
    // so one message is one trace however long the socket lives.
    private readonly ActivityContext _socketSpan = Activity.Current?.Context ?? default;

    private ChatConnection Connection => connection;

    /// <summary>This socket's rate limit; none in unit tests.</summary>
    public FloodGuard.Meter? Flood { get; init; }

    /// <summary>
    /// The newest (epoch, seq) this replica delivered in the room: publishing checks the log is not
    /// behind it. Its <see cref="ChatSocket"/> answers it from the room it joined.
    /// </summary>
    internal Func<(string? Epoch, long Seq)> Seen { get; set; } = () => default;

    /// <summary>Room, connection and user for this socket's log lines.</summary>
    internal SocketLogScope? LogScope { get; init; }

    /// <summary>
    /// v1 only: welcome, then the recent history, the missed messages (resume) or a reset, then live.
    /// The member has been subscribed since before the upgrade, so nothing falls between the log
    /// read here and the live events held meanwhile.
    /// </summary>
    public async Task StartAsync(ResumePoint? resume, CancellationToken cancellationToken)
    {
        // The log and the member list are read at once: one round trip, not two.
        var paging = resume is null
            ? history.LatestAsync(room, options.JoinHistory, create: true, cancellationToken)
            : history.AfterAsync(room, resume.AfterSeq, options.HistoryLength, create: true, cancellationToken);
        var listing = presence.MembersAsync(room, cancellationToken);
        await Task.WhenAll(paging, listing);
        var (page, members) = (await paging, await listing);
        var epoch = page.Epoch!; // create: true guarantees one

        // The client can resume only from a place this log still covers: same epoch, no trimmed gap,
        // not ahead, and not so far back that what it missed (messages and updates) is over a page.
        var resumed = resume is not null && resume.Epoch == epoch && resume.AfterSeq >= page.FirstSeq - 1 && resume.AfterSeq <= page.LastSeq && !page.More;
        var limits = new Limits(options.MaxMessageChars, options.MaxFrameBytes, options.HistoryPageMax, options.TypingIntervalMilliseconds);
        await Connection.SendAsync(V1Frames.Welcome(new WelcomeFrame(room, epoch, page.LastSeq, member.User, replica, resumed, limits)));
        // A crowd's snapshot lists only some of its members: the joiner is always one of them.
        var listed = members.Listed.Any(u => u.Id == member.User.Id)
            ? members.Listed
            : [member.User, .. members.Listed.Take(options.PresenceListed - 1)];
        await Connection.SendAsync(V1Frames.Presence(listed, Math.Max(members.Count, listed.Count)));

        if (resumed)
        {
            await Connection.SendAsync(page.V1); // one write and one flush for all it missed
        }
        else
        {
            var recent = (resume is null ? page : await history.LatestAsync(room, options.JoinHistory, create: true, cancellationToken))
                .NewestWithin(options.HistoryFrameBytes);
            var frame = resume is null
                ? V1Frames.History("history", recent.Epoch, recent.V1, recent.More)
                : V1Frames.History("reset", recent.Epoch, recent.V1, recent.More,
                    reason: resume.Epoch != epoch ? "epoch_changed" : "gap_too_old");
            await Connection.SendAsync(frame);
            page = recent;
        }
        member.GoLive(page.Epoch, page.LastSeq);
    }

    /// <summary>One complete text frame from the client: the root span of what it causes.</summary>
    public async Task OnFrameAsync(ReadOnlyMemory<byte> frame)
    {
        if (Flood is { } flood && await flood.CheckAsync() is var verdict && verdict != FloodGuard.Verdict.Allowed)
        {
            await RefuseFloodAsync(flood, verdict);
            return;
        }
        Activity.Current = null; // a new trace, not a child of the socket's request
        using var receive = RoomTelemetry.Source.StartActivity(
            $"receive {room}", ActivityKind.Consumer, parentContext: default,
            links: _socketSpan == default ? null : [new ActivityLink(_socketSpan)]);
        receive?.SetTag("messaging.system", "websocket")
            .SetTag("messaging.destination.name", room)
            .SetTag("messaging.operation.type", "receive")
            .SetTag("messaging.message.body.size", frame.Length)
            .SetTag("letschat.room", room)
            .SetTag("letschat.protocol", member.Protocol == ChatProtocolKind.Seed ? "seed" : ChatProtocols.V1Name);
        await (member.Protocol == ChatProtocolKind.Seed ? OnSeedFrameAsync(frame) : OnV1FrameAsync(frame));
    }

    // Over the rate limit: the frame is dropped. A v1 client hears so once per burst (answering every
    // refused frame would let a flooder make us send as much as it does); one that keeps on is closed.
    private async Task RefuseFloodAsync(FloodGuard.Meter flood, FloodGuard.Verdict verdict)
    {
        telemetry.FrameRejected(verdict switch
        {
            FloodGuard.Verdict.User => "user_rate_limited",
            FloodGuard.Verdict.Network => "network_rate_limited",
            _ => "rate_limited",
        });
        if (flood.Exceeded)
        {
            Connection.Reject(WebSocketCloseStatus.PolicyViolation, "flood", "Too many frames: slow down.");
        }
        else if (flood.RefusedInARow == 1 && member.Protocol == ChatProtocolKind.V1)
        {
            await Connection.SendAsync(V1Frames.Error("rate_limited", verdict switch
            {
                FloodGuard.Verdict.User => "Too many frames from your sockets together: slow down. This frame was dropped.",
                FloodGuard.Verdict.Network => "Too many frames from your network: slow down. This frame was dropped.",
                _ => $"Too many frames: at most {options.FramesPerSecond} per second (bursts of {options.FrameBurst}). This frame was dropped.",
            }));
        }
    }

    private async Task OnSeedFrameAsync(ReadOnlyMemory<byte> frame)
    {
        if (!SeedProtocol.TryParseSend(frame.Span, out var text, out var error))
        {
            Connection.Reject(WebSocketCloseStatus.InvalidPayloadData, "invalid_json", error);
            return;
        }
        if (text.Length > options.MaxMessageChars)
        {
            Connection.Reject(WebSocketCloseStatus.MessageTooBig, "too_long", $"Messages are limited to {options.MaxMessageChars} characters.");
            return;
        }
        if (VisibleText.MessageProblem(text) is { } problem)
        {
            Connection.Reject(WebSocketCloseStatus.InvalidPayloadData, "invalid_text", problem);
            return;
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            // The tutorial's page sends whatever is in its box, Enter on an empty one too: not worth
            // closing its socket for, and nothing to store. Dropped and counted.
            telemetry.FrameRejected("empty_text");
            return;
        }
        if (await TryPublishAsync(text, clientId: null) is null)
        {
            // Seed clients have no error frame: close, so the client knows its message did not go.
            Connection.RequestClose(CloseCodes.TryAgainLater, "Chat is unavailable right now; try again.");
        }
    }

    private async Task OnV1FrameAsync(ReadOnlyMemory<byte> bytes)
    {
        if (V1Frames.Parse(bytes.Span) is not { } frame)
        {
            Connection.Reject(WebSocketCloseStatus.InvalidPayloadData, "invalid_json", "Expected a JSON object frame (see docs/protocol.md).");
            return;
        }
        switch (frame.Type)
        {
            case "send":
                await SendAsync(frame);
                break;
            case "history":
                await HistoryAsync(frame);
                break;
            case "edit" or "delete" or "react":
                await UpdateAsync(frame);
                break;
            case "typing":
                if (member.TryTyping(TimeSpan.FromMilliseconds(options.TypingIntervalMilliseconds), clock.GetUtcNow().Ticks))
                {
                    await TryAsync(() => broker.PublishTypingAsync(room, member.User, CancellationToken.None));
                }
                break;
            default:
                await ErrorAsync("unknown_type", $"Unknown frame type '{Truncate(frame.Type)}'; expected send, edit, delete, react, history or typing.", null);
                break;
        }
    }

    private async Task SendAsync(ClientFrame frame)
    {
        if (!V1Frames.IsValidClientId(frame.Id))
        {
            await ErrorAsync("invalid_id", $"A send needs an id of 1 to {V1Frames.MaxClientIdLength} letters, digits, '-', '_', '.' or ':'.", null);
            return;
        }
        if (TextProblem(frame) is var (code, message))
        {
            await ErrorAsync(code, message, frame.Id);
            return;
        }
        if (frame.ReplyTo is < 1)
        {
            await ErrorAsync("invalid_reply", "replyTo must be the seq of a message in this room.", frame.Id);
            return;
        }

        if (await TryPublishAsync(frame.Text!, frame.Id, frame.ReplyTo) is { } result)
        {
            if (result.Refused is not null)
            {
                await ErrorAsync("not_found", $"There is no message {frame.ReplyTo} in this room to reply to.", frame.Id);
                return;
            }
            await Connection.SendAsync(V1Frames.Ack(new AckFrame(frame.Id!, result.Epoch, result.Seq, result.Duplicate)));
        }
        else
        {
            // Never acknowledged: the client keeps it pending and retries with the same id.
            await ErrorAsync("unavailable", "Chat is unavailable right now; retry with the same id.", frame.Id);
        }
    }

    private async Task HistoryAsync(ClientFrame frame)
    {
        var limit = frame.Limit ?? options.JoinHistory;
        if (limit < 1 || limit > options.HistoryPageMax)
        {
            await ErrorAsync("invalid_limit", $"limit must be from 1 to {options.HistoryPageMax}.", null);
            return;
        }
        if (frame.Before is < 1)
        {
            await ErrorAsync("invalid_before", "before must be a message seq (from 1).", null);
            return;
        }
        var before = frame.Before ?? long.MaxValue;
        HistoryPage? page = null;
        await TryAsync(async () => page = (await history.BeforeAsync(room, before, limit, CancellationToken.None)).NewestWithin(options.HistoryFrameBytes));
        await Connection.SendAsync(page is null
            ? V1Frames.Error("unavailable", "History is unavailable right now; try again.")
            : V1Frames.History("history", page.Epoch, page.V1, page.More, frame.Before));
    }

    private (string Code, string Message)? TextProblem(ClientFrame frame) => frame.Text switch
    {
        null => ("invalid_text", $"A{(frame.Type == "edit" ? "n edit" : " send")} needs a string \"text\"."),
        { } t when string.IsNullOrWhiteSpace(t) => ("empty_text", "The message is empty."),
        { Length: var n } when n > options.MaxMessageChars => ("text_too_long", $"Messages are limited to {options.MaxMessageChars} characters."),
        { } t when VisibleText.MessageProblem(t) is { } problem => ("invalid_text", problem),
        _ => null,
    };

    private async Task<PublishResult?> TryPublishAsync(string text, string? clientId, long? replyTo = null)
    {
        telemetry.MessageReceived();
        using var publish = RoomTelemetry.Source.StartActivity($"publish {room}", ActivityKind.Producer);
        publish?.SetTag("messaging.system", broker.MessagingSystem)
            .SetTag("messaging.destination.name", broker.DestinationOf(room))
            .SetTag("messaging.operation.type", "send")
            .SetTag("messaging.operation.name", "publish")
            .SetTag("messaging.message.body.size", Encoding.UTF8.GetByteCount(text))
            .SetTag("letschat.room", room);
        try
        {
            // The publish span's context travels in the envelope: each replica's process span is its child.
            var message = new OutgoingMessage(member.User, clientId, text, clock.GetUtcNow(), publish?.Id) { Seen = Seen(), ReplyTo = replyTo };
            var result = await broker.PublishAsync(room, message, CancellationToken.None);
            publish?.SetTag("messaging.message.id", $"{result.Epoch}:{result.Seq}")
                .SetTag("letschat.duplicate", result.Duplicate);
            if (!result.Duplicate && result.Refused is null)
            {
                telemetry.MessagePublished();
            }
            return result;
        }
        catch (Exception ex)
        {
            publish?.SetStatus(ActivityStatusCode.Error, ex.Message);
            telemetry.PublishFailed();
            using (SocketLogScope.Enter(logger, LogScope))
            {
                LogPublishFailed(logger, ex);
            }
            return null;
        }
    }

    /// <summary>Runs a Redis call; false (and a log line) when it failed.</summary>
    private async Task<bool> TryAsync(Func<Task> redisCall)
    {
        try
        {
            await redisCall();
            return true;
        }
        catch (Exception ex)
        {
            using (SocketLogScope.Enter(logger, LogScope))
            {
                LogRedisCallFailed(logger, ex);
            }
            return false;
        }
    }

    private async Task ErrorAsync(string code, string message, string? id)
    {
        telemetry.FrameRejected(code);
        await Connection.SendAsync(V1Frames.Error(code, message, id));
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 32 ? value : value[..32] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing to Redis failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Redis call failed")]
    private static partial void LogRedisCallFailed(ILogger logger, Exception exception);
}
