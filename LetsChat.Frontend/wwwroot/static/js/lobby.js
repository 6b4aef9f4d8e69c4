import { roomError, roomPath } from './rooms.js';

const form = document.getElementById('room-form');
const input = document.getElementById('room-name-input');
const error = document.getElementById('room-name-error');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = input.value.trim();
  const problem = roomError(name);
  if (problem) {
    error.textContent = problem;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  window.location.pathname = roomPath(name);
});
