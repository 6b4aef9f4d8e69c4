// What the room page knows: the messages (in seq order, each once), the sends still waiting for
// an ack, who is here and who is typing. No DOM here.
const TYPING_SHOWN_MS = 3000;

export class RoomStore {
  me = null;
  epoch = null;
  joinedAtSeq = 0; // the room's newest seq when we joined: where to resume from before any message
  messages = []; // ascending seq, no duplicates
  moreBefore = false;
  pending = new Map(); // client id -> { id, text, failed }
  members = new Map(); // user id -> user
  typing = new Map(); // user id -> { user, until }
  limits = { maxMessageChars: 4000, typingIntervalMs: 2000 };

  get lastSeq() {
    return this.messages.length ? this.messages[this.messages.length - 1].seq : this.joinedAtSeq;
  }

  get oldestSeq() {
    return this.messages.length ? this.messages[0].seq : null;
  }

  // Where to resume from after a disconnect: the last message seen (or the join point).
  resumePoint() {
    return this.epoch ? { epoch: this.epoch, after: this.lastSeq } : null;
  }

  welcome(frame) {
    this.me = frame.user;
    this.limits = { ...this.limits, ...frame.limits };
    if (this.epoch !== frame.epoch) this.joinedAtSeq = frame.seq;
    this.epoch = frame.epoch;
  }

  // The join's history or a reset: what we show becomes exactly this.
  replace(frame) {
    if (frame.epoch !== this.epoch) this.joinedAtSeq = 0;
    this.epoch = frame.epoch;
    this.messages = [...frame.messages];
    this.moreBefore = frame.more;
    for (const message of this.messages) this.#settle(message);
  }

  // An older page: goes in front of what we have.
  prepend(frame) {
    const oldest = this.oldestSeq ?? Infinity;
    const older = frame.messages.filter((m) => m.seq < oldest);
    this.messages = [...older, ...this.messages];
    this.moreBefore = frame.more;
    return older;
  }

  // A live or missed message. False when we already have it.
  add(message) {
    if (message.epoch !== this.epoch) {
      this.epoch = message.epoch;
      this.messages = [];
      this.joinedAtSeq = 0;
    }
    if (message.seq <= this.lastSeq) return false;
    this.messages.push(message);
    this.typing.delete(message.user.id);
    this.#settle(message);
    return true;
  }

  addPending(id, text) {
    this.pending.set(id, { id, text, failed: false });
  }

  acked(id) {
    return this.pending.delete(id);
  }

  isMine(message) {
    return this.me && message.user.id === this.me.id;
  }

  presence(frame) {
    if (frame.event === 'snapshot') {
      this.members = new Map(frame.members.map((u) => [u.id, u]));
    } else if (frame.event === 'join') {
      this.members.set(frame.user.id, frame.user);
    } else if (frame.event === 'leave') {
      this.members.delete(frame.user.id);
      this.typing.delete(frame.user.id);
    }
  }

  startedTyping(user, now = Date.now()) {
    this.typing.set(user.id, { user, until: now + TYPING_SHOWN_MS });
  }

  typists(now = Date.now()) {
    for (const [id, entry] of this.typing) if (entry.until <= now) this.typing.delete(id);
    return [...this.typing.values()].map((entry) => entry.user.name);
  }

  // A message of ours that arrived settles its pending send, even before the ack does.
  #settle(message) {
    if (message.id && this.isMine(message)) this.pending.delete(message.id);
  }
}
