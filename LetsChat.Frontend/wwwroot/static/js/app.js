// The room page: wires the socket, the store and the view.
import { historyFrame, newClientId, sendFrame, typingFrame } from './protocol.js';
import { roomError, roomFromPath } from './rooms.js';
import { currentUser } from './session.js';
import { ChatSocket } from './socket.js';
import { RoomStore } from './store.js';
import { view } from './view.js';

const RETRY_UNAVAILABLE_MS = 2000;

const room = roomFromPath(window.location.pathname);
const problem = room === null ? 'This is not a room address.' : roomError(room);

if (problem) {
  view.showRoom('No such room');
  view.showError(`${problem} Go back and pick another name.`);
  view.showConnection('offline');
  view.disableComposer();
} else if (!(await currentUser().catch(() => null))) {
  // No name yet: the lobby asks for one, then comes back here.
  window.location.replace(`/chat/?room=${encodeURIComponent(room)}`);
} else {
  start(room);
}

function start(room) {
  const store = new RoomStore();
  let loadingOlder = false;
  let lastTypingSent = 0;

  const socket = new ChatSocket(room, {
    resumePoint: () => store.resumePoint(),
    onState: (state) => view.showConnection(state),
    onFrame: (frame) => handlers[frame.type]?.(frame),
  });

  const resendPending = () => {
    for (const pending of store.pending.values()) {
      if (!pending.failed) socket.send(sendFrame(pending.id, pending.text));
    }
  };

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
      }
    },
    reset(frame) {
      store.replace(frame);
      view.renderMessages(store);
      resendPending();
    },
    message(frame) {
      if (store.add(frame)) view.appendMessage(store, frame);
    },
    ack(frame) {
      if (store.acked(frame.id)) view.renderPending(store);
    },
    error(frame) {
      const pending = frame.id && store.pending.get(frame.id);
      if (pending && frame.code === 'unavailable') {
        setTimeout(() => socket.send(sendFrame(pending.id, pending.text)), RETRY_UNAVAILABLE_MS);
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
    onSend(text) {
      const id = newClientId();
      store.addPending(id, text);
      view.renderPending(store);
      socket.send(sendFrame(id, text)); // if closed, it goes out after the reconnect
    },
    onTyping() {
      const now = Date.now();
      if (now - lastTypingSent >= store.limits.typingIntervalMs && socket.send(typingFrame())) lastTypingSent = now;
    },
  });
  view.onLoadOlder(() => {
    if (loadingOlder || store.oldestSeq === null) return;
    loadingOlder = socket.send(historyFrame(store.oldestSeq));
  });
  setInterval(() => view.renderTyping(store.typists()), 1000);
  socket.open();
}
