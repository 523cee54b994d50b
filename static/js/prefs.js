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
