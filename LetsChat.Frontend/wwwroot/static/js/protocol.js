// letschat.v1 frames (docs/protocol.md). Builders for what the page sends; a tolerant parser for
// what it receives.
export const SUBPROTOCOL = 'letschat.v1';

export const sendFrame = (id, text) => JSON.stringify({ type: 'send', id, text });
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
