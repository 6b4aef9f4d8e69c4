// What the room page knows: the messages (in seq order, each once), the sends still waiting for
// an ack, who is here and who is typing. No DOM here.
const TYPING_SHOWN_MS = 3000;

export class RoomStore {
  me = null;
  epoch = null;
  seen = 0; // the newest seq of this epoch we have applied (a message, an update, or the join point)
  messages = []; // ascending seq, no duplicates, each as it is now (updates applied)
  moreBefore = false;
  pending = new Map(); // client id -> { id, text, failed }
  members = new Map(); // user id -> user: all of them, or the first the server listed in a crowd
  memberCount = 0; // how many are here: a crowd (over the server's PresenceListed) sends its count, not its joins
  // "seq emoji" of my reactions that their message counts but does not name (it names only the
  // first to react): learned from my own acks, so the page can show them as mine.
  myUnnamed = new Set();
  reactAsks = new Map(); // client id of a react frame -> { seq, emoji, on }
  // Name (as compared) -> the user ids seen with it, in members and messages: two people of one
  // name are told apart by a tag from their id. namesChanged: a name became shared since last looked.
  #owners = new Map();
  namesChanged = false;
  typing = new Map(); // user id -> { user, until }
  limits = { maxMessageChars: 4000, typingIntervalMs: 2000 };

  get lastSeq() {
    return this.seen;
  }

  get oldestSeq() {
    return this.messages.length ? this.messages[0].seq : null;
  }

  // Where to resume from after a disconnect: the last event seen (or the join point).
  resumePoint() {
    return this.epoch ? { epoch: this.epoch, after: this.lastSeq } : null;
  }

  // Remembers who goes by a name; the page tags names that more than one user goes by.
  learn(user) {
    const key = user.name.normalize('NFKC').toLowerCase();
    const ids = this.#owners.get(key) ?? new Set();
    if (!ids.has(user.id)) {
      ids.add(user.id);
      this.#owners.set(key, ids);
      if (ids.size === 2) this.namesChanged = true;
    }
  }

  // Whether someone else goes by this user's name (then the page shows the tag too).
  sharesName(user) {
    return (this.#owners.get(user.name.normalize('NFKC').toLowerCase())?.size ?? 0) > 1;
  }

  welcome(frame) {
    this.me = frame.user;
    this.learn(frame.user);
    this.limits = { ...this.limits, ...frame.limits };
    if (this.epoch !== frame.epoch) this.seen = frame.seq;
    this.epoch = frame.epoch;
  }

  // The join's history or a reset: what we show becomes exactly this.
  replace(frame) {
    if (frame.epoch !== this.epoch) this.seen = 0;
    this.epoch = frame.epoch;
    this.messages = [...frame.messages];
    this.seen = Math.max(this.seen, this.messages.at(-1)?.seq ?? 0);
    this.moreBefore = frame.more;
    for (const message of this.messages) {
      this.#settle(message);
      this.learn(message.user);
    }
  }

  // An older page: goes in front of what we have.
  prepend(frame) {
    const oldest = this.oldestSeq ?? Infinity;
    const older = frame.messages.filter((m) => m.seq < oldest);
    for (const message of older) this.learn(message.user);
    this.messages = [...older, ...this.messages];
    this.moreBefore = frame.more;
    return older;
  }

  // A live or missed message. False when we already have it.
  add(message) {
    if (message.epoch !== this.epoch) {
      this.epoch = message.epoch;
      this.messages = [];
      this.seen = 0;
    }
    if (message.seq <= this.seen) return false;
    this.seen = message.seq;
    this.messages.push(message);
    this.typing.delete(message.user.id);
    this.#settle(message);
    this.learn(message.user);
    return true;
  }

  // An edit, delete or reaction: the target becomes the state it carries. Returns the target as
  // it is now, or null when we do not have it (loading it later brings its current state).
  update(frame) {
    if (frame.epoch !== this.epoch || frame.seq <= this.seen) return null;
    this.seen = frame.seq;
    const index = this.messages.findIndex((m) => m.seq === frame.target);
    if (index < 0) return null;
    this.messages[index] = { ...frame.message, type: 'message', room: frame.room, epoch: frame.epoch, seq: frame.target };
    return this.messages[index];
  }

  find(seq) {
    return this.messages.find((m) => m.seq === seq) ?? null;
  }

  // The last message of ours that can still be edited (for the ↑ key).
  lastOwnMessage() {
    return this.messages.findLast((m) => this.isMine(m) && !m.deleted) ?? null;
  }

  addPending(id, text, replyTo = null) {
    this.pending.set(id, { id, text, replyTo, failed: false });
  }

  acked(id) {
    const ask = this.reactAsks.get(id);
    if (ask) {
      this.reactAsks.delete(id);
      this.myReaction(ask.seq, ask.emoji, ask.on);
    }
    return this.pending.delete(id);
  }

  myReaction(seq, emoji, on) {
    if (on) this.myUnnamed.add(`${seq} ${emoji}`);
    else this.myUnnamed.delete(`${seq} ${emoji}`);
  }

  // Whether I put this emoji on the message: named in it, or counted (as my acks said).
  reacted(message, { emoji, users }) {
    return users.some((u) => this.me && u.id === this.me.id) || this.myUnnamed.has(`${message.seq} ${emoji}`);
  }

  isMine(message) {
    return this.me && message.user.id === this.me.id;
  }

  presence(frame) {
    if (frame.event === 'snapshot') {
      this.members = new Map(frame.members.map((u) => [u.id, u]));
      this.memberCount = frame.count ?? this.members.size;
      for (const user of frame.members) this.learn(user);
    } else if (frame.event === 'join') {
      if (!this.members.has(frame.user.id)) this.memberCount++;
      this.members.set(frame.user.id, frame.user);
      this.learn(frame.user);
    } else if (frame.event === 'leave') {
      if (this.members.delete(frame.user.id)) this.memberCount--;
      this.typing.delete(frame.user.id);
    } else if (frame.event === 'count') {
      this.memberCount = frame.count;
    }
    this.memberCount = Math.max(this.memberCount, this.members.size);
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
