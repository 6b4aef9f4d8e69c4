// The only module that touches the DOM. User text goes in through textContent, never as HTML.
const $ = (id) => document.getElementById(id);
const log = $('chat-log');
const input = $('chat-message-input');
const form = $('chat-form');
const sendButton = $('chat-message-submit');
const counter = $('char-count');
const announcer = $('announcer');
const loadOlder = $('load-older');

const STATES = { connecting: 'connecting…', reconnecting: 'reconnecting…', open: 'connected', offline: 'offline' };
const GROUP_GAP_MS = 5 * 60 * 1000;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function messageItem(message, previous, mine) {
  const item = document.createElement('li');
  item.dataset.seq = message.seq ?? '';
  if (message.id) item.dataset.id = message.id;
  if (mine) item.classList.add('mine');
  const grouped = previous && previous.user.id === message.user.id && message.ts - previous.ts < GROUP_GAP_MS;
  if (!grouped) {
    item.classList.add('first');
    const meta = document.createElement('div');
    meta.className = 'meta';
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = mine ? `${message.user.name} (you)` : message.user.name;
    const time = document.createElement('time');
    time.className = 'time';
    time.dateTime = new Date(message.ts).toISOString();
    time.textContent = timeFormat.format(message.ts);
    meta.append(sender, time);
    item.append(meta);
  }
  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = message.text;
  item.append(text);
  return item;
}

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
}

export const view = {
  showRoom(name) {
    $('room-title').textContent = name;
    document.title = `${name} · LetsChat`;
  },

  // Re-renders every message (join, reset, older page) then the pending ones.
  renderMessages(store, { keepScroll = false } = {}) {
    const fromBottom = log.scrollHeight - log.scrollTop;
    const items = store.messages.map((m, i) => messageItem(m, store.messages[i - 1], store.isMine(m)));
    log.replaceChildren(...items, ...this.pendingItems(store));
    loadOlder.hidden = !store.moreBefore;
    log.scrollTop = keepScroll ? log.scrollHeight - fromBottom : log.scrollHeight;
  },

  pendingItems(store) {
    return [...store.pending.values()].map((p) => {
      const item = messageItem({ id: p.id, user: store.me, text: p.text, ts: Date.now() }, null, true);
      item.classList.add(p.failed ? 'failed' : 'pending');
      item.dataset.pending = 'true';
      return item;
    });
  },

  // A new message at the end: placed before any pending sends, announced if it is someone else's.
  appendMessage(store, message) {
    const stick = nearBottom();
    log.querySelectorAll('li[data-pending]').forEach((li) => li.remove());
    const previous = store.messages[store.messages.length - 2];
    log.append(messageItem(message, previous, store.isMine(message)), ...this.pendingItems(store));
    if (stick || store.isMine(message)) log.scrollTop = log.scrollHeight;
    if (!store.isMine(message)) {
      const line = document.createElement('p');
      line.textContent = `${message.user.name}: ${message.text}`;
      announcer.append(line);
      while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
    }
  },

  renderPending(store) {
    log.querySelectorAll('li[data-pending]').forEach((li) => li.remove());
    log.append(...this.pendingItems(store));
    log.scrollTop = log.scrollHeight;
  },

  renderMembers(store) {
    const members = [...store.members.values()].sort((a, b) => a.name.localeCompare(b.name));
    $('member-list').replaceChildren(...members.map((user) => {
      const item = document.createElement('li');
      item.textContent = user.name;
      if (store.me && user.id === store.me.id) item.classList.add('me');
      return item;
    }));
    $('member-count').textContent = `(${members.length})`;
  },

  renderTyping(names) {
    $('typing').textContent =
      names.length === 0 ? '' :
      names.length === 1 ? `${names[0]} is typing…` :
      names.length === 2 ? `${names[0]} and ${names[1]} are typing…` :
      'Several people are typing…';
  },

  showConnection(state) {
    const connection = $('connection');
    connection.dataset.state = state;
    connection.textContent = STATES[state] ?? state;
  },

  showError(text) {
    const error = $('room-error');
    error.textContent = text;
    error.hidden = !text;
  },

  disableComposer() {
    input.disabled = true;
    sendButton.disabled = true;
  },

  // Enter sends, Shift+Enter adds a line; the counter appears near the limit.
  bindComposer({ maxChars, onSend, onTyping }) {
    const update = () => {
      const length = input.value.length;
      counter.textContent = length > maxChars() - 500 ? `${length} / ${maxChars()}` : '';
      counter.classList.toggle('over', length > maxChars());
      sendButton.disabled = length > maxChars();
      input.style.height = 'auto';
      input.style.height = `${input.scrollHeight}px`;
    };
    const submit = () => {
      const text = input.value;
      if (text.trim() === '' || text.length > maxChars()) return;
      onSend(text);
      input.value = '';
      update();
      input.focus();
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    input.addEventListener('input', () => {
      update();
      if (input.value.trim() !== '') onTyping();
    });
    input.focus();
  },

  onLoadOlder(handler) {
    loadOlder.addEventListener('click', handler);
    log.addEventListener('scroll', () => {
      if (log.scrollTop < 40 && !loadOlder.hidden) handler();
    });
  },
};
