// One chat socket that reconnects by itself, with exponential backoff and jitter.
// The seed protocol: send {"message": text}, receive {"message": text, ...}.
export class ChatSocket {
  #url;
  #ws = null;
  #attempt = 0;
  #closed = false;

  constructor(url, { onMessage, onState, onRefused }) {
    this.#url = url;
    this.onMessage = onMessage;
    this.onState = onState;
    this.onRefused = onRefused;
  }

  open() {
    this.onState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#attempt = 0;
      this.onState('open');
    });
    ws.addEventListener('message', (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else rather than break the page
      }
      if (typeof frame.message === 'string') this.onMessage(frame);
    });
    ws.addEventListener('close', (event) => {
      if (this.#closed) return;
      // 1003/1007/1008/1009: the server refused what we sent. Say so, then carry on.
      if ([1003, 1007, 1008, 1009].includes(event.code)) {
        this.onRefused(event.code, event.reason);
      }
      this.#scheduleReconnect();
    });
  }

  send(text) {
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify({ message: text }));
    return true;
  }

  close() {
    this.#closed = true;
    this.#ws?.close(1000);
  }

  #scheduleReconnect() {
    this.onState('reconnecting');
    const base = Math.min(30_000, 500 * 2 ** this.#attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.#attempt += 1;
    setTimeout(() => this.open(), delay);
  }
}
