// Entry point: preferences, top bar, navigation and routes.
import { h, icon, replace } from "./dom.js";
import { addStrings, getLang, htmlLang, onLangChange, setLang, t } from "./i18n.js";
import { get } from "./api.js";
import { mayBeLoggedIn, onMemberChange } from "./account.js";
import { initElder, isElder, setElder } from "./prefs.js";
import { currentRoute, lazyScreen, notFound, rerender, route, startRouter } from "./router.js";
import { showLoading } from "./ui.js";
import home from "./screens/home.js";
import estimator from "./screens/estimator.js";
import me from "./screens/me.js";
import verify from "./screens/verify.js";

initElder();

// A screen whose module is fetched on first use (the public pages load without it).
function lazy(titleKey, load) {
  return lazyScreen(titleKey, load, showLoading, (outlet) => {
    replace(outlet, h("div", { class: "state state-error", role: "alert", testid: "error" },
      h("p", { text: t("err_network") }),
      h("button", { type: "button", class: "btn btn-secondary", testid: "retry", text: t("retry"),
        onclick: () => window.location.reload() })));
  });
}

route("/", home);
route("/estimate", estimator);
route("/me", me);
route("/verify", verify);
route("/family", lazy("family_title", () => import("./screens/family.js")));
route("/enroll", lazy("enroll_title", () => import("./screens/enroll.js")));
route("/orders/:id", lazy("order_title", () => import("./screens/order.js")));
route("/policies", lazy("policies_title", () => import("./screens/policies.js")));
route("/claims", lazy("claims_title", () => import("./screens/claims.js")));
route("/claims/new", lazy("claim_new_title", () => import("./screens/claim-new.js")));
route("/claims/:id", lazy("claim_title", () => import("./screens/claim.js")));
route("/messages", lazy("messages_title", () => import("./screens/messages.js")));
notFound({
  titleKey: "not_found_title",
  render(outlet) {
    replace(outlet, h("section", { class: "card" },
      h("h1", { class: "screen-title", text: t("not_found_title") }),
      h("a", { class: "btn btn-primary", href: "#/", text: t("back_home") })));
  },
});

