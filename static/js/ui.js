// Shared pieces of screens: loading state, retryable error, notices.
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { ApiError, errorText } from "./api.js";
import { splitDuration } from "./format.js";

const SLOW_MS = 6000;

// A spinner; after a few seconds it says the network is slow (so nobody thinks it hangs).
export function showLoading(el) {
  const text = h("span", { text: t("loading") });
  const box = h("div", { class: "state state-loading", role: "status", testid: "loading" },
    h("span", { class: "spinner", "aria-hidden": "true" }), text);
  replace(el, box);
  setTimeout(() => {
    if (box.isConnected) text.textContent = t("loading_slow");
  }, SLOW_MS);
}

// A message with a Retry button; `err` is an ApiError (or anything thrown).
export function errorBox(err, onRetry) {
  return h("div", { class: "state state-error", role: "alert", testid: "error" },
    h("p", { text: errorText(err) }),
    onRetry ? h("button", { type: "button", class: "btn btn-secondary", testid: "retry", onclick: onRetry },
      t("retry")) : null);
}

export function showError(el, err, onRetry) {
  replace(el, errorBox(err, onRetry));
}

export function card(title, testid, ...children) {
  return h("section", { class: "card", testid: testid },
    title ? h("h2", { class: "card-title", text: title }) : null,
    children);
}

// A plan failed to load: 404 means no plan is on offer (a friendly note), else retry.
export function showPlanError(el, err, onRetry) {
  if (err instanceof ApiError && err.kind === "http" && err.status === 404) {
    replace(el, h("section", { class: "card state", testid: "no-plan" },
      h("h1", { class: "screen-title", text: t("no_plan_title") }),
      h("p", { text: t("no_plan_text") }),
      h("button", { type: "button", class: "btn btn-secondary", testid: "retry", onclick: onRetry },
        t("retry"))));
  } else {
    showError(el, err, onRetry);
  }
}

// "3天 04:05:06" for a time left in milliseconds.
export function countdownText(ms) {
  const parts = splitDuration(ms);
  return t(parts.days === 1 ? "countdown_day" : "countdown_days", { d: parts.days, hms: parts.hms });
}

// A live countdown to `target` (ms, on the clock of `now()`); `onEnd` runs once at zero.
// Returns {el, stop}. `format` turns the milliseconds left into text.
export function liveCountdown(target, now, onEnd, format, testid) {
  const el = h("strong", { class: "countdown-value", role: "timer", testid: testid || "countdown" });
  let timer = null;
  const tick = () => {
    const left = target - now();
    el.textContent = (format || countdownText)(left);
    if (left <= 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
      if (onEnd) onEnd();
    }
  };
  tick();
  timer = setInterval(tick, 1000);
  return { el: el, stop: () => { if (timer !== null) clearInterval(timer); timer = null; } };
}
