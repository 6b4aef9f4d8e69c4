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
const composingBar = $('composing');
const mentionList = $('mention-list');
const MENTION_AT_CARET = /(^|\s)@([^\s@]*)$/;
let mention = null; // { start, options, selected } while the list of people to mention is open

function closeMentions() {
  mention = null;
  mentionList.hidden = true;
  mentionList.replaceChildren();
  input.removeAttribute('aria-activedescendant');
}

// "@An" before the caret offers the members whose names start so; Tab or Enter picks one.
function offerMentions(names) {
  const before = input.value.slice(0, input.selectionStart);
  const match = MENTION_AT_CARET.exec(before);
  const prefix = match?.[2].toLowerCase();
  const options = match ? names.filter((n) => n.toLowerCase().startsWith(prefix)).slice(0, 5) : [];
  if (options.length === 0) return closeMentions();
  mention = { start: before.length - match[2].length - 1, options, selected: 0 };
  renderMentions();
}

function renderMentions() {
  mentionList.replaceChildren(...mention.options.map((name, i) => {
    const option = document.createElement('li');
    option.id = `mention-${i}`;
    option.setAttribute('role', 'option');
    option.setAttribute('aria-selected', String(i === mention.selected));
    option.textContent = name;
    option.addEventListener('mousedown', (event) => {
      event.preventDefault(); // keep the focus in the box
      pickMention(i);
    });
    return option;
  }));
  mentionList.hidden = false;
  input.setAttribute('aria-activedescendant', `mention-${mention.selected}`);
}

function pickMention(index) {
  const name = mention.options[index];
  const caret = input.selectionStart;
  input.value = `${input.value.slice(0, mention.start)}@${name} ${input.value.slice(caret)}`;
  const at = mention.start + name.length + 2;
  input.setSelectionRange(at, at);
  closeMentions();
}
let composing = null; // { mode: 'edit' | 'reply', message } while the composer is not a plain send

function showComposing(text) {
  composingBar.textContent = text;
  composingBar.hidden = !text;
}

function stopComposing() {
  const wasEditing = composing?.mode === 'edit';
  composing = null;
  showComposing('');
  if (wasEditing) input.value = '';
}

const LINK = /\bhttps?:\/\/[^\s<>"]+/g;
const EXCERPT_CHARS = 80;
let actions = null; // what the message buttons do (bindActions)

// http(s) links become anchors (built with the DOM, never as HTML); any other scheme stays text.
// A mention of the reader (@name) is marked.
function richText(text, me) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    fragment.append(...mentions(text.slice(at, match.index), me));
    const link = document.createElement('a');
    link.href = url;
    link.textContent = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    fragment.append(link);
    at = match.index + url.length;
  }
  fragment.append(...mentions(text.slice(at), me));
  return fragment;
}

function mentions(text, me) {
  const tag = me ? `@${me.name}` : null;
  const index = tag ? text.toLowerCase().indexOf(tag.toLowerCase()) : -1;
  if (index < 0) return text ? [text] : [];
  const mark = document.createElement('mark');
  mark.className = 'mention';
  mark.textContent = text.slice(index, index + tag.length);
  return [text.slice(0, index), mark, ...mentions(text.slice(index + tag.length), me)].filter((p) => p !== '');
}

export const mentionsMe = (message, me) =>
  Boolean(me && !message.deleted && message.text.toLowerCase().includes(`@${me.name.toLowerCase()}`));

const excerpt = (text) => (text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text);

function quoteText(original) {
  if (!original) return '↩ an earlier message';
  return `↩ ${original.user.name}: ${original.deleted ? 'message deleted' : excerpt(original.text.replace(/\s+/g, ' '))}`;
}

// `label` is the title; it is also the accessible name unless `named` is false (then the text is).
function button(className, label, text, onClick, { named = true } = {}) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  if (named) b.setAttribute('aria-label', label);
  b.title = label;
  b.addEventListener('click', onClick);
  return b;
}

// A short stable tag from the user id, shown where two people go by one name (ids are random hex).
function userTag(user) {
  const tag = Object.assign(document.createElement('span'), { className: 'user-tag', textContent: `#${user.id.slice(-4)}` });
  tag.title = `user ${user.id}`;
  return tag;
}

