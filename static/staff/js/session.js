// The staff session: who is logged in, the CSRF token for writes, login and logout.
// The session itself is the HttpOnly cookie `hmb_staff`; the page only keeps the token.
import { ApiError, errorCode, request } from "../../js/api.js";

let staff = null;
let csrf = "";
const listeners = [];

function set(body, expired) {
  staff = body ? body.staff : null;
  csrf = body ? body.csrf_token : "";
  listeners.forEach((fn) => fn(staff, !!expired));
}

export function currentStaff() {
  return staff;
}

export function hasRole(role) {
  return !!staff && Array.isArray(staff.roles) && staff.roles.indexOf(role) >= 0;
}

// fn(staff | null, expired) after a login, a logout or the end of the session.
export function onSessionChange(fn) {
  listeners.push(fn);
}

// Who is logged in (null when nobody): asks the server, which knows the cookie.
export async function loadMe() {
  try {
    const body = await request("GET", "/api/v1/staff/me");
    set(body);
    return staff;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      set(null);
      return null;
    }
    throw err;
  }
}

export async function login(username, password, totp) {
  const body = await request("POST", "/api/v1/staff/session", {
    username: username,
    password: password,
    totp: totp,
  });
  set(body);
  return staff;
}

export async function logout() {
  try {
    await request("DELETE", "/api/v1/staff/session", undefined, { "X-CSRF-Token": csrf });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
  set(null);
}

function checkExpired(err) {
  if (err instanceof ApiError && err.status === 401 && staff) set(null, true);
}

// A read of staff data; a 401 means the session has ended (the console goes to the login).
export async function staffGet(path) {
  try {
    return await request("GET", path);
  } catch (err) {
    checkExpired(err);
    throw err;
  }
}

// A write with the CSRF token. A stale token (another tab logged in again) is fetched
// once more and the write repeated: a refused write changed nothing.
export async function staffWrite(method, path, body) {
  try {
    return await request(method, path, body, { "X-CSRF-Token": csrf });
  } catch (err) {
    if (errorCode(err) !== "csrf_failed") {
      checkExpired(err);
      throw err;
    }
  }
  if (!(await loadMe())) throw new ApiError("http", 401, null);
  try {
    return await request(method, path, body, { "X-CSRF-Token": csrf });
  } catch (err) {
    checkExpired(err);
    throw err;
  }
}
