// Pieces shared by the console's screens: names of codes, dates, SLA clocks, form fields,
// notices, plan look-ups. Built with dom.js (no innerHTML, no style attributes).
import { h, replace } from "../../js/dom.js";
import { get, errorText } from "../../js/api.js";
import { pick, t } from "../../js/i18n.js";
import { formatDate, money } from "../../js/format.js";
import { rerender } from "../../js/router.js";

export const PLAN_TZ = "Asia/Shanghai";

export const STATUSES = [
  "submitted", "under_review", "need_more_info", "approved", "paid", "rejected", "withdrawn", "draft",
];

// The claim workflow's names (app/claims/workflow.py STATUS_NAMES), for the filter list.
const STATUS_NAMES = {
  draft: { zh: "草稿", en: "draft" },
  submitted: { zh: "已提交", en: "submitted" },
  under_review: { zh: "审核中", en: "under review" },
  need_more_info: { zh: "待补充材料", en: "waiting for more documents" },
  approved: { zh: "已通过", en: "approved" },
  paid: { zh: "已赔付", en: "paid" },
  rejected: { zh: "已拒绝", en: "rejected" },
  withdrawn: { zh: "已撤回", en: "withdrawn" },
};

export function statusName(code, fromApi) {
  return pick(fromApi) || pick(STATUS_NAMES[code]) || code || "";
}

export function statusBadge(code, fromApi, testid) {
  return h("span", { class: "badge status-" + (code || "unknown"), testid: testid || "status",
    "data-status": code || "" }, statusName(code, fromApi));
}

export function relationName(code) {
  const key = "s_rel_" + code;
  const text = t(key);
  return text === key ? code || "" : text;
}

export function tierName(code) {
  const key = "s_tier_" + code;
  const text = t(key);
  return text === key ? code || "—" : text;
}

export function roleName(code) {
  const key = "s_role_" + code;
  const text = t(key);
  return text === key ? code : text;
}

// --- redrawing after a language switch -----------------------------------------------
// The screens keep the data they loaded and draw it again instead of asking the server
// (a claim's detail view is audited: a language switch should not count as a new read).
let redrawing = false;

export function isRedraw() {
  return redrawing;
}

export function redraw() {
  redrawing = true;
  try {
    rerender();
  } finally {
    redrawing = false;
  }
}

// --- dates and instants --------------------------------------------------------------

const instantFormatters = {};

