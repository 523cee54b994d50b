// One order: status, a line per person, the total; while unpaid the time left to pay
// and the payment methods: WeChat Pay and Alipay (the browser goes to their cashier and
// comes back to "#/orders/<id>", Alipay adding "?out_trade_no=…" after the route: the
// order is then asked again for a few seconds until the payment shows), and the medical
// insurance personal account (家庭共济) when the server offers it: paid at once, for
// all or some of the persons (the rest stays in this order). The order and that state
// live in `P` (a language switch keeps them).
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { ApiError, errorCode, errorText, get } from "../api.js";
import { send } from "../account.js";
import { formatInstantDate, formatInstantTime, money, splitDuration } from "../format.js";
import { readSession, writeSession } from "../prefs.js";
import { serverNow } from "../store.js";
import { card, errorBox, liveCountdown, showError, showLoading } from "../ui.js";
import {
  gateError, loadPersons, newKey, personById, personLabel, planByCode, premiumRuleName, requireVerified,
  tierName,
} from "../family.js";

const TZ = "Asia/Shanghai";
const PAYING = "paying"; // sessionStorage: {order, at} while the member is at the cashier
const PAYING_FOR_MS = 60 * 60 * 1000;
const POLL_DELAYS_MS = [800, 1200, 1500, 2000, 2500, 3000];
const RETURN_PARAMS = ["out_trade_no", "trade_no", "method", "sign"];
const ACCOUNT = "personal_account";
const ACCOUNT_OFF = "personal_account_not_available"; // not offered at all: no option shown

let P = null;
let mounted = false;
let redraw = null;

function payingFor(id) {
  try {
    const mark = JSON.parse(readSession(PAYING) || "null");
    return !!mark && mark.order === id && Date.now() - mark.at < PAYING_FOR_MS;
  } catch (e) {
    return false;
  }
}

function refresh() {
  if (redraw) redraw();
}

function fresh(id) {
  return {
    id: id, order: null, plan: null, persons: [], method: "", busy: false, payError: null, methodError: false,
    polling: false, unconfirmed: false, timer: null, returned: false,
    account: null, accountFor: null, acctChosen: null, acctConsent: false, acctErrors: {}, acctKey: null,
    split: null,
  };
}

function orderPath(id) {
  return "/api/v1/orders/" + encodeURIComponent(id);
}

// Ask again until the payment shows (the provider's notice is usually there already).
function poll() {
  const state = P;
  let i = 0;
  state.polling = true;
  state.unconfirmed = false;
  function next() {
    if (P !== state) return;
    if (i >= POLL_DELAYS_MS.length) {
      state.polling = false;
      state.unconfirmed = true;
      writeSession(PAYING, null);
      refresh();
      return;
    }
    state.timer = setTimeout(() => {
      i += 1;
      get(orderPath(state.id)).then((order) => {
        if (P !== state) return;
        state.order = order;
        if (order.status !== "pending") {
          state.polling = false;
          writeSession(PAYING, null);
          refresh();
          return;
        }
        next();
      }, () => next());
    }, POLL_DELAYS_MS[i]);
  }
  next();
}

// What the personal account can pay on this order (asked again whenever the order's
// total changes). A server without the method answers 404: no option then.
function loadAccount() {
  const state = P;
  const order = state.order;
  const key = order.id + ":" + order.total_fen;
  if (state.accountFor === key) return;
  state.accountFor = key;
  get(orderPath(order.id) + "/personal-account").then((account) => {
    if (P !== state) return;
    state.account = account;
    const payable = account.lines.filter((l) => l.payable).map((l) => l.person_id);
    state.acctChosen = {};
    if (account.covers_all) payable.forEach((pid) => { state.acctChosen[pid] = true; });
    refresh();
  }, () => {
    if (P === state) state.account = null;
  });
}

function accountShown() {
  const a = P.account;
  return !!a && !(a.reason && a.reason.code === ACCOUNT_OFF);
}

