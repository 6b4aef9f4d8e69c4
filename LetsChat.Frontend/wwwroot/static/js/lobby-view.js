// The only lobby module that touches the DOM. Room names and counts go in through textContent.
import { roomPath } from './rooms.js';

const $ = (id) => document.getElementById(id);
const form = $('room-form');
const nameInput = $('display-name-input');
const roomInput = $('room-name-input');
const error = $('room-name-error');
const roomList = $('active-rooms');
const noRooms = $('no-active-rooms');
const fields = { name: nameInput, room: roomInput };

export const lobbyView = {
  name: () => nameInput.value.trim(),
  room: () => roomInput.value.trim(),

  offerRoom(room) {
    if (room) roomInput.value = room;
  },

  // The known name, unless the person has already started typing one; then focus what is missing.
  offerName(name) {
    if (nameInput.value === '') nameInput.value = name;
    if (document.activeElement === document.body) (nameInput.value ? roomInput : nameInput).focus();
  },

  ready() {
    form.dataset.ready = 'true';
  },

  clearErrors() {
    error.hidden = true;
    nameInput.removeAttribute('aria-invalid');
    roomInput.removeAttribute('aria-invalid');
  },

  showError(text, field) {
    error.textContent = text;
    error.hidden = false;
    fields[field].setAttribute('aria-invalid', 'true');
    fields[field].focus();
  },

  renderRooms(rooms, onPick) {
    roomList.replaceChildren(...rooms.map(({ room, members }) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = roomPath(room);
      const name = document.createElement('span');
      name.className = 'room-name';
      name.textContent = room;
      const count = document.createElement('span');
      count.className = 'muted';
      count.textContent = `${members} here`;
      link.append(name, count);
      link.addEventListener('click', (event) => {
        event.preventDefault();
        onPick(room);
      });
      item.append(link);
      return item;
    }));
    noRooms.hidden = rooms.length > 0;
  },

  onSubmit(handler) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      handler();
    });
  },

  go(path) {
    window.location.assign(path);
  },
};
