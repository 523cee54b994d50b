// Preferences kept on the phone (language, elder mode). localStorage may be
// unavailable (private mode, some in-app browsers): then nothing is remembered.

const PREFIX = "hmb.";

export function readPref(name) {
  try {
    return window.localStorage.getItem(PREFIX + name);
  } catch (e) {
    return null;
  }
}

export function writePref(name, value) {
  try {
    window.localStorage.setItem(PREFIX + name, value);
  } catch (e) {
    // Not remembered; the setting still applies for this visit.
  }
}

// For this tab only (sessionStorage): e.g. "on the way to the cashier for order X".
export function readSession(name) {
  try {
    return window.sessionStorage.getItem(PREFIX + name);
  } catch (e) {
    return null;
  }
}

export function writeSession(name, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(PREFIX + name);
    else window.sessionStorage.setItem(PREFIX + name, value);
  } catch (e) {
    // Not remembered: the order page then simply shows the order as it is.
  }
}

const ELDER_CLASS = "elder";

export function isElder() {
  return document.documentElement.classList.contains(ELDER_CLASS);
}

export function setElder(on) {
  document.documentElement.classList.toggle(ELDER_CLASS, !!on);
  writePref("elder", on ? "1" : "0");
}

export function initElder() {
  document.documentElement.classList.toggle(ELDER_CLASS, readPref("elder") === "1");
}