function methods() {
  const list = ["wechatpay", "alipay"];
  if (accountShown()) list.push(ACCOUNT);
  return list;
}

function acctChosenLines() {
  return (P.account ? P.account.lines : []).filter((l) => l.payable && P.acctChosen && P.acctChosen[l.person_id]);
}

export default {
  titleKey: "order_title",
  render(outlet, route) {
    mounted = true;
    let alive = true;
    let stop = null;
    const id = route.params.id;
    const returned = RETURN_PARAMS.some((k) => k in route.query);
    if (returned && window.history && window.history.replaceState) {
      // the provider's return parameters are of no use here: keep the address clean
      window.history.replaceState(null, "", "#/orders/" + encodeURIComponent(id));
    }
    if (!P || P.id !== id) {
      if (P && P.timer) clearTimeout(P.timer);
      P = fresh(id);
    }
    if ((returned || payingFor(id)) && !P.polling) {
      // back from the cashier (also when the browser restores this page from its cache)
      P.returned = true;
      P.unconfirmed = false;
      P.busy = false;
    }

    function show() {
      if (stop) stop();
      stop = null;
      requireVerified(outlet, "order_title", "/#/orders/" + encodeURIComponent(id), () => alive, load);
    }

    function load() {
      const state = P;
      if (state.order) draw();
      else showLoading(outlet);
      get(orderPath(id)).then((order) => {
        if (P !== state) return null;
        state.order = order;
        return Promise.all([
          planByCode(order.plan_code).catch(() => null),
          loadPersons().catch(() => []),
        ]).then((got) => {
          if (P !== state) return;
          state.plan = got[0];
          state.persons = got[1];
          if (state.returned && order.status === "pending" && !state.polling) poll();
          else if (state.returned) writeSession(PAYING, null);
          state.returned = false;
          if (order.status === "pending") loadAccount();
          if (alive) draw();
        });
      }).catch((err) => {
        if (!alive || P !== state || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function now() {
      return P.plan ? serverNow(P.plan) : Date.now();
    }

    function instant(iso) {
      const ms = Date.parse(iso);
      return isNaN(ms) ? "—" : formatInstantDate(ms, TZ) + " " + formatInstantTime(ms, TZ);
    }

    function who(personId) {
      const person = personById(P.persons, personId);
      return person ? personLabel(person) : "—";
    }

    function statusBadge(order) {
      const cls = { paid: "badge-ok", pending: "badge-warn" }[order.status] || "badge-muted";
      return h("span", { class: "badge " + cls, testid: "order-status", "data-status": order.status,
        text: t("order_status_" + order.status) });
    }

    function lines(order) {
      const plan = P.plan;
      return card(null, "order-lines",
        h("ul", { class: "quote-list" }, order.lines.map((line) => {
          const person = personById(P.persons, line.person_id);
          return h("li", { class: "quote-line", testid: "order-line-" + line.person_id,
            "data-relation": person ? person.relation : "" },
          h("div", { class: "quote-who" },
            h("strong", { text: who(line.person_id) }),
            h("small", { testid: "line-tier", "data-tier": line.tier,
              text: t("decl_tier", { tier: tierName(plan, line.tier) }) }),
            h("small", { testid: "line-rule", "data-rule": line.premium_rule,
              text: premiumRuleName(plan, line.premium_rule) })),
          h("strong", { class: "quote-amount", testid: "line-premium", text: money(line.premium_fen) }));
        })),
        h("p", { class: "quote-total" }, h("span", { text: t("total_label") }),
          h("strong", { testid: "order-total", text: money(order.total_fen) })),
        h("dl", { class: "kv order-facts" },
          h("div", null, h("dt", { text: t("order_number") }), h("dd", { class: "order-id", text: order.id })),
          order.paid_at ? h("div", null, h("dt", { text: t("paid_at") }), h("dd", { testid: "paid-at",
            text: instant(order.paid_at) })) : null));
    }

    // --- paying ----------------------------------------------------------------------

    function methodOption(m) {
      const a = m === ACCOUNT ? P.account : null;
      const off = !!a && !a.eligible;
      const note = a ? (a.eligible ? t("acct_balance", { amount: money(a.balance_fen) }) : pick(a.reason)) : null;
      return h("label", { class: "option pay-option" + (off ? " is-blocked" : "") },
        h("input", { type: "radio", name: "pay-method", value: m, testid: "pay-method-" + m,
          checked: P.method === m, disabled: off,
          onchange: () => {
            P.method = m;
            P.methodError = false;
            P.payError = null;
            redrawHere();
          } }),
        h("span", { class: "pay-mark pay-mark-" + m, "aria-hidden": "true" }),
        h("span", { class: "option-text" },
          h("strong", { text: t("pay_" + m) }),
          note ? h("small", { testid: m === ACCOUNT ? "acct-note" : null, text: note }) : null));
    }

    // The personal account: for whom (all that the balance covers are ticked), the
    // relatives' agreement, then pay.
    function accountPanel(order) {
      const a = P.account;
      const chosen = acctChosenLines();
      const amount = chosen.reduce((sum, l) => sum + l.premium_fen, 0);
      const relatives = a.lines.some((l) => l.payable && l.relation !== "self");
      const e = P.acctErrors;
      const list = h("ul", { class: "check-list", "aria-labelledby": "acct-for" }, a.lines.map((l) => h("li", null,
        h("label", { class: "check-row" },
          h("input", { type: "checkbox", testid: "acct-person-" + l.person_id, disabled: !l.payable,
            checked: l.payable && !!P.acctChosen[l.person_id],
            onchange: (ev) => {
              if (ev.target.checked) P.acctChosen[l.person_id] = true;
              else delete P.acctChosen[l.person_id];
              delete P.acctErrors.persons;
              redrawHere();
            } }),
          h("span", { class: "option-text" },
            h("strong", { text: who(l.person_id) }),
            h("small", { text: money(l.premium_fen) }))))));
      const consent = relatives ? h("label", { class: "check-row", for: "acct-consent" },
        h("input", { type: "checkbox", id: "acct-consent", testid: "acct-consent", checked: P.acctConsent,
          "aria-describedby": "acct-consent-err",
          onchange: (ev) => {
            P.acctConsent = ev.target.checked;
            if (P.acctConsent && e.consent) {
              delete P.acctErrors.consent;
              redrawHere();
            }
          } }),
        h("span", { text: t("acct_consent") })) : null;
      return h("div", { class: "acct-panel", testid: "acct-panel" },
        h("p", { class: "field-label", id: "acct-for", text: t("acct_for_whom") }),
        a.covers_all ? null : h("p", { class: "note", testid: "acct-partial", text: t("acct_partial") }),
        list,
        h("p", { class: "field-error", role: "alert", testid: "error-acct-persons", hidden: !e.persons,
          text: e.persons ? message(e.persons) : "" }),
        consent,
        h("p", { class: "field-error", id: "acct-consent-err", role: "alert", testid: "error-acct-consent",
          hidden: !e.consent, text: e.consent ? message(e.consent) : "" }),
        payButton(t("acct_pay", { amount: money(amount) }), () => payFromAccount(order)));
    }

    function message(e) {
      return e.k ? t(e.k) : errorText(e.err);
    }

    function payButton(text, onclick) {
      return h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "pay-submit",
        disabled: P.busy, text: P.busy ? t("sending") : text, onclick: onclick });
    }

    function payCard(order) {
      const account = P.method === ACCOUNT && accountShown() && P.account.eligible;
      const err = h("p", { class: "field-error", id: "pay-method-err", role: "alert", testid: "error-method",
        hidden: !P.methodError, text: t("err_pay_method") });
      const label = t(order.payments.length ? "repay" : "pay_now", { amount: money(order.total_fen) });
      return h("fieldset", { class: "card", testid: "pay-methods" },
        h("legend", { class: "card-title", id: "pay-method-label", text: t("pay_method") }),
        h("div", { class: "options", role: "radiogroup", "aria-labelledby": "pay-method-label",
          "aria-describedby": "pay-method-err" }, methods().map(methodOption)),
        err,
        account ? accountPanel(order) : null,
        P.payError ? errorBox(P.payError) : null,
        account ? null : payButton(P.busy ? t("going_to_pay") : label, () => pay(order)));
    }

    function failed(state, err) {
      if (P !== state) return;
      state.busy = false;
      if (gateError(err, show)) return;
      if (errorCode(err) === "order_not_payable") {
        state.order = null; // paid, expired or cancelled meanwhile: show what it is now
        show();
        return;
      }
      state.payError = err;
      refresh();
    }

    function pay(order) {
      if (P.busy) return;
      if (!P.method) {
        P.methodError = true;
        draw();
        const first = outlet.querySelector('[name="pay-method"]');
        if (first) first.focus();
        return;
      }
      const state = P;
      P.busy = true;
      P.payError = null;
      draw();
      // Inside WeChat: JSAPI (the WeChat Pay sheet over this page); elsewhere: H5 / wap pages
      const inWeChat = /MicroMessenger/i.test(navigator.userAgent);
      const channel = P.method === "wechatpay" ? (inWeChat ? "jsapi" : "h5") : "wap";
      send("POST", orderPath(order.id) + "/payments", { provider: P.method, channel }).then((answer) => {
        if (P !== state) return;
        writeSession(PAYING, JSON.stringify({ order: order.id, at: Date.now() }));
        const bridge = window.WeixinJSBridge;
        if (channel === "jsapi" && answer.jsapi_params && bridge) {
          // whatever the sheet answers, the order screen asks the server (the notice decides)
          bridge.invoke("getBrandWCPayRequest", answer.jsapi_params, () => window.location.reload());
          return;
        }
        window.location.assign(answer.pay_url);
        // stays "going to pay" until the browser leaves
      }, (err) => failed(state, err));
    }

    function payFromAccount(order) {
      if (P.busy) return;
      const chosen = acctChosenLines();
      P.acctErrors = {};
      if (!chosen.length) P.acctErrors.persons = { k: "err_acct_choose" };
      if (chosen.some((l) => l.relation !== "self") && !P.acctConsent) P.acctErrors.consent = { k: "err_acct_consent" };
      if (P.acctErrors.persons || P.acctErrors.consent) {
        draw();
        const bad = outlet.querySelector(P.acctErrors.persons ? '[data-testid^="acct-person-"]'
          : '[data-testid="acct-consent"]');
        if (bad) bad.focus();
        return;
      }
      const body = { persons: chosen.map((l) => l.person_id), relatives_consent: P.acctConsent };
      const fingerprint = order.id + JSON.stringify(body);
      if (!P.acctKey || P.acctKey.body !== fingerprint) P.acctKey = { key: newKey(), body: fingerprint };
      const state = P;
      P.busy = true;
      P.payError = null;
      draw();
      send("POST", orderPath(order.id) + "/personal-account-payments", body, { "Idempotency-Key": P.acctKey.key })
        .then((answer) => {
          if (P !== state) return;
          state.busy = false;
          state.acctKey = null;
          state.method = "";
          if (answer.remaining_order) {
            // some persons paid (their own new order); the rest stays here, to pay another way
            state.split = { order: answer.paid_order, count: answer.paid_order.lines.length };
            state.order = answer.remaining_order;
            loadAccount();
          } else {
            state.order = answer.paid_order;
          }
          refresh();
        }, (err) => {
          if (P !== state) return;
          const code = errorCode(err);
          const retryable = !(err instanceof ApiError) || err.kind !== "http" || err.status >= 500
            || code === "idempotency_in_progress";
          if (!retryable) state.acctKey = null;
          if (code === "relatives_consent_required") {
            state.busy = false;
            state.acctErrors = { consent: { err: err } };
            refresh();
            return;
          }
          if (code === "insufficient_balance") {
            state.busy = false;
            state.acctErrors = { persons: { err: err } };
            refresh();
            return;
          }
          failed(state, err);
        });
    }

    // --- the screen --------------------------------------------------------------------

    function splitNotice() {
      const s = P.split;
      if (!s) return null;
      return h("div", { class: "notice notice-ok", role: "status", testid: "split-notice" },
        h("p", { text: t("acct_split_notice", { n: s.count, amount: money(s.order.total_fen) }) }),
        h("a", { href: "#/orders/" + encodeURIComponent(s.order.id), testid: "split-order",
          text: t("acct_paid_order") }));
    }

    // Draw again and put the focus back on the same control (the member is using it).
    function redrawHere() {
      const active = document.activeElement;
      const testid = active && active.getAttribute ? active.getAttribute("data-testid") : null;
      draw();
      const again = testid && outlet.querySelector('[data-testid="' + testid + '"]');
      if (again) again.focus();
    }

    function draw() {
      if (stop) stop();
      stop = null;
      const order = P.order;
      const parts = [];
      if (order.status === "paid") {
        parts.push(h("section", { class: "card result-card", testid: "order-result", tabindex: "-1" },
          h("h2", { class: "result-title", text: t("paid_title") }),
          h("p", { text: t("paid_text") }),
          h("a", { class: "btn btn-primary btn-block btn-large", href: "#/policies", testid: "to-policies",
            text: t("policies_title") })));
      } else if (order.status === "expired") {
        parts.push(h("section", { class: "card notice-card", testid: "order-expired" },
          h("p", { text: t("order_expired_text") }),
          h("a", { class: "btn btn-primary btn-block", href: "#/enroll", testid: "start-again", text: t("start_again") })));
      } else if (order.status === "cancelled") {
        parts.push(h("section", { class: "card notice-card", testid: "order-cancelled" },
          h("p", { text: t("order_cancelled_text") })));
      } else {
        const countdown = liveCountdown(Date.parse(order.expires_at), now, () => {
          setTimeout(() => alive && load(), 1000); // the server closes it: ask again
        }, (ms) => splitDuration(ms).hms, "order-countdown");
        stop = countdown.stop;
        parts.push(h("div", { class: "countdown" },
          h("span", { class: "countdown-label", text: t("order_time_left") }), countdown.el));
        if (P.polling) {
          parts.push(h("div", { class: "state state-loading", role: "status", testid: "confirming" },
            h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { text: t("confirming_payment") })));
        } else if (P.unconfirmed) {
          parts.push(h("div", { class: "notice notice-info", role: "status", testid: "not-confirmed" },
            h("p", { text: t("not_confirmed") }),
            h("button", { type: "button", class: "btn btn-secondary", testid: "refresh", text: t("refresh"),
              onclick: () => {
                P.unconfirmed = false;
                P.returned = true;
                load();
              } })));
        }
      }
      replace(outlet, h("div", { class: "screen", testid: "order" },
        h("header", { class: "screen-head order-head" },
          h("h1", { class: "screen-title", text: t("order_title") }), statusBadge(order)),
        splitNotice(),
        parts,
        lines(order),
        order.status === "pending" && !P.polling ? payCard(order) : null));
    }

    const repaint = () => (alive && P && P.order ? draw() : show());
    redraw = repaint;
    show();
    return () => {
      alive = false;
      mounted = false;
      if (stop) stop();
      if (redraw === repaint) redraw = null;
      setTimeout(() => {
        if (!mounted && P) {
          if (P.timer) clearTimeout(P.timer);
          P = null;
        }
      }, 0);
    };
  },
};
