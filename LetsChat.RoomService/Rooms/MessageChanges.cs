using System.Globalization;
using System.Text;
using LetsChat.RoomService.Wire;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// What an edit, a delete or a reaction does to a message: each returns the message's next state
/// (stored in place of its log entry by update.lua), or why it may not happen. Who may do what is
/// decided here, from the user id of the signed session, never from anything the client says.
/// </summary>
public static class MessageChanges
{
    /// <summary>Distinct emoji one message can carry; a new one beyond this is refused.</summary>
    public const int MaxEmoji = 20;

    /// <summary>
    /// The people a reaction names: the first to react. The rest are only counted in the message
    /// (so a popular message stays small) and kept in the room's reactors set, which says whether
    /// someone not named may take theirs off.
    /// </summary>
    public const int ShownReactors = 10;

    /// <summary>The longest emoji accepted, in UTF-16 units (a family with skin tones is about 25).</summary>
    public const int MaxEmojiLength = 32;

    public static Change Edit(MessageBody message, ChatUser user, string text, long at) =>
        Refusal(message, user, authorOnly: true)
        ?? (message.Text == text ? Change.None(message) : new Change(message with
        {
            Text = text,
            Edited = at,
            Version = message.Version + 1,
        }));

    /// <summary>
    /// A tombstone: the author and time stay, the text, reactions and reply go. Deleting it again
    /// changes nothing (a retry with the same id is still acked, by the log's dedupe).
    /// </summary>
    public static Change Delete(MessageBody message, ChatUser user) =>
        Refusal(message with { Deleted = false }, user, authorOnly: true)
        ?? (message.Deleted ? Change.None(message) : new Change(new MessageBody(message.Id, message.User, "", message.Timestamp)
        {
            Deleted = true,
            Version = message.Version + 1,
        })
        { Reactors = message.Reactions is null ? ReactorChange.None : ReactorChange.Clear });

    /// <summary>
    /// Whether the message alone cannot say if <paramref name="user"/> put <paramref name="emoji"/>
    /// on it: the reaction counts more people than it names, and the user is not among those named.
    /// Then the room's reactors set says (<see cref="React"/>'s <c>counted</c>).
    /// </summary>
    public static bool NeedsReactorLookup(MessageBody message, ChatUser user, string emoji) =>
        message.Reactions?.FirstOrDefault(r => r.Emoji == emoji) is { } reaction
        && reaction.Total > reaction.Users.Count && reaction.Users.All(u => u.Id != user.Id);

    /// <summary>
    /// Puts <paramref name="user"/>'s <paramref name="emoji"/> on the message (<paramref name="on"/>)
    /// or takes it off. <paramref name="counted"/>: the user's reaction is counted but not named (from
    /// the reactors set, when <see cref="NeedsReactorLookup"/>). A message carries at most
    /// <paramref name="maxReactions"/> reactions in all.
    /// </summary>
    public static Change React(MessageBody message, ChatUser user, string emoji, bool on, int maxReactions, bool counted = false)
    {
        if (Refusal(message, user, authorOnly: false) is { } refused)
        {
            return refused;
        }
        var reactions = (message.Reactions ?? []).ToList();
        var index = reactions.FindIndex(r => r.Emoji == emoji);
        var current = index < 0 ? null : reactions[index];
        if (current is null && on && reactions.Count >= MaxEmoji)
        {
            return new Change(null, "too_many_reactions", $"A message carries at most {MaxEmoji} different emoji.");
        }
        var named = current?.Users.Any(u => u.Id == user.Id) == true;
        if ((named || counted) == on)
        {
            return Change.None(message);
        }
        if (on && reactions.Sum(r => r.Total) >= maxReactions)
        {
            return new Change(null, "too_many_reactions", $"A message carries at most {maxReactions} reactions.");
        }
        var users = current?.Users.Where(u => u.Id != user.Id).ToList() ?? [];
        if (on && users.Count < ShownReactors)
        {
            users.Add(user);
        }
        var next = new Reaction(emoji, users, (current?.Total ?? 0) + (on ? 1 : -1));
        if (current is null)
        {
            reactions.Add(next);
        }
        else
        {
            reactions[index] = next;
        }
        reactions.RemoveAll(r => r.Total == 0);
        return new Change(message with
        {
            Reactions = reactions.Count == 0 ? null : reactions,
            Version = message.Version + 1,
        })
        { Reactors = on ? ReactorChange.Add : ReactorChange.Remove };
    }

    /// <summary>
    /// One emoji: a single grapheme, made of pictographs and their modifiers (skin tones, variation
    /// selectors, joiners, keycaps and flags); letters, digits and punctuation alone are not.
    /// </summary>
    public static bool IsEmoji(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxEmojiLength || new StringInfo(text).LengthInTextElements != 1)
        {
            return false;
        }
        var pictograph = false;
        foreach (var rune in text.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.OtherSymbol: // most emoji; regional indicators are So too
                    pictograph = true;
                    break;
                case UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format or UnicodeCategory.ModifierSymbol:
                    break; // VS16, the keycap ring, ZWJ, skin tones
                case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.OtherPunctuation when text.Length > 1:
                    break; // the 1 of 1️⃣, the # of #️⃣
                default:
                    return false;
            }
        }
        return pictograph || text.Contains('\u20E3');
    }

    // Only the author edits or deletes; nobody changes a deleted message.
    private static Change? Refusal(MessageBody message, ChatUser user, bool authorOnly) =>
        message.Deleted ? new Change(null, "not_found", "That message was deleted.")
        : authorOnly && message.User.Id != user.Id ? new Change(null, "forbidden", "Only its author can change a message.")
        : null;
}

/// <summary>A message's next state, or (<see cref="Message"/> null) the error code and text that refuse the change.</summary>
public sealed record Change(MessageBody? Message, string? Code = null, string? Error = null)
{
    /// <summary>
    /// The change leaves the message as it is (an edit to the same text, a second delete, a reaction
    /// already there): nothing is stored, and only a retry of a change already stored is acked.
    /// </summary>
    public bool Unchanged { get; init; }

    public static Change None(MessageBody message) => new(message) { Unchanged = true };

    /// <summary>What the change does to the room's reactors set (who reacted to what), stored with it.</summary>
    public ReactorChange Reactors { get; init; }
}

/// <summary>The user's reaction goes in or out of the reactors set, or the message's all go (a delete).</summary>
public enum ReactorChange { None, Add, Remove, Clear }