function reactionsRow(message, store) {
  const row = document.createElement('div');
  row.className = 'reactions';
  for (const reaction of message.reactions ?? []) {
    const { emoji, users } = reaction;
    const mine = store.reacted(message, reaction);
    // A reaction names its first reactors and counts the rest (count is absent on old messages).
    const count = Math.max(reaction.count ?? 0, users.length);
    const others = count - users.length;
    const names = users.map((u) => u.name).join(', ') + (others > 0 ? ` and ${others} more` : '');
    const b = button('reaction', `${emoji} ${count}: ${names}`, `${emoji} ${count}`,
      () => actions?.react(message, emoji, !mine, true));
    b.setAttribute('aria-pressed', String(mine));
    // A long press (phones, where there is no hover title) or a right click names who reacted.
    b.addEventListener('contextmenu', (event) => {
      event.preventDefault();
      const shown = b.nextElementSibling?.classList.contains('reactors');
      if (shown) b.nextElementSibling.remove();
      else b.after(Object.assign(document.createElement('span'), { className: 'reactors muted', textContent: names }));
    });
    row.append(b);
  }
  return row;
}

function actionsBar(message, mine) {
  const bar = document.createElement('div');
  bar.className = 'actions';
  for (const emoji of actions?.palette ?? []) {
    bar.append(button('react', `React with ${emoji}`, emoji, () => actions.react(message, emoji, true)));
  }
  bar.append(button('react-other', 'React with another emoji', '＋', () => actions.reactOther(message)));
  bar.append(button('reply', 'Reply', 'Reply', () => actions.reply(message)));
  if (mine) {
    bar.append(button('edit', 'Edit', 'Edit', () => actions.edit(message)));
    bar.append(button('delete', 'Delete', 'Delete', () => actions.delete(message)));
  }
  return bar;
}

