// Room names: the same rule the room service enforces (letters, digits, _ - . ; 1-100 chars).
export const ROOM_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function roomError(name) {
  if (name.length === 0) return 'Type a room name.';
  if (name.length > 100) return 'Room names are at most 100 characters.';
  if (!ROOM_NAME.test(name)) return 'Use letters, digits, "_", "-" or "." only.';
  return null;
}

export function roomPath(name) {
  return `/chat/${encodeURIComponent(name)}/`;
}

// "/chat/lobby/" -> "lobby"; null when the path is not a room path.
export function roomFromPath(pathname) {
  const match = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