function parts(iso) {
  const ms = Date.parse(iso || "");
  if (isNaN(ms)) return null;
  const key = "x";
  if (!instantFormatters[key]) {
    instantFormatters[key] = new Intl.DateTimeFormat("en-GB", {
      timeZone: PLAN_TZ, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
  }
  const out = {};
  instantFormatters[key].formatToParts(new Date(ms)).forEach((p) => { out[p.type] = p.value; });
  return out;
}

// An ISO instant as "2024-05-01 13:45" in the plan's timezone (Beijing time).
export function formatInstant(iso) {
  const p = parts(iso);
  if (!p) return iso ? String(iso) : "—";
  return p.year + "-" + p.month + "-" + p.day + " " + (p.hour === "24" ? "00" : p.hour) + ":" + p.minute;
}

export function formatDay(ymd) {
  return ymd ? formatDate(ymd) : "—";
}

export function serviceRange(start, end) {
  if (!start) return "—";
  if (!end || end === start) return formatDay(start);
  return t("s_service_range", { from: formatDay(start), to: formatDay(end) });
}

// --- SLA clocks ----------------------------------------------------------------------

// {text, level: "ok" | "warn" | "danger" | "muted"} for one clock ("decision" or "payment").
export function slaState(sla, which) {
  if (!sla) return { text: "—", level: "muted" };
  const state = sla[which + "_state"];
  const left = sla[which + "_days_left"];
  const overdue = !!sla[which + "_overdue"];
  if (state === "not_started") return { text: t("s_sla_not_started"), level: "muted" };
  if (state === "paused") {
    if (typeof left !== "number") return { text: t("s_sla_paused_plain"), level: "muted" };
    return left < 0
      ? { text: t("s_sla_paused_overdue", { n: Math.max(1, -left) }), level: "warn" }
      : { text: t("s_sla_paused", { n: left }), level: "muted" };
  }
  if (state === "stopped" && !overdue) {
    // stopped: decided (or paid) after its due time stays on record as late
    const late = which === "decision" ? sla.decided_late : sla.paid_late;
    return late ? { text: t("s_sla_stopped_late"), level: "warn" } : { text: t("s_sla_stopped"), level: "muted" };
  }
  if (overdue || (typeof left === "number" && left < 0)) {
    return { text: t("s_sla_overdue", { n: typeof left === "number" ? Math.max(1, -left) : 1 }), level: "danger" };
  }
  if (typeof left !== "number") return { text: "—", level: "muted" };
  if (left === 0) return { text: t("s_sla_due_today"), level: "danger" };
  return { text: t("s_sla_days_left", { n: left }), level: left <= 5 ? "warn" : "ok" };
}

export function slaChip(sla, which, testid) {
  const s = slaState(sla, which);
  return h("span", { class: "chip chip-" + s.level, testid: testid, "data-level": s.level }, s.text);
}

// --- money ---------------------------------------------------------------------------

export function moneyText(fen) {
  return typeof fen === "number" ? money(fen) : "—";
}

// --- forms ---------------------------------------------------------------------------

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return (prefix || "f") + "-" + uid;
}

// A labelled control with a hint and a slot for its error: {el, control, setError}.
export function field(label, control, hint) {
  const id = control.id || nextId("fld");
  control.id = id;
  const err = h("p", { class: "field-error", id: id + "-err", role: "alert", hidden: true });
  const hintEl = hint ? h("p", { class: "field-hint", id: id + "-hint", text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", id + "-hint");
  const el = h("div", { class: "field" }, h("label", { for: id, text: label }), control, hintEl, err);
  return {
    el: el,
    control: control,
    setError(text) {
      err.hidden = !text;
      err.textContent = text || "";
      control.classList.toggle("invalid", !!text);
      if (text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    },
  };
}

// One message carried to the next screen (e.g. "you have logged out" on the login page).
let flash = null;

export function setFlash(kind, text) {
  flash = { kind: kind, text: text };
}

export function takeFlash() {
  const out = flash;
  flash = null;
  return out;
}

export function notice(kind, text, testid) {
  return h("div", { class: "notice notice-" + kind, role: kind === "error" ? "alert" : "status",
    testid: testid || "notice" }, text);
}

export function showLoading(el) {
  replace(el, h("div", { class: "state state-loading", role: "status", testid: "loading" },
    h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { text: t("loading") })));
}

export function errorBox(err, onRetry) {
  return h("div", { class: "state state-error", role: "alert", testid: "error" },
    h("p", { text: errorText(err) }),
    onRetry ? h("button", { type: "button", class: "btn", testid: "retry", onclick: onRetry },
      t("s_retry")) : null);
}

// A definition list from [label, value] pairs (value: text or a node; null rows skipped).
export function facts(rows, testid) {
  return h("dl", { class: "facts", testid: testid },
    rows.filter(Boolean).map((row) => [
      h("dt", { text: row[0] }),
      h("dd", { testid: row[2] || null }, row[1] === null || row[1] === undefined || row[1] === "" ? "—" : row[1]),
    ]));
}

export function card(title, testid, ...children) {
  return h("section", { class: "card", testid: testid },
    title ? h("h2", { class: "card-title", text: title }) : null,
    children);
}

// --- plans: names of plans, claim types, liabilities, deductible groups -------------------

let planList = null;
const planDetails = {};

export function loadPlans() {
  if (!planList) {
    planList = get("/api/v1/plans").catch((err) => {
      planList = null;
      throw err;
    });
  }
  return planList;
}

// A plan's terms as the public API shows them, or null when they cannot be loaded
// (the console then shows codes instead of names).
export function loadPlanDetail(code) {
  if (!code) return Promise.resolve(null);
  if (!planDetails[code]) {
    planDetails[code] = get("/api/v1/plans/" + encodeURIComponent(code)).catch(() => {
      delete planDetails[code];
      return null;
    });
  }
  return planDetails[code];
}

// Names by code from a plan's detail: {plan, claimTypes, liabilities, groups, drugs}.
export function namesOf(plan) {
  const out = { plan: null, claimTypes: {}, liabilities: {}, groups: {}, drugs: {} };
  if (!plan) return out;
  (plan.special_drugs || []).forEach((d) => {
    const g = d.generic_name || {};
    const b = d.brand || {};
    out.drugs[d.code] = {
      zh: (g.zh || d.code) + (b.zh ? "（" + b.zh + "）" : ""),
      en: (g.en || d.code) + (b.en ? " (" + b.en + ")" : ""),
    };
  });
  out.plan = plan.name || null;
  (plan.claim_types || []).forEach((c) => { out.claimTypes[c.code] = c.name; });
  (plan.liabilities || []).forEach((l) => { out.liabilities[l.code] = l.name; });
  (plan.deductible_groups || []).forEach((g) => { out.groups[g.code] = g.name; });
  return out;
}

export function nameOr(names, code) {
  const name = names && names[code];
  return name ? pick(name) : code || "—";
}
