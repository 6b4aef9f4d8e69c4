// One letschat.v1 socket per room that reconnects by itself (exponential backoff with jitter) and
// resumes from the last message it saw. It stands down while the browser is offline and comes
// back as soon as it is online again.
import { SUBPROTOCOL, parseFrame } from './protocol.js';

const MAX_DELAY_MS = 15_000;

export class ChatSocket {
  #room;
  #ws = null;
  #attempt = 0;
  #timer = null;
  #handlers;

  // handlers: onFrame(frame), onState(state), resumePoint() -> {epoch, after} | null
  constructor(room, handlers) {
    this.#room = room;
    this.#handlers = handlers;
    window.addEventListener('offline', () => this.#goOffline());
    window.addEventListener('online', () => this.#reconnectNow());
  }

  open() {
    clearTimeout(this.#timer);
    if (!navigator.onLine) {
      this.#handlers.onState('offline');
      return;
    }
    this.#handlers.onState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const resume = this.#handlers.resumePoint();
    const query = resume ? `?epoch=${encodeURIComponent(resume.epoch)}&after=${resume.after}` : '';
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/chat/${encodeURIComponent(this.#room)}/${query}`, SUBPROTOCOL);
    this.#ws = ws;
    ws.addEventListener('message', (event) => {
      const frame = parseFrame(event.data);
      if (!frame) return;
      if (frame.type === 'welcome') {
        this.#attempt = 0;
        this.#handlers.onState('open');
      }
      this.#handlers.onFrame(frame);
    });
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return; // an older socket we already replaced
      this.#ws = null;
      if (!navigator.onLine) {
        this.#handlers.onState('offline');
        return;
      }
      this.#scheduleReconnect();
    });
  }

  get isOpen() {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  send(data) {
    if (!this.isOpen) return false;
    this.#ws.send(data);
    return true;
  }

  #goOffline() {
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000, 'offline');
    this.#handlers.onState('offline');
  }

  #reconnectNow() {
    if (this.#ws) return;
    this.#attempt = 0;
    this.open();
  }

  #scheduleReconnect() {
    this.#handlers.onState('reconnecting');
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** this.#attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.open(), delay);
  }
}