// Tabs of the bottom bar: at most four (they must fit a 360 px phone in elder mode).
const NAV = [
  { path: "/", key: "nav_home", testid: "nav-home",
    icon: "M3 11.5 12 4l9 7.5M5.5 9.5V20h5v-6h3v6h5V9.5" },
  { path: "/estimate", key: "nav_estimate", testid: "nav-estimate",
    icon: "M6 3h12v18H6zM9 7h6M9 11h1M14 11h1M9 15h1M14 15h1M9 18h1M14 18h1" },
  { path: "/enroll", also: ["/orders/:id"], key: "nav_enroll", testid: "nav-enroll",
    icon: "M12 3 4.5 6v5.5c0 4.6 3.2 8.3 7.5 9.5 4.3-1.2 7.5-4.9 7.5-9.5V6zM8.8 12.2l2.2 2.2 4.3-4.4" },
  { path: "/me", also: ["/verify", "/family", "/policies", "/claims", "/claims/new", "/claims/:id", "/messages"], key: "nav_me", testid: "nav-me",
    icon: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20.5c.8-3.6 3.9-5.5 7.5-5.5s6.7 1.9 7.5 5.5" },
];

// --- the unread badge on the "我的" tab ---------------------------------------------------
addStrings({
  zh: { nav_unread_label: "{n} 条未读消息" },
  en: { nav_unread_label: "{n} unread messages" },
});

let unread = 0;
let unreadAsk = 0;
let unreadRefused = false; // a 401: not asked again until the login state changes

function unreadBadge() {
  if (!unread) return null;
  return h("span", { class: "nav-badge", testid: "nav-unread", "data-unread": String(unread) },
    h("span", { "aria-hidden": "true", text: unread > 99 ? "99+" : String(unread) }),
    h("span", { class: "visually-hidden", text: t("nav_unread_label", { n: unread }) }));
}

function setUnread(n) {
  unread = typeof n === "number" && n > 0 ? n : 0;
  const tab = nav.querySelector('[data-testid="nav-me"]');
  if (!tab) return;
  const old = tab.querySelector('[data-testid="nav-unread"]');
  if (old) old.remove();
  const badge = unreadBadge();
  if (badge) tab.appendChild(badge);
}

// Asked on every route change while (perhaps) logged in; a 401 or a network error is
// quietly ignored (the badge is a hint, not a screen of its own).
function refreshUnread() {
  const ask = ++unreadAsk;
  if (unreadRefused || !mayBeLoggedIn()) {
    setUnread(0);
    return;
  }
  get("/api/v1/me/messages/unread").then((answer) => {
    if (ask === unreadAsk) setUnread(answer.unread);
  }, (err) => {
    if (!err || err.status !== 401) return;
    unreadRefused = true;
    if (ask === unreadAsk) setUnread(0);
  });
}

onMemberChange(() => {
  unreadRefused = false;
  refreshUnread();
});
// The message centre announces its changes (read one, read all).
window.addEventListener("hmb-unread", (ev) => {
  unreadAsk += 1; // an answer still on its way is older than this
  setUnread(ev.detail ? ev.detail.unread : 0);
});

const topbar = document.getElementById("topbar");
const nav = document.getElementById("nav");
const main = document.getElementById("main");

function drawChrome() {
  const route = currentRoute();
  const elder = isElder();
  replace(topbar,
    h("a", { class: "brand", href: "#/", testid: "brand" },
      h("span", { class: "brand-mark", "aria-hidden": "true", text: "惠" }),
      h("span", { class: "brand-name", text: t("app_name") })),
    h("div", { class: "topbar-actions" },
      h("button", {
        type: "button", class: "chip-btn", testid: "lang-toggle",
        lang: getLang() === "zh" ? "en" : "zh-CN",
        "aria-label": t("lang_toggle_label"),
        onclick: () => setLang(getLang() === "zh" ? "en" : "zh"),
      }, t("lang_toggle")),
      h("button", {
        type: "button", class: "chip-btn" + (elder ? " is-on" : ""), testid: "elder-toggle",
        "aria-pressed": elder ? "true" : "false",
        title: elder ? t("elder_on_label") : t("elder_off_label"),
        onclick: () => {
          setElder(!isElder());
          drawChrome();
          const again = topbar.querySelector('[data-testid="elder-toggle"]');
          if (again) again.focus();
        },
      }, h("span", { class: "toggle-dot", "aria-hidden": "true" }), t("elder_toggle"))));
  nav.setAttribute("aria-label", t("nav_label"));
  replace(nav, h("ul", null, NAV.map((item) => {
    const active = !!route && (route.path === item.path || (item.also || []).indexOf(route.pattern) >= 0);
    return h("li", null, h("a", {
      href: "#" + item.path, testid: item.testid, class: active ? "is-active" : null,
      "aria-current": active ? "page" : null,
    }, icon(item.icon), h("span", { text: t(item.key) }), item.path === "/me" ? unreadBadge() : null));
  })));
  const screen = route && route.screen;
  document.title = screen && screen.titleKey && screen.titleKey !== "app_name"
    ? t(screen.titleKey) + " · " + t("app_name") : t("app_name");
}

function applyLang() {
  document.documentElement.lang = htmlLang();
}

applyLang();
onLangChange(() => {
  // Keep the keyboard/screen-reader focus on the same control after redrawing.
  const active = document.activeElement;
  const testid = active && active.getAttribute ? active.getAttribute("data-testid") : null;
  applyLang();
  rerender();
  const again = testid && document.querySelector('[data-testid="' + testid + '"]');
  if (again) again.focus();
});
// Back from another site (a cashier) the browser may restore this page as it was left:
// draw the screen again so that it asks for fresh data.
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted) rerender();
});
startRouter(main, () => {
  drawChrome();
  refreshUnread();
});
