// The only module that touches the DOM. User text goes in through textContent, never HTML.
const log = document.getElementById('chat-log');
const connection = document.getElementById('connection');
const title = document.getElementById('room-title');
const error = document.getElementById('room-error');
const form = document.getElementById('chat-form');
const input = document.getElementById('chat-message-input');

const STATES = { connecting: 'connecting…', reconnecting: 'reconnecting…', open: 'connected' };

export const view = {
  showRoom(name) {
    title.textContent = name;
    document.title = `${name} · LetsChat`;
  },

  appendMessage(text) {
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const item = document.createElement('li');
    item.textContent = text;
    log.append(item);
    if (nearBottom) log.scrollTop = log.scrollHeight;
  },

  showConnection(state) {
    connection.dataset.state = state;
    connection.textContent = STATES[state] ?? state;
  },

  showError(text) {
    error.textContent = text;
    error.hidden = false;
  },

  disableComposer() {
    input.disabled = true;
    form.querySelector('button').disabled = true;
  },

  onSend(handler) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value;
      if (text.trim() === '') return;
      if (handler(text)) {
        input.value = '';
      }
      input.focus();
    });
  },
};
