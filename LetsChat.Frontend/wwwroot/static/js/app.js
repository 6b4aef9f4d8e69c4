// The room page: checks the address and the session, then hands over to the room's controller.
import { RoomController } from './room-controller.js';
import { roomError, roomFromPath } from './rooms.js';
import { currentUser } from './session.js';
import { view } from './view.js';

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
  new RoomController(room).start();
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
