// letschat.v1 frames (docs/protocol.md). Builders for what the page sends; a tolerant parser for
// what it receives.
export const SUBPROTOCOL = 'letschat.v1';

export const sendFrame = (id, text, replyTo = null) =>
  JSON.stringify(replyTo ? { type: 'send', id, text, replyTo } : { type: 'send', id, text });
export const editFrame = (id, seq, text) => JSON.stringify({ type: 'edit', id, seq, text });
export const deleteFrame = (id, seq) => JSON.stringify({ type: 'delete', id, seq });
// Says what we want (on or off), so a retry cannot undo it.
export const reactFrame = (id, seq, emoji, on) => JSON.stringify({ type: 'react', id, seq, emoji, on });

// One emoji, as the server judges it (Rooms/MessageChanges.IsEmoji): one grapheme with a pictograph in it.
export const isOneEmoji = (text) =>
  [...new Intl.Segmenter().segment(text)].length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u.test(text);

// The palette under each message; the server takes any single emoji.
export const REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];
export const historyFrame = (before, limit = 50) => JSON.stringify({ type: 'history', before, limit });
export const typingFrame = () => JSON.stringify({ type: 'typing' });

export function parseFrame(data) {
  try {
    const frame = JSON.parse(data);
    return frame && typeof frame.type === 'string' ? frame : null;
  } catch {
    return null;
  }
}

// Client message ids: unique, and made only of characters the server accepts.
export function newClientId() {
  return crypto.randomUUID();
}
