// The lobby: pick a name (remembered) and a room, or one of the active rooms.
import { roomError, roomPath } from './rooms.js';
import { currentUser, nameError, rememberedName, signIn } from './session.js';

const form = document.getElementById('room-form');
const nameInput = document.getElementById('display-name-input');
const roomInput = document.getElementById('room-name-input');
const error = document.getElementById('room-name-error');
const roomList = document.getElementById('active-rooms');
const noRooms = document.getElementById('no-active-rooms');

let user = null;

function showError(text, field) {
  error.textContent = text;
  error.hidden = false;
  field.setAttribute('aria-invalid', 'true');
  field.focus();
}

async function enter(room) {
  error.hidden = true;
  nameInput.removeAttribute('aria-invalid');
  roomInput.removeAttribute('aria-invalid');
  const name = nameInput.value.trim();
  const badName = nameError(name);
  if (badName) return showError(badName, nameInput);
  const badRoom = roomError(room);
  if (badRoom) return showError(badRoom, roomInput);
  try {
    if (!user || user.name !== name) user = await signIn(name);
  } catch (e) {
    return showError(e.message, nameInput);
  }
  window.location.assign(roomPath(room));
}

function renderRooms(rooms) {
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
      enter(room);
    });
    item.append(link);
    return item;
  }));
  noRooms.hidden = rooms.length > 0;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  enter(roomInput.value.trim());
});

const wanted = new URLSearchParams(window.location.search).get('room');
if (wanted) roomInput.value = wanted;

user = await currentUser().catch(() => null);
// Offer the known name, unless the person has already started typing one.
if (nameInput.value === '') nameInput.value = user?.name ?? rememberedName();
if (document.activeElement === document.body) (nameInput.value ? roomInput : nameInput).focus();
form.dataset.ready = 'true';

fetch('/api/rooms?limit=20')
  .then((response) => (response.ok ? response.json() : []))
  .then(renderRooms)
  .catch(() => renderRooms([]));
