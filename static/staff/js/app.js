// The staff console: top bar, navigation, routes, and the login gate.
// Hash routes: #/login, #/queue, #/claims/<id>, #/figures. Every screen but the login
// needs a staff session; the data itself is behind the staff API.
import "./strings.js";
import { h, replace } from "../../js/dom.js";
import { getLang, htmlLang, onLangChange, setLang, t } from "../../js/i18n.js";
import { currentRoute, go, lazyScreen, notFound, route, startRouter } from "../../js/router.js";
import { currentStaff, hasRole, loadMe, logout, onSessionChange } from "./session.js";
import { errorBox, redraw, roleName, setFlash, showLoading } from "./common.js";
import login from "./login.js";
import queue from "./queue.js";

const topbar = document.getElementById("topbar");
const main = document.getElementById("main");

// A screen whose module is fetched on first use.
function lazy(titleKey, load) {
  return lazyScreen(titleKey, load, showLoading, (outlet, err) => {
    replace(outlet, errorBox(err, () => window.location.reload()));
  });
}

function hereWithQuery(current) {
  const q = Object.keys(current.query || {}).map(
    (k) => encodeURIComponent(k) + "=" + encodeURIComponent(current.query[k])).join("&");
  return current.path + (q ? "?" + q : "");
}

// Screens behind the login: without a session, to the login page (and back afterwards).
function guarded(screen) {
  return {
    titleKey: screen.titleKey,
    render(outlet, current) {
      if (!currentStaff()) {
        goLogin(hereWithQuery(current));
        return undefined;
      }
      return screen.render(outlet, current);
    },
  };
}

function replaceHash(path) {
  window.location.replace(window.location.pathname + window.location.search + "#" + path);
}

function goLogin(next) {
  replaceHash("/login" + (next && next !== "/" ? "?next=" + encodeURIComponent(next) : ""));
}

route("/", {
  titleKey: "s_nav_queue",
  render() {
    replaceHash(currentStaff() ? "/queue" : "/login");
  },
});
route("/login", login);
route("/queue", guarded(queue));
route("/claims/:id", guarded(lazy("s_claim_title", () => import("./claim.js"))));
route("/figures", guarded(lazy("s_figures_title", () => import("./figures.js"))));
notFound({
  titleKey: "s_not_found",
  render(outlet) {
    replace(outlet, h("section", { class: "card", testid: "not-found" },
      h("h1", { class: "screen-title", text: t("s_not_found") }),
      h("a", { class: "btn btn-primary", href: "#/queue", testid: "go-queue", text: t("s_go_queue") })));
  },
});

// --- the top bar -------------------------------------------------------------------------

const NAV = [
  { path: "/queue", also: ["/claims/:id"], key: "s_nav_queue", testid: "nav-queue" },
  { path: "/figures", key: "s_nav_figures", testid: "nav-figures", role: "admin" },
];

let loggingOut = false;

function drawChrome() {
  const current = currentRoute();
  const staff = currentStaff();
  document.documentElement.lang = htmlLang();
  document.title = current && current.screen && current.screen.titleKey
    ? t(current.screen.titleKey, { number: "" }).trim() + " · " + t("s_doc_title")
    : t("s_doc_title");
  const langButton = h("button", {
    type: "button", class: "btn btn-ghost", testid: "lang-toggle", lang: getLang() === "zh" ? "en" : "zh",
    "aria-label": t("s_lang_toggle_label"), text: t("s_lang_toggle"),
    onclick: () => setLang(getLang() === "zh" ? "en" : "zh"),
  });
  let nav = null;
  let who = null;
  if (staff) {
    nav = h("nav", { class: "topnav", "aria-label": t("s_nav_label") },
      NAV.filter((item) => !item.role || hasRole(item.role)).map((item) => {
        const active = current && (current.pattern === item.path
          || (item.also || []).indexOf(current.pattern) >= 0);
        return h("a", { href: "#" + item.path, testid: item.testid, class: active ? "active" : null,
          "aria-current": active ? "page" : null, text: t(item.key) });
      }));
    who = h("span", { class: "who", testid: "staff-who" },
      h("span", { class: "who-name", text: staff.display_name || staff.username }),
      h("span", { class: "who-roles", text: (staff.roles || []).map(roleName).join(" · ") }));
  }
  const logoutButton = staff ? h("button", {
    type: "button", class: "btn btn-ghost", testid: "logout", text: t("s_logout"),
    onclick: async (ev) => {
      ev.currentTarget.disabled = true;
      loggingOut = true;
      try {
        await logout();
        setFlash("info", t("s_logged_out"));
        goLogin("");
      } catch (err) {
        ev.target.disabled = false;
      } finally {
        loggingOut = false;
      }
    },
  }) : null;
  replace(topbar,
    h("a", { class: "brand", href: "#/queue", testid: "brand" },
      h("span", { class: "brand-mark", "aria-hidden": "true", text: "惠" }),
      h("span", { class: "brand-name", text: t("s_app_name") })),
    nav,
    h("span", { class: "topbar-end" }, who, langButton, logoutButton));
}

let started = false;
let wasLoggedIn = false;

onSessionChange((staff) => {
  const ended = !staff && wasLoggedIn;
  wasLoggedIn = !!staff;
  if (!started) return;
  drawChrome();
  if (ended && !loggingOut) {
    setFlash("warn", t("s_session_expired"));
    const current = currentRoute();
    if (current && current.pattern !== "/login") goLogin(hereWithQuery(current));
  }
});

onLangChange(() => {
  drawChrome();
  redraw();
});

showLoading(main);
loadMe().then(() => {
  started = true;
  startRouter(main, () => drawChrome());
}, (err) => {
  replace(main, errorBox(err, () => window.location.reload()));
});

