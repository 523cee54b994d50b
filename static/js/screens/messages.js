// The message centre: the member's messages, newest first, the unread ones marked.
// Tapping a message marks it read and, when it is about a claim, opens the claim;
// "mark all read" clears the lot. The tab bar's badge hears of every change through
// the "hmb-unread" event (static/js/app.js).
import { h, replace } from "../dom.js";
import { addStrings, pick, t } from "../i18n.js";
import { get } from "../api.js";
import { cachedMember, loadMember, send } from "../account.js";
import { formatInstantDate, formatInstantTime } from "../format.js";
import { go } from "../router.js";
import { card, errorBox, showError, showLoading } from "../ui.js";
import { gateError } from "../family.js";
import { loginCard } from "./me.js";

addStrings({
  zh: {
    messages_intro: "理赔进度等通知都会在这里留存。",
    messages_empty: "暂无消息。",
    messages_unread_count: "{n} 条未读",
    messages_all_read: "全部已读",
    messages_read_all: "全部标为已读",
    messages_marking: "正在标记…",
    messages_more: "加载更多",
    messages_unread: "未读",
    messages_open_claim: "查看理赔",
    messages_login_text: "登录后查看理赔进度等消息。",
  },
  en: {
    messages_intro: "Claim updates and other notices are kept here.",
    messages_empty: "No messages yet.",
    messages_unread_count: "{n} unread",
    messages_all_read: "All read",
    messages_read_all: "Mark all as read",
    messages_marking: "Marking…",
    messages_more: "Load more",
    messages_unread: "Unread",
    messages_open_claim: "See the claim",
    messages_login_text: "Log in to see your claim updates and other messages.",
  },
});

const TZ = "Asia/Shanghai";
const PER_PAGE = 20;
const LIST = "/api/v1/me/messages";

// Tell the tab bar's badge how many are unread.
function announce(unread) {
  window.dispatchEvent(new CustomEvent("hmb-unread", { detail: { unread: unread } }));
}

function when(iso) {
  const ms = Date.parse(iso);
  return isNaN(ms) ? "" : formatInstantDate(ms, TZ) + " " + formatInstantTime(ms, TZ);
}

export default {
  titleKey: "messages_title",
  render(outlet) {
    let alive = true;
    let items = [];
    let unread = 0;
    let total = 0;
    let page = 0;
    let busy = false;
    const problem = h("div", { testid: "messages-problem" });

    function show() {
      const member = cachedMember();
      if (member === undefined) {
        showLoading(outlet);
        loadMember().then(() => alive && show(), (err) => alive && showError(outlet, err, show));
        return;
      }
      if (!member) {
        replace(outlet, h("div", { class: "screen" },
          loginCard("messages_title", "messages_login_text", "/#/messages", "gate-login", true)));
        return;
      }
      load();
    }

    function load() {
      showLoading(outlet);
      get(LIST + "?page=1&per_page=" + PER_PAGE).then((answer) => {
        if (!alive) return;
        items = answer.items || [];
        page = 1;
        take(answer);
        draw();
      }, (err) => {
        if (!alive || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function take(answer) {
      unread = answer.unread;
      total = answer.total;
      announce(unread);
    }

    function more(button) {
      button.disabled = true;
      replace(problem);
      get(LIST + "?page=" + (page + 1) + "&per_page=" + PER_PAGE).then((answer) => {
        if (!alive) return;
        const known = {};
        items.forEach((m) => {
          known[m.id] = true;
        });
        // messages that arrived meanwhile shift the pages: skip the ones already shown
        items = items.concat((answer.items || []).filter((m) => !known[m.id]));
        page += 1;
        take(answer);
        draw();
      }, (err) => {
        if (!alive) return;
        button.disabled = false;
        if (!gateError(err, show)) replace(problem, errorBox(err));
      });
    }

    function open(message) {
      if (busy) return;
      const target = message.claim_id ? "/claims/" + encodeURIComponent(message.claim_id) : null;
      if (message.read_at) {
        if (target) go(target);
        return;
      }
      busy = true;
      replace(problem);
      send("POST", LIST + "/" + encodeURIComponent(message.id) + "/read").then((read) => {
        busy = false;
        items = items.map((m) => (m.id === read.id ? read : m));
        unread = Math.max(0, unread - 1);
        announce(unread);
        if (!alive) return;
        if (target) go(target);
        else draw(message.id);
      }, (err) => {
        busy = false;
        if (!alive || gateError(err, show)) return;
        if (target) go(target); // the claim still opens; the message stays unread
        else replace(problem, errorBox(err));
      });
    }

    function readAll(button) {
      if (busy) return;
      busy = true;
      button.disabled = true;
      button.textContent = t("messages_marking");
      replace(problem);
      send("POST", LIST + "/read-all").then((answer) => {
        busy = false;
        const now = new Date().toISOString();
        items = items.map((m) => (m.read_at ? m : Object.assign({}, m, { read_at: now })));
        unread = answer.unread;
        announce(unread);
        if (alive) draw();
      }, (err) => {
        busy = false;
        if (!alive || gateError(err, show)) return;
        button.disabled = false;
        button.textContent = t("messages_read_all");
        replace(problem, errorBox(err));
      });
    }

    function item(m) {
      const isUnread = !m.read_at;
      return h("li", null, h("button", {
        type: "button", class: "card message" + (isUnread ? " is-unread" : ""),
        testid: "message-" + m.id, "data-read": isUnread ? "false" : "true",
        "data-claim": m.claim_id || null, onclick: () => open(m),
      },
      h("span", { class: "message-head" },
        isUnread ? h("span", { class: "unread-dot", testid: "message-unread", title: t("messages_unread") },
          h("span", { class: "visually-hidden", text: t("messages_unread") })) : null,
        h("strong", { class: "message-title", testid: "message-title", text: pick(m.title) }),
        h("small", { class: "message-time", text: when(m.created_at) })),
      h("span", { class: "message-body", testid: "message-body", text: pick(m.body) }),
      m.claim_id ? h("span", { class: "message-link", text: t("messages_open_claim") + " ›" }) : null));
    }

    function draw(focusId) {
      const allRead = h("button", {
        type: "button", class: "btn btn-secondary btn-small", testid: "messages-read-all",
        text: t("messages_read_all"), onclick: () => readAll(allRead),
      });
      const moreBtn = h("button", {
        type: "button", class: "btn btn-secondary btn-block", testid: "messages-more",
        text: t("messages_more"), onclick: () => more(moreBtn),
      });
      replace(outlet, h("div", { class: "screen", testid: "messages", "data-unread": String(unread) },
        h("header", { class: "screen-head" },
          h("h1", { class: "screen-title", text: t("messages_title") }),
          h("p", { class: "muted small", text: t("messages_intro") })),
        items.length ? h("div", { class: "messages-bar" },
          h("span", { class: "messages-count", testid: "messages-unread", role: "status",
            text: unread ? t("messages_unread_count", { n: unread }) : t("messages_all_read") }),
          unread ? allRead : null) : null,
        problem,
        items.length
          ? h("ul", { class: "message-list", testid: "message-list" }, items.map(item))
          : card(null, "messages-empty", h("p", { text: t("messages_empty") })),
        items.length < total ? moreBtn : null));
      if (focusId) {
        const again = outlet.querySelector('[data-testid="message-' + focusId + '"]');
        if (again) again.focus();
      }
    }

    show();
    return () => {
      alive = false;
    };
  },
};