function messageItem(message, previous, mine, store) {
  const item = document.createElement('li');
  item.dataset.seq = message.seq ?? '';
  if (message.id) item.dataset.id = message.id;
  if (mine) item.classList.add('mine');
  if (message.deleted) item.classList.add('deleted');
  if (!mine && store && mentionsMe(message, store.me)) item.classList.add('mentions-me');
  const grouped = previous && previous.user.id === message.user.id && message.ts - previous.ts < GROUP_GAP_MS && !message.replyTo;
  if (!grouped) {
    item.classList.add('first');
    const meta = document.createElement('div');
    meta.className = 'meta';
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = mine ? `${message.user.name} (you)` : message.user.name;
    if (store?.sharesName(message.user)) sender.append(' ', userTag(message.user));
    const time = document.createElement('time');
    time.className = 'time';
    time.dateTime = new Date(message.ts).toISOString();
    time.textContent = timeFormat.format(message.ts);
    meta.append(sender, time);
    item.append(meta);
  }
  if (message.replyTo && !message.deleted) {
    // Its name is the quote it shows; the title says what a click does.
    const quote = button('quote', 'Show the message this replies to', quoteText(store?.find(message.replyTo)),
      () => actions?.jumpTo(message.replyTo), { named: false });
    quote.dataset.replyTo = message.replyTo;
    item.append(quote);
  }
  const text = document.createElement('p');
  text.className = 'text';
  if (message.deleted) {
    text.textContent = 'message deleted';
  } else {
    text.append(richText(message.text, store?.me));
    if (message.edited) {
      const edited = document.createElement('span');
      edited.className = 'edited';
      edited.textContent = ' (edited)';
      text.append(edited);
    }
  }
  item.append(text);
  if (message.seq && !message.deleted && store) {
    if (message.reactions?.length) item.append(reactionsRow(message, store));
    item.append(actionsBar(message, mine));
    // A long press (phones) shows the buttons that hover shows on a desktop.
    let press = null;
    item.addEventListener('touchstart', () => { press = setTimeout(() => item.classList.add('show-actions'), 500); }, { passive: true });
    item.addEventListener('touchend', () => clearTimeout(press));
  }
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
    const items = store.messages.map((m, i) => messageItem(m, store.messages[i - 1], store.isMine(m), store));
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
    log.append(messageItem(message, previous, store.isMine(message), store), ...this.pendingItems(store));
    if (stick || store.isMine(message)) log.scrollTop = log.scrollHeight;
    if (!store.isMine(message)) {
      const line = document.createElement('p');
      line.textContent = `${message.user.name}: ${message.text}`;
      announcer.append(line);
      while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
    }
  },

  // A message changed (edit, delete, reaction): its item, and the quotes of it, are redrawn in place.
  replaceMessage(store, message) {
    const old = log.querySelector(`li[data-seq="${message.seq}"]`);
    if (old) {
      const index = store.messages.indexOf(message);
      old.replaceWith(messageItem(message, store.messages[index - 1], store.isMine(message), store));
    }
    for (const quote of log.querySelectorAll(`.quote[data-reply-to="${message.seq}"]`)) quote.textContent = quoteText(message);
  },

  // Scrolls to a message and flashes it; false when it is not on the page.
  revealMessage(seq) {
    const item = log.querySelector(`li[data-seq="${seq}"]`);
    if (!item) return false;
    item.scrollIntoView({ block: 'center' });
    item.classList.remove('flash');
    void item.offsetWidth; // restart the animation
    item.classList.add('flash');
    return true;
  },

  // The tab's title counts what arrived while it was hidden.
  showUnread(room, count) {
    document.title = count > 0 ? `(${count}) ${room} · LetsChat` : `${room} · LetsChat`;
  },

  // A "New messages" line before the first message that arrived while the tab was hidden.
  showDivider(seq) {
    log.querySelector('li.divider')?.remove();
    const first = log.querySelector(`li[data-seq="${seq}"]`);
    if (!first) return;
    const divider = document.createElement('li');
    divider.className = 'divider';
    divider.setAttribute('role', 'separator');
    divider.textContent = 'New messages';
    first.before(divider);
  },

  bindActions(handlers) {
    actions = handlers;
  },

  // The composer edits a message or replies to one until sent or Esc.
  composeEdit(message) {
    composing = { mode: 'edit', message };
    input.value = message.text;
    showComposing(`Editing your message · Esc to cancel`);
    input.focus();
  },

  composeReply(message) {
    composing = { mode: 'reply', message };
    showComposing(`Replying to ${message.user.name}: ${excerpt(message.text)} · Esc to cancel`);
    input.focus();
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
      if (store.sharesName(user)) item.append(' ', userTag(user));
      if (store.me && user.id === store.me.id) item.classList.add('me');
      return item;
    }));
    const unlisted = store.memberCount - members.length;
    if (unlisted > 0) {
      $('member-list').append(Object.assign(document.createElement('li'), { className: 'muted', textContent: `and ${unlisted} more` }));
    }
    $('member-count').textContent = `(${store.memberCount})`;
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
  bindComposer({ maxChars, onSend, onEdit, onEditLast, onTyping, mentionable = () => [] }) {
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
      const was = composing;
      stopComposing();
      if (was?.mode === 'edit') onEdit(was.message, text);
      else onSend(text, was?.mode === 'reply' ? was.message.seq : null);
      input.value = '';
      update();
      input.focus();
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    input.addEventListener('keydown', (event) => {
      if (mention && ['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'].includes(event.key) && !event.isComposing) {
        event.preventDefault();
        if (event.key === 'Escape') return closeMentions();
        if (event.key === 'Enter' || event.key === 'Tab') return pickMention(mention.selected);
        const step = event.key === 'ArrowDown' ? 1 : -1;
        mention.selected = (mention.selected + step + mention.options.length) % mention.options.length;
        return renderMentions();
      }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      } else if (event.key === 'Escape' && composing) {
        event.preventDefault();
        stopComposing();
        update();
      } else if (event.key === 'ArrowUp' && input.value === '' && !composing) {
        event.preventDefault();
        onEditLast();
        update();
      }
    });
    input.addEventListener('input', () => {
      update();
      offerMentions(mentionable());
      if (input.value.trim() !== '') onTyping();
    });
    input.addEventListener('blur', closeMentions);
    input.focus();
  },

  onLoadOlder(handler) {
    loadOlder.addEventListener('click', handler);
    log.addEventListener('scroll', () => {
      if (log.scrollTop < 40 && !loadOlder.hidden) handler();
    });
  },
};
