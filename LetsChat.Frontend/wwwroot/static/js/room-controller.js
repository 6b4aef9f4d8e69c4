// The room page's controller, as in TodoMVC: frames from the socket and events from the view go
// through here, into the store and back out to the view. The store and the view know nothing of
// each other or of the socket.
import { deleteFrame, editFrame, historyFrame, isOneEmoji, newClientId, reactFrame, REACTIONS, sendFrame, typingFrame } from './protocol.js';
import { ChatSocket } from './socket.js';
import { RoomStore } from './store.js';
import { mentionsMe, view } from './view.js';

const RETRY_UNAVAILABLE_MS = 2000;

export class RoomController {
  store = new RoomStore();
  loadingOlder = false;
  lastTypingSent = 0;
  jumpTarget = null; // a message a quote asked for, while older pages load
  unread = 0; // what arrived while the tab was hidden
  firstUnread = null;

  constructor(room) {
    this.room = room;
    this.socket = new ChatSocket(room, {
      resumePoint: () => this.store.resumePoint(),
      onState: (state) => view.showConnection(state),
      onFrame: (frame) => this.receive(frame),
    });
  }

  start() {
    view.showRoom(this.room);
    view.bindComposer(this.composer());
    view.bindActions(this.actions());
    view.onLoadOlder(() => {
      if (this.loadingOlder || this.store.oldestSeq === null) return;
      this.loadingOlder = this.socket.send(historyFrame(this.store.oldestSeq));
    });
    this.watchVisibility();
    setInterval(() => view.renderTyping(this.store.typists()), 1000);
    this.socket.open();
  }

  receive(frame) {
    this.frames[frame.type]?.(frame);
    // Someone now shares a name with another: what is drawn gets their tags.
    if (this.store.namesChanged) {
      this.store.namesChanged = false;
      view.renderMessages(this.store, { keepScroll: true });
      view.renderMembers(this.store);
    }
  }

  // One handler per server frame (docs/protocol.md).
  frames = {
    welcome: (frame) => {
      this.store.welcome(frame);
      view.showError('');
      // Resumed: the missed messages follow, and no history frame; otherwise history or reset will resend.
      if (frame.resumed) this.resendPending();
    },
    history: (frame) => {
      if (frame.before === undefined) {
        this.frames.reset(frame); // the join's history
        return;
      }
      this.store.prepend(frame);
      this.loadingOlder = false;
      view.renderMessages(this.store, { keepScroll: true });
      if (this.jumpTarget !== null) this.jumpTo(this.jumpTarget);
    },
    reset: (frame) => {
      this.store.replace(frame);
      view.renderMessages(this.store);
      this.resendPending();
    },
    message: (frame) => {
      if (this.store.add(frame)) {
        view.appendMessage(this.store, frame);
        this.noteUnread(frame);
      }
    },
    update: (frame) => {
      const message = this.store.update(frame);
      if (message) view.replaceMessage(this.store, message);
    },
    ack: (frame) => {
      const ask = this.store.reactAsks.get(frame.id);
      if (this.store.acked(frame.id)) view.renderPending(this.store);
      // The update may have come first, drawn before the page knew the reaction was mine.
      const reacted = ask && this.store.find(ask.seq);
      if (reacted) view.replaceMessage(this.store, reacted);
    },
    error: (frame) => this.refused(frame),
    presence: (frame) => {
      this.store.presence(frame);
      view.renderMembers(this.store);
      view.renderTyping(this.store.typists());
    },
    typing: (frame) => {
      this.store.startedTyping(frame.user);
      view.renderTyping(this.store.typists());
    },
  };

  refused(frame) {
    const pending = frame.id && this.store.pending.get(frame.id);
    const ask = frame.id && this.store.reactAsks.get(frame.id);
    if (ask) this.store.reactAsks.delete(frame.id);
    if (pending && frame.code === 'unavailable') {
      setTimeout(() => this.socket.send(sendFrame(pending.id, pending.text, pending.replyTo)), RETRY_UNAVAILABLE_MS);
    } else if (frame.code === 'no_change') {
      // Another tab (or a double click) got there first: the message is already as asked. A
      // reaction put on that was already there is mine though the message does not name me
      // (it names the first few only): the press meant to take it off.
      if (ask?.on && ask.toggle) this.react(ask.seq, ask.emoji, false);
    } else {
      if (pending) {
        pending.failed = true;
        view.renderPending(this.store);
      }
      view.showError(frame.message);
    }
  }

