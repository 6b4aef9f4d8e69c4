using System.Globalization;
using System.Text;
using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Protocol;

namespace LetsChat.RoomService.Rooms;

/// <summary>
/// What an edit, a delete or a reaction does to a message: each returns the message's next state
/// (folded into its log entry by publish.lua), or why it may not happen. Who may do what is
/// decided here, from the user id of the signed session, never from anything the client says.
/// </summary>
internal static class MessageChanges
{
    /// <summary>Distinct emoji one message can carry; a new one beyond this is refused.</summary>
    public const int MaxReactions = 20;

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
        ?? (message.Deleted ? Change.None(message) : new Change(new MessageBody(message.Id, message.User, "", message.Timestamp, null)
        {
            Deleted = true,
            Version = message.Version + 1,
        }));

    /// <summary>Puts <paramref name="user"/>'s <paramref name="emoji"/> on the message (<paramref name="on"/>) or takes it off.</summary>
    public static Change React(MessageBody message, ChatUser user, string emoji, bool on)
    {
        if (Refusal(message, user, authorOnly: false) is { } refused)
        {
            return refused;
        }
        var reactions = (message.Reactions ?? []).ToList();
        var index = reactions.FindIndex(r => r.Emoji == emoji);
        if (index < 0 && on && reactions.Count >= MaxReactions)
        {
            return new Change(null, "too_many_reactions", $"A message carries at most {MaxReactions} different reactions.");
        }
        var had = index >= 0 && reactions[index].Users.Any(u => u.Id == user.Id);
        if (had == on)
        {
            return Change.None(message);
        }
        var users = index < 0 ? [] : reactions[index].Users.Where(u => u.Id != user.Id).ToList();
        if (on)
        {
            users.Add(user);
        }
        if (index < 0)
        {
            reactions.Add(new Reaction(emoji, users));
        }
        else
        {
            reactions[index] = reactions[index] with { Users = users };
        }
        reactions.RemoveAll(r => r.Users.Count == 0);
        return new Change(message with
        {
            Reactions = reactions.Count == 0 ? null : reactions,
            Version = message.Version + 1,
        });
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
internal sealed record Change(MessageBody? Message, string? Code = null, string? Error = null)
{
    /// <summary>
    /// The change leaves the message as it is (an edit to the same text, a second delete, a reaction
    /// already there): nothing is stored, and only a retry of a change already stored is acked.
    /// </summary>
    public bool Unchanged { get; init; }

    public static Change None(MessageBody message) => new(message) { Unchanged = true };
}
