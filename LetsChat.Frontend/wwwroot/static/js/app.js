// The room page: wires the socket, the store and the view.
import { deleteFrame, editFrame, historyFrame, isOneEmoji, newClientId, reactFrame, REACTIONS, sendFrame, typingFrame } from './protocol.js';
import { roomError, roomFromPath } from './rooms.js';
import { currentUser } from './session.js';
import { ChatSocket } from './socket.js';
import { RoomStore } from './store.js';
import { mentionsMe, view } from './view.js';

const RETRY_UNAVAILABLE_MS = 2000;

const room = roomFromPath(window.location.pathname);
const problem = room === null ? 'This is not a room address.' : roomError(room);

if (problem) {
  view.showRoom('No such room');
  view.showError(`${problem} Go back and pick another name.`);
  view.showConnection('offline');
  view.disableComposer();
} else if ((await signedIn()) === null) {
  // No name yet: the lobby asks for one, then comes back here.
  window.location.replace(`/chat/?room=${encodeURIComponent(room)}`);
} else {
  start(room);
}

// The session's user, or null without one. A failed check is tried again (a few times, then the
// socket's own upgrade decides): a blip must not send someone back to the lobby.
async function signedIn() {
  for (let attempt = 0; ; attempt++) {
    try {
      return await currentUser();
    } catch {
      if (attempt >= 4) return undefined;
      view.showError('Checking who you are…');
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  }
}

function start(room) {
  const store = new RoomStore();
  let loadingOlder = false;
  let lastTypingSent = 0;

  const socket = new ChatSocket(room, {
    resumePoint: () => store.resumePoint(),
    onState: (state) => view.showConnection(state),
    onFrame: (frame) => {
      handlers[frame.type]?.(frame);
      // Someone now shares a name with another: what is drawn gets their tags.
      if (store.namesChanged) {
        store.namesChanged = false;
        view.renderMessages(store, { keepScroll: true });
        view.renderMembers(store);
      }
    },
  });

  let jumpTarget = null; // a message a quote asked for, while older pages load
  let unread = 0;
  let firstUnread = null;

  // A react frame, remembered until its answer (RoomStore.acked, and no_change below). toggle: a
  // press on a reaction's chip, which means "take mine off" when the message counts me unnamed.
  const react = (seq, emoji, on, toggle = false) => {
    const id = newClientId();
    if (socket.send(reactFrame(id, seq, emoji, on))) store.reactAsks.set(id, { seq, emoji, on, toggle });
  };

  const resendPending = () => {
    for (const pending of store.pending.values()) {
      if (!pending.failed) socket.send(sendFrame(pending.id, pending.text, pending.replyTo));
    }
  };

  // Loads older pages until the message is on the page, then shows it.
  const jumpTo = (seq) => {
    if (view.revealMessage(seq)) {
      jumpTarget = null;
    } else if (store.moreBefore && store.oldestSeq !== null && seq < store.oldestSeq) {
      jumpTarget = seq;
      if (!loadingOlder) loadingOlder = socket.send(historyFrame(store.oldestSeq, 100));
    } else {
      jumpTarget = null;
      view.showError('That message is no longer in the history.');
    }
  };

  // While the tab is hidden: count what arrives, and tell the reader when they are mentioned.
  const noteUnread = (message) => {
    if (!document.hidden || store.isMine(message)) return;
    unread += 1;
    firstUnread ??= message.seq;
    view.showUnread(room, unread);
    if (mentionsMe(message, store.me) && 'Notification' in window && Notification.permission === 'granted') {
      new Notification(`${message.user.name} mentioned you in ${room}`, { body: message.text.slice(0, 120), tag: `${room}-${message.seq}` });
    }
  };
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    if (firstUnread !== null) view.showDivider(firstUnread);
    unread = 0;
    firstUnread = null;
    view.showUnread(room, 0);
  });
  // Notifications are asked for only after the reader did something on the page, never on load.
  document.addEventListener('click', () => {
    if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission();
  }, { once: true });

  const handlers = {
    welcome(frame) {
      store.welcome(frame);
      view.showError('');
      // Resumed: the missed messages follow, and no history frame; otherwise history or reset will resend.
      if (frame.resumed) resendPending();
    },
    history(frame) {
      if (frame.before === undefined) {
        store.replace(frame); // the join's history
        view.renderMessages(store);
        resendPending();
      } else {
        store.prepend(frame);
        loadingOlder = false;
        view.renderMessages(store, { keepScroll: true });
        if (jumpTarget !== null) jumpTo(jumpTarget);
      }
    },
    reset(frame) {
      store.replace(frame);
      view.renderMessages(store);
      resendPending();
    },
    message(frame) {
      if (store.add(frame)) {
        view.appendMessage(store, frame);
        noteUnread(frame);
      }
    },
    update(frame) {
      const message = store.update(frame);
      if (message) view.replaceMessage(store, message);
    },
    ack(frame) {
      const ask = store.reactAsks.get(frame.id);
      if (store.acked(frame.id)) view.renderPending(store);
      // The update may have come first, drawn before the page knew the reaction was mine.
      const reacted = ask && store.find(ask.seq);
      if (reacted) view.replaceMessage(store, reacted);
    },
    error(frame) {
      const pending = frame.id && store.pending.get(frame.id);
      const ask = frame.id && store.reactAsks.get(frame.id);
      if (ask) store.reactAsks.delete(frame.id);
      if (pending && frame.code === 'unavailable') {
        setTimeout(() => socket.send(sendFrame(pending.id, pending.text, pending.replyTo)), RETRY_UNAVAILABLE_MS);
      } else if (frame.code === 'no_change') {
        // Another tab (or a double click) got there first: the message is already as asked. A
        // reaction put on that was already there is mine though the message does not name me
        // (it names the first few only): the press meant to take it off.
        if (ask?.on && ask.toggle) react(ask.seq, ask.emoji, false);
      } else if (pending) {
        pending.failed = true;
        view.renderPending(store);
        view.showError(frame.message);
      } else {
        view.showError(frame.message);
      }
    },
    presence(frame) {
      store.presence(frame);
      view.renderMembers(store);
      view.renderTyping(store.typists());
    },
    typing(frame) {
      store.startedTyping(frame.user);
      view.renderTyping(store.typists());
    },
  };

  view.showRoom(room);
  view.bindComposer({
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
    onTyping() {
      const now = Date.now();
      if (now - lastTypingSent >= store.limits.typingIntervalMs && socket.send(typingFrame())) lastTypingSent = now;
    },
  });
  view.bindActions({
    palette: REACTIONS,
    react: (message, emoji, on, toggle) => react(message.seq, emoji, on, toggle),
    reactOther: (message) => {
      const emoji = window.prompt('React with which emoji?')?.trim();
      if (!emoji) return;
      if (isOneEmoji(emoji)) react(message.seq, emoji, true);
      else view.showError('A reaction is one emoji.');
    },
    reply: (message) => view.composeReply(message),
    edit: (message) => view.composeEdit(message),
    delete: (message) => {
      if (window.confirm('Delete this message for everyone?')) socket.send(deleteFrame(newClientId(), message.seq));
    },
    jumpTo,
  });
  view.onLoadOlder(() => {
    if (loadingOlder || store.oldestSeq === null) return;
    loadingOlder = socket.send(historyFrame(store.oldestSeq));
  });
  setInterval(() => view.renderTyping(store.typists()), 1000);
  socket.open();
}