  // A react frame, remembered until its answer (RoomStore.acked, and no_change above). toggle: a
  // press on a reaction's chip, which means "take mine off" when the message counts me unnamed.
  react(seq, emoji, on, toggle = false) {
    const id = newClientId();
    if (this.socket.send(reactFrame(id, seq, emoji, on))) this.store.reactAsks.set(id, { seq, emoji, on, toggle });
  }

  resendPending() {
    for (const pending of this.store.pending.values()) {
      if (!pending.failed) this.socket.send(sendFrame(pending.id, pending.text, pending.replyTo));
    }
  }

  // Loads older pages until the message is on the page, then shows it.
  jumpTo(seq) {
    const { store } = this;
    if (view.revealMessage(seq)) {
      this.jumpTarget = null;
    } else if (store.moreBefore && store.oldestSeq !== null && seq < store.oldestSeq) {
      this.jumpTarget = seq;
      if (!this.loadingOlder) this.loadingOlder = this.socket.send(historyFrame(store.oldestSeq, 100));
    } else {
      this.jumpTarget = null;
      view.showError('That message is no longer in the history.');
    }
  }

  // While the tab is hidden: count what arrives, and tell the reader when they are mentioned.
  noteUnread(message) {
    if (!document.hidden || this.store.isMine(message)) return;
    this.unread += 1;
    this.firstUnread ??= message.seq;
    view.showUnread(this.room, this.unread);
    if (mentionsMe(message, this.store.me) && 'Notification' in window && Notification.permission === 'granted') {
      new Notification(`${message.user.name} mentioned you in ${this.room}`, { body: message.text.slice(0, 120), tag: `${this.room}-${message.seq}` });
    }
  }

  watchVisibility() {
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) return;
      if (this.firstUnread !== null) view.showDivider(this.firstUnread);
      this.unread = 0;
      this.firstUnread = null;
      view.showUnread(this.room, 0);
    });
    // Notifications are asked for only after the reader did something on the page, never on load.
    document.addEventListener('click', () => {
      if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission();
    }, { once: true });
  }

  composer() {
    const { store, socket } = this;
    return {
      maxChars: () => store.limits.maxMessageChars,
      onSend(text, replyTo) {
        const id = newClientId();
        store.addPending(id, text, replyTo);
        view.renderPending(store);
        socket.send(sendFrame(id, text, replyTo)); // if closed, it goes out after the reconnect
      },
      onEdit(message, text) {
        if (text !== message.text) socket.send(editFrame(newClientId(), message.seq, text));
      },
      mentionable: () => [...new Set([...store.members.values()].filter((u) => u.id !== store.me?.id).map((u) => u.name))],
      onEditLast() {
        const last = store.lastOwnMessage();
        if (last) view.composeEdit(last);
      },
      onTyping: () => {
        const now = Date.now();
        if (now - this.lastTypingSent >= store.limits.typingIntervalMs && socket.send(typingFrame())) this.lastTypingSent = now;
      },
    };
  }

  actions() {
    return {
      palette: REACTIONS,
      react: (message, emoji, on, toggle) => this.react(message.seq, emoji, on, toggle),
      reactOther: (message) => {
        const emoji = window.prompt('React with which emoji?')?.trim();
        if (!emoji) return;
        if (isOneEmoji(emoji)) this.react(message.seq, emoji, true);
        else view.showError('A reaction is one emoji.');
      },
      reply: (message) => view.composeReply(message),
      edit: (message) => view.composeEdit(message),
      delete: (message) => {
        if (window.confirm('Delete this message for everyone?')) this.socket.send(deleteFrame(newClientId(), message.seq));
      },
      jumpTo: (seq) => this.jumpTo(seq),
    };
  }
}
