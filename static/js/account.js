// The logged-in member: who it is (GET /api/v1/me, once per visit), the CSRF token
// of writes, login links and logout. The session cookie is HttpOnly: the page only
// learns it is logged in by asking the server.
import { ApiError, errorCode, get, request } from "./api.js";
import { readPref, writePref } from "./prefs.js";

const ME = "/api/v1/me";
const CSRF = "/api/v1/me/csrf";
const SESSION = "/api/v1/me/session";
const HINT = "member"; // "1" while this phone was logged in at its last visit

let me; // undefined: not asked yet · null: not logged in · object: the member
let pending = null;
let csrf = null; // the session's CSRF token, kept in memory only
let flash = null; // a one-shot notice for the next screen ("verified")
const listeners = [];

export const PROVIDERS = ["wechat", "alipay"];

// Where the login buttons go: the server redirects to the provider, then back to `next`
// (a hash route of this page, e.g. "/#/me").
export function loginUrl(provider, next) {
  return "/auth/" + provider + "/login?next=" + encodeURIComponent(next || "/#/me");
}

function isLoggedOut(err) {
  return err instanceof ApiError && err.kind === "http" && err.status === 401;
}

function set(member) {
  me = member;
  pending = null;
  if (!member) csrf = null;
  writePref(HINT, member ? "1" : "0");
  listeners.slice().forEach((fn) => fn(me));
}

// Called with the member (or null) whenever the login state changes.
export function onMemberChange(fn) {
  listeners.push(fn);
  return () => {
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  };
}

// The member if known this visit: undefined (unknown), null (logged out) or the member.
export function cachedMember() {
  return me;
}

// Whether asking the server is worth it: the last visit ended logged in. (Asking while
// logged out is a 401, which a phone's browser reports as an error; the home page only
// asks when there is a chance.)
export function mayBeLoggedIn() {
  return me === undefined ? readPref(HINT) === "1" : !!me;
}

// The member (null when not logged in); asks the server once per visit unless `fresh`.
export function loadMember(fresh) {
  if (me !== undefined && !fresh) return Promise.resolve(me);
  if (!pending) {
    pending = get(ME).then(
      (member) => {
        set(member);
        return member;
      },
      (err) => {
        pending = null;
        if (isLoggedOut(err)) {
          set(null);
          return null;
        }
        throw err;
      },
    );
  }
  return pending;
}

// The member changed on the server (after binding, consent): keep the new view.
export function updateMember(member) {
  set(member);
}

async function csrfToken(refresh) {
  if (!csrf || refresh) {
    const answer = await get(CSRF);
    csrf = answer.csrf_token;
  }
  return csrf;
}

// A write as the member: with the X-CSRF-Token header; a stale token (403 csrf_failed)
// is fetched again and the write retried once. A 401 means the session has ended.
// `headers`: more request headers (e.g. Idempotency-Key).
export async function send(method, path, body, headers) {
  const withToken = (token) => Object.assign({}, headers || {}, { "X-CSRF-Token": token });
  try {
    let token = await csrfToken(false);
    try {
      return await request(method, path, body, withToken(token));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403 && errorCode(err) === "csrf_failed")) throw err;
      token = await csrfToken(true);
      return await request(method, path, body, withToken(token));
    }
  } catch (err) {
    if (isLoggedOut(err)) set(null);
    throw err;
  }
}

export function sessionEnded(err) {
  return isLoggedOut(err);
}

// Log out on the server (the cookie is HttpOnly: only the server can clear it).
export async function logout() {
  try {
    await send("DELETE", SESSION);
  } catch (err) {
    if (!isLoggedOut(err)) throw err; // already logged out: fine
  }
  set(null);
}

export function setFlash(name) {
  flash = name;
}

export function takeFlash() {
  const f = flash;
  flash = null;
  return f;
}
