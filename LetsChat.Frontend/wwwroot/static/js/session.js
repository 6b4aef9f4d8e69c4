// Guest identity: the server keeps it in an HttpOnly cookie; the name is also remembered here
// so the lobby can offer it again.
const NAME_KEY = 'letschat.name';

// Who we are: the user, or null when we have no session (401). Anything else (the network, a
// 5xx while a replica restarts) throws: that is not a reason to ask for a name again.
export async function currentUser() {
  const response = await fetch('/api/session', { credentials: 'same-origin' });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`GET /api/session: ${response.status}`);
  return response.json();
}

export async function signIn(name) {
  const response = await fetch('/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new Error(problem?.detail ?? 'Could not save your name. Try again.');
  }
  const user = await response.json();
  localStorage.setItem(NAME_KEY, user.name);
  return user;
}

export function rememberedName() {
  return localStorage.getItem(NAME_KEY) ?? '';
}

export function nameError(name) {
  if (name.length === 0) return 'Pick a name first.';
  if ([...new Intl.Segmenter().segment(name)].length > 32) return 'Names are at most 32 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(name)) return 'Names cannot contain control characters.';
  return null;
}
