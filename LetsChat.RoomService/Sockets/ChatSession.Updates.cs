using System.Text;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Sockets;

// v1 edit, delete and react frames: read the message, decide the change (Rooms/MessageChanges),
// and store it in place of what was read; if the message changed meanwhile (another reaction, say),
// read it again and redo the change.
public sealed partial class ChatSession
{
    private const int UpdateAttempts = 5;

    private async Task UpdateAsync(ClientFrame frame)
    {
        var type = frame.Type!;
        if (!V1Frames.IsValidClientId(frame.Id))
        {
            await ErrorAsync("invalid_id", $"An {type} needs an id of 1 to {V1Frames.MaxClientIdLength} letters, digits, '-', '_', '.' or ':'.", null);
            return;
        }
        if (frame.Seq is not (> 0 and var seq))
        {
            await ErrorAsync("invalid_seq", $"An {type} needs the seq of a message in this room.", frame.Id);
            return;
        }
        var problem = type switch
        {
            "edit" => TextProblem(frame),
            "react" when !MessageChanges.IsEmoji(frame.Emoji) => ("invalid_emoji", "A reaction is one emoji."),
            "react" when frame.On is null => ("invalid_on", "A reaction needs \"on\": true to add it or false to take it off."),
            _ => null,
        };
        if (problem is var (code, message))
        {
            await ErrorAsync(code, message, frame.Id);
            return;
        }

        for (var attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            string? entry = null;
            PublishResult? result = null;
            if (!await TryAsync(async () => entry = await history.EntryAsync(room, seq, CancellationToken.None)))
            {
                break;
            }
            if (entry is null || RoomRecords.ReadBody(entry) is not { } current)
            {
                await ErrorAsync("not_found", $"There is no message {seq} in this room.", frame.Id);
                return;
            }
            // A reaction that counts more people than it names may hold this user's unnamed: ask the set.
            var counted = false;
            if (type == "react" && MessageChanges.NeedsReactorLookup(current, member.User, frame.Emoji!)
                && !await TryAsync(async () => counted = await history.ReactedAsync(room, seq, member.User.Id, frame.Emoji!, CancellationToken.None)))
            {
                break;
            }
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var change = type switch
            {
                "edit" => MessageChanges.Edit(current, member.User, frame.Text!, now),
                "delete" => MessageChanges.Delete(current, member.User),
                _ => MessageChanges.React(current, member.User, frame.Emoji!, frame.On!.Value, options.MaxReactionsPerMessage, counted),
            };
            if (change.Message is not { } next)
            {
                await ErrorAsync(change.Code!, change.Error!, frame.Id);
                return;
            }
            var newEntry = RoomRecords.Entry(seq, next);
            if (!change.Unchanged && Encoding.UTF8.GetByteCount(newEntry) > options.MaxStoredMessageBytes)
            {
                await ErrorAsync("too_large", $"That would make the message larger than {options.MaxStoredMessageBytes} bytes.", frame.Id);
                return;
            }
            var body = RoomRecords.Update(new UpdateBody(frame.Id!, member.User, type, seq, now, next));
            var update = new OutgoingUpdate(member.User, frame.Id!, seq, entry, newEntry, body, change.Unchanged)
            {
                Seen = Seen(),
                Reactors = RoomRecords.ReactorChange(change.Reactors, seq, member.User.Id, frame.Emoji ?? ""),
            };
            if (!await TryAsync(async () => result = await broker.UpdateAsync(room, update, CancellationToken.None)))
            {
                break;
            }
            switch (result!.Value.Refused)
            {
                case "conflict":
                    continue;
                case "not_found":
                    await ErrorAsync("not_found", $"There is no message {seq} in this room.", frame.Id);
                    return;
                case "no_change":
                    await ErrorAsync("no_change", $"That {type} changes nothing: message {seq} is already so.", frame.Id);
                    return;
            }
            await Connection.SendAsync(V1Frames.Ack(new AckFrame(frame.Id!, result.Value.Epoch, result.Value.Seq, result.Value.Duplicate)));
            return;
        }
        await ErrorAsync("unavailable", $"The {type} could not be stored right now; retry with the same id.", frame.Id);
    }
}
