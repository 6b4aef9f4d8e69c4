using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Sockets;

// v1 edit, delete and react frames: checked here, decided by Rooms/MessageChanges, stored by the
// broker (which reads the message, asks Decide, and asks again if another change came first).
public sealed partial class ChatSession
{
    private async Task UpdateAsync(ClientFrame frame)
    {
        var type = frame.Type!;
        if (UpdateProblem(frame) is var (code, message))
        {
            await ErrorAsync(code, message, code == "invalid_id" ? null : frame.Id);
            return;
        }
        var seq = frame.Seq!.Value;
        var update = new MessageUpdate(member.User, frame.Id!, type, seq, clock.GetUtcNow(), frame.Emoji) { Seen = Seen() };
        PublishResult result = default;
        if (!await TryAsync(async () => result = await broker.UpdateAsync(room, update, state => Decide(frame, state, update.At), CancellationToken.None)))
        {
            await ErrorAsync("unavailable", $"The {type} could not be stored right now; retry with the same id.", frame.Id);
            return;
        }
        if (result.Refused is null)
        {
            await Connection.SendAsync(V1Frames.Ack(new AckFrame(frame.Id!, result.Epoch, result.Seq, result.Duplicate)));
            return;
        }
        // A conflict is every try losing to other changes of a busy message: like Redis being away, a retry fixes it.
        await ErrorAsync(result.Refused == "conflict" ? "unavailable" : result.Refused, result.Reason ?? result.Refused switch
        {
            "not_found" => $"There is no message {seq} in this room.",
            "no_change" => $"That {type} changes nothing: message {seq} is already so.",
            "too_large" => $"That would make the message larger than {options.MaxStoredMessageBytes} bytes.",
            _ => $"Message {seq} is changing fast right now; retry the {type} with the same id.",
        }, frame.Id);
    }

    private (string Code, string Message)? UpdateProblem(ClientFrame frame) => frame switch
    {
        _ when !V1Frames.IsValidClientId(frame.Id) =>
            ("invalid_id", $"An {frame.Type} needs an id of 1 to {V1Frames.MaxClientIdLength} letters, digits, '-', '_', '.' or ':'."),
        { Seq: not > 0 } => ("invalid_seq", $"An {frame.Type} needs the seq of a message in this room."),
        { Type: "edit" } => TextProblem(frame),
        { Type: "react" } when !MessageChanges.IsEmoji(frame.Emoji) => ("invalid_emoji", "A reaction is one emoji."),
        { Type: "react", On: null } => ("invalid_on", "A reaction needs \"on\": true to add it or false to take it off."),
        _ => null,
    };

    // Who may do what, and what it does, is Rooms/MessageChanges'; the user is the signed session's.
    private Change Decide(ClientFrame frame, MessageState state, DateTimeOffset at) => frame.Type switch
    {
        "edit" => MessageChanges.Edit(state.Message, member.User, frame.Text!, at.ToUnixTimeMilliseconds()),
        "delete" => MessageChanges.Delete(state.Message, member.User),
        _ => MessageChanges.React(state.Message, member.User, frame.Emoji!, frame.On!.Value, options.MaxReactionsPerMessage,
            counted: state.Reacted && MessageChanges.NeedsReactorLookup(state.Message, member.User, frame.Emoji!)),
    };
}
