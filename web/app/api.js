// The node's HTTP API: the session (token kept in this browser until it expires, never put in
// a URL except the live feed's first request) and `api()`, which sends it and turns error
// answers into `ApiError`s carrying the node's own message.

const SESSION_KEY = 'liptako.session';

/** An error answer of the API: status, the node's code and message, and on a 409 the
 * object's current version. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || '';
    this.currentVersion = body?.current_version ?? null;
  }
}

let session = null;
const expiryListeners = new Set();
let expiryTimer = null;

/** The session kept in this browser, if it has not expired. */
export function restoreSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    if (saved && Date.parse(saved.expires) > Date.now() + 5000) {
      setSession(saved);
      return saved;
    }
  } catch {
    // A damaged entry is no session.
  }
  localStorage.removeItem(SESSION_KEY);
  return null;
}

function setSession(next) {
  session = next;
  clearTimeout(expiryTimer);
  if (!next) {
    localStorage.removeItem(SESSION_KEY);
    return;
  }
  localStorage.setItem(SESSION_KEY, JSON.stringify(next));
  // Timers cap at about 24.8 days; a token lives hours.
  const left = Math.min(Date.parse(next.expires) - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => expire(), Math.max(0, left));
}

function expire() {
  setSession(null);
  for (const listener of expiryListeners) listener();
}

/** Calls `listener()` when the session ends on its own (expiry, or the node refusing it). */
export function onSessionEnd(listener) {
  expiryListeners.add(listener);
}

export const currentSession = () => session;

/** Logs in; the session is kept until the token expires. */
export async function login(username, password) {
  const body = await api('POST', '/api/v1/auth/login', { username, password }, { anonymous: true });
  setSession(body);
  return body;
}

/** Forgets the session (the token simply expires on the node). */
export function logout() {
  setSession(null);
}

/** One API call. `body` is sent as JSON; `accept` picks the answer's type. */
export async function api(method, path, body, { accept = 'application/json', anonymous = false, headers = {} } = {}) {
  const init = { method, headers: { accept, ...headers }, cache: 'no-store' };
  if (!anonymous && session) init.headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { error: 'network', message: err.message });
  }
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !anonymous) expire();
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

/** Every page of a list (following `next_cursor`), up to `maxPages`. */
export async function listAll(path, params, { geojson = false, maxPages = 20 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const query = new URLSearchParams(params);
    if (cursor) query.set('cursor', cursor);
    const body = await api('GET', `${path}?${query}`, undefined,
      { accept: geojson ? 'application/geo+json' : 'application/json' });
    items.push(...(geojson ? body.features.map((f) => f.properties) : body.items));
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** The live feed's address: the token rides in the WebSocket's first request only (browsers
 * cannot set its headers). */
export function liveUrl(params) {
  const query = new URLSearchParams(params);
  if (session) query.set('access_token', session.token);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/live?${query}`;
}
