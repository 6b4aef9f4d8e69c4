// The lobby: pick a name (remembered) and a room, or one of the active rooms. No DOM here
// (lobby-view.js has it).
import { lobbyView as view } from './lobby-view.js';
import { roomError, roomPath } from './rooms.js';
import { currentUser, nameError, rememberedName, signIn } from './session.js';

let user = null;

async function enter(room) {
  view.clearErrors();
  const name = view.name();
  const badName = nameError(name);
  if (badName) return view.showError(badName, 'name');
  const badRoom = roomError(room);
  if (badRoom) return view.showError(badRoom, 'room');
  try {
    if (!user || user.name !== name) user = await signIn(name);
  } catch (e) {
    return view.showError(e.message, 'name');
  }
  view.go(roomPath(room));
}

view.onSubmit(() => enter(view.room()));
view.offerRoom(new URLSearchParams(window.location.search).get('room'));
user = await currentUser().catch(() => null);
view.offerName(user?.name ?? rememberedName());
view.ready();

fetch('/api/rooms?limit=20')
  .then((response) => (response.ok ? response.json() : []))
  .then((rooms) => view.renderRooms(rooms, enter))
  .catch(() => view.renderRooms([], enter));
