// The room page: wires the socket to the view.
import { roomError, roomFromPath } from './rooms.js';
import { ChatSocket } from './socket.js';
import { view } from './view.js';

const room = roomFromPath(window.location.pathname);
const problem = room === null ? 'This is not a room address.' : roomError(room);

if (problem) {
  view.showRoom('No such room');
  view.showError(`${problem} Go back and pick another name.`);
  view.showConnection('closed');
  view.disableComposer();
} else {
  view.showRoom(room);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new ChatSocket(`${scheme}://${window.location.host}/ws/chat/${encodeURIComponent(room)}/`, {
    onMessage: (frame) => view.appendMessage(frame.message),
    onState: (state) => view.showConnection(state),
    onRefused: (code, reason) => view.showError(`The server refused a message (${code}${reason ? `: ${reason}` : ''}).`),
  });
  view.onSend((text) => socket.send(text));
  socket.open();
}
