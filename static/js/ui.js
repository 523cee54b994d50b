// Shared pieces of screens: loading state, retryable error, notices.
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { ApiError, errorText } from "./api.js";

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
