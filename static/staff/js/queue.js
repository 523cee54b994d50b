// The review queue: filters (status, plan, claim type, SLA due before, overdue, duplicate),
// the claims oldest SLA first, and pages. The filters live in the hash (#/queue?status=…)
// so that a filtered queue can be bookmarked and Back returns to it. On a phone (below
// 40rem, staff.css) the filters fold behind a button and each claim is a card: number,
// status, person, SLA with its due date, type, amount; the desktop keeps the table.
import { h, replace } from "../../js/dom.js";
import { pick, t } from "../../js/i18n.js";
import { go } from "../../js/router.js";
import { staffGet } from "./session.js";
import {
  STATUSES, errorBox, field, formatInstant, isRedraw, loadPlanDetail, loadPlans, moneyText,
  relationName, serviceRange, showLoading, slaChip, statusBadge, statusName,
} from "./common.js";

const FILTERS = ["status", "plan", "claim_type", "sla_due_before", "overdue", "duplicate"];
const PER_PAGE = [20, 50, 100];
const DEFAULT_PER_PAGE = 20;

let cache = null; // {key, data, plans, details}: drawn again after a language switch
let filtersOpen = false; // on a phone: the filters unfolded (kept across redraws)

function readQuery(query) {
  const out = {};
  FILTERS.forEach((k) => {
    if (query[k]) out[k] = query[k];
  });
  const page = parseInt(query.page, 10);
  const perPage = parseInt(query.per_page, 10);
  out.page = page > 0 ? page : 1;
  // the list offers 20, 50, 100; an address may ask for any size the API allows (1-100)
  out.per_page = perPage >= 1 && perPage <= 100 ? perPage : DEFAULT_PER_PAGE;
  return out;
}

function toQuery(state) {
  const parts = [];
  FILTERS.concat(["page", "per_page"]).forEach((k) => {
    const v = state[k];
    if (v === undefined || v === null || v === "" || v === false) return;
    if (k === "page" && v === 1) return;
    if (k === "per_page" && v === DEFAULT_PER_PAGE) return;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v === true ? "true" : v));
  });
  return parts.join("&");
}

function apiUrl(state) {
  const parts = [];
  FILTERS.forEach((k) => {
    if (state[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]));
  });
  parts.push("page=" + state.page, "per_page=" + state.per_page);
  return "/api/v1/staff/claims?" + parts.join("&");
}

function option(value, text, selected) {
  return h("option", { value: value, selected: selected ? "selected" : null, text: text });
}

function filtersForm(state, plans, details) {
  const status = field(t("s_f_status"), h("select", { testid: "filter-status" },
    option("", t("s_any"), !state.status),
    STATUSES.map((s) => option(s, statusName(s), state.status === s))));
  const plan = field(t("s_f_plan"), h("select", { testid: "filter-plan" },
    option("", t("s_any"), !state.plan),
    plans.map((p) => option(p.code, pick(p.name) + " (" + p.code + ")", state.plan === p.code))));
  const typeSelect = h("select", { testid: "filter-claim-type" });
  const claimType = field(t("s_f_claim_type"), typeSelect);
  function fillTypes() {
    const chosen = plan.control.value;
    const seen = {};
    const types = [];
    plans.forEach((p) => {
      if (chosen && p.code !== chosen) return;
      const d = details[p.code];
      ((d && d.claim_types) || []).forEach((c) => {
        if (!seen[c.code]) {
          seen[c.code] = true;
          types.push(c);
        }
      });
    });
    if (state.claim_type && !seen[state.claim_type]) types.push({ code: state.claim_type, name: null });
    replace(typeSelect, option("", t("s_any"), !state.claim_type),
      types.map((c) => option(c.code, c.name ? pick(c.name) : c.code, state.claim_type === c.code)));
  }
  fillTypes();
  plan.control.addEventListener("change", fillTypes);
  const due = field(t("s_f_sla_due_before"), h("input", { type: "date", testid: "filter-sla-due-before",
    value: state.sla_due_before || "" }));
  const overdue = h("input", { type: "checkbox", testid: "filter-overdue", checked: state.overdue === "true" });
  const duplicate = h("input", { type: "checkbox", testid: "filter-duplicate",
    checked: state.duplicate === "true" });
  const sizes = PER_PAGE.indexOf(state.per_page) >= 0 ? PER_PAGE : [state.per_page].concat(PER_PAGE);
  const perPage = field(t("s_f_per_page"), h("select", { testid: "filter-per-page" },
    sizes.map((n) => option(String(n), String(n), state.per_page === n))));

  function onSubmit(ev) {
    ev.preventDefault();
    filtersOpen = false; // on a phone: fold them again to show what they found
    const next = {
      status: status.control.value,
      plan: plan.control.value,
      claim_type: typeSelect.value,
      sla_due_before: due.control.value,
      overdue: overdue.checked,
      duplicate: duplicate.checked,
      page: 1,
      per_page: parseInt(perPage.control.value, 10),
    };
    go("/queue" + (toQuery(next) ? "?" + toQuery(next) : ""));
  }

  return h("form", { class: "filters", id: "queue-filters", testid: "queue-filters", onsubmit: onSubmit,
    "aria-label": t("s_filters") },
  status.el, plan.el, claimType.el, due.el,
    h("div", { class: "field field-checks" },
      h("label", { class: "check" }, overdue, h("span", { text: t("s_f_overdue") })),
      h("label", { class: "check" }, duplicate, h("span", { text: t("s_f_duplicate") }))),
    perPage.el,
    h("div", { class: "filters-actions" },
      h("button", { type: "submit", class: "btn btn-primary", testid: "filter-apply", text: t("s_apply") }),
      h("a", { class: "btn", href: "#/queue", testid: "filter-reset", text: t("s_reset") })));
}

// How many filters are set (the folded filters' button says so).
function activeFilters(state) {
  return FILTERS.filter((k) => state[k] && state[k] !== "false").length;
}

// The filters with, on a phone, the button that unfolds them.
function filtersBox(state, plans, details) {
  const n = activeFilters(state);
  const box = h("div", { class: "filters-box" + (filtersOpen ? " is-open" : ""), testid: "queue-filters-box" });
  const toggle = h("button", { type: "button", class: "btn filters-toggle", testid: "filters-toggle",
    "aria-controls": "queue-filters", "aria-expanded": String(filtersOpen),
    text: n ? t("s_filters_toggle_n", { n: n }) : t("s_filters_toggle"),
    onclick: () => {
      filtersOpen = !filtersOpen;
      box.classList.toggle("is-open", filtersOpen);
      toggle.setAttribute("aria-expanded", String(filtersOpen));
    } });
  replace(box, toggle, filtersForm(state, plans, details));
  return box;
}

// The day an SLA clock runs out (its date in Beijing time); shown while the clock runs
// (paused: not known yet; stopped: the claim is decided).
function dueDay(iso) {
  return iso ? formatInstant(iso).split(" ")[0] : null;
}

// One cell: `col` names it for the phone's card layout (staff.css), `label` is shown
// before it there.
function cell(col, label, attrs, ...children) {
  return h("td", Object.assign({ class: "q-" + col, "data-label": label || null }, attrs || {}), ...children);
}

function row(item, planNames) {
  const person = item.person || {};
  const sla = item.sla || {};
  // an approval that pays nothing has no payment clock: its decision is what counts
  const which = item.status === "approved" && item.payout_fen !== 0 ? "payment" : "decision";
  const due = sla[which + "_state"] === "running" ? dueDay(sla[which + "_due_at"]) : null;
  const href = "#/claims/" + encodeURIComponent(item.id);
  return h("tr", { testid: "queue-row", "data-claim-id": item.id, "data-claim-number": item.claim_number,
    class: item.duplicate_flag ? "row-duplicate" : null },
    cell("number", null, null, h("a", { href: href, testid: "queue-open", class: "claim-link", text: item.claim_number })),
    cell("status", null, null, statusBadge(item.status, item.status_name)),
    cell("person", null, null, h("span", { class: "person-name", text: person.name || person.name_masked || "—" }),
      person.relation ? h("span", { class: "muted small", text: " · " + relationName(person.relation) }) : null),
    cell("plan", null, { title: item.plan_code },
      planNames[item.plan_code] ? pick(planNames[item.plan_code]) : item.plan_code),
    cell("type", null, null, pick(item.claim_type_name) || item.claim_type),
    cell("service", t("s_col_service"), null, serviceRange(item.service_start, item.service_end)),
    cell("claimed", t("s_col_claimed"), { class: "q-claimed num" }, moneyText(item.claimed_fen)),
    cell("estimate", null, { class: "q-estimate num" }, moneyText(item.estimate_fen)),
    cell("sla", t(which === "payment" ? "s_sla_payment" : "s_col_sla"), null, slaChip(sla, which, "queue-sla"),
      due ? h("span", { class: "queue-sla-due muted small", testid: "queue-sla-due", "data-due": due,
        text: t("s_sla_due_on", { date: due }) }) : null),
    cell("flags", null, null, item.duplicate_flag
      ? h("span", { class: "chip chip-danger", testid: "queue-duplicate", text: t("s_duplicate_short") }) : null),
    cell("submitted", null, null, formatInstant(item.submitted_at || item.created_at)));
}

function pager(state, data) {
  const total = typeof data.total === "number" ? data.total : (data.items || []).length;
  const perPage = data.per_page || state.per_page;
  const page = data.page || state.page;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (p, key, testid, disabled) => disabled
    ? h("span", { class: "btn disabled", "aria-disabled": "true", testid: testid, text: t(key) })
    : h("a", { class: "btn", testid: testid, text: t(key),
      href: "#/queue?" + toQuery(Object.assign({}, state, { page: p })) });
  return h("nav", { class: "pager", testid: "pager", "aria-label": t("s_page_of", { page: page, pages: pages }) },
    h("span", { class: "muted", testid: "queue-total", text: t("s_total_count", { n: total }) }),
    link(page - 1, "s_prev", "page-prev", page <= 1),
    h("span", { testid: "page-info", text: t("s_page_of", { page: page, pages: pages }) }),
    link(page + 1, "s_next", "page-next", page >= pages));
}

function draw(outlet, state, data, plans, details) {
  const planNames = {};
  plans.forEach((p) => { planNames[p.code] = p.name; });
  const items = data.items || [];
  const table = items.length
    ? h("div", { class: "table-wrap queue-wrap" },
      h("table", { class: "table queue-table", testid: "queue-table" },
        h("thead", { class: "queue-head" }, h("tr", null,
          ["s_col_number", "s_col_status", "s_col_person", "s_col_plan", "s_col_type", "s_col_service",
            "s_col_claimed", "s_col_estimate", "s_col_sla", "s_col_flags", "s_col_submitted"]
            .map((k) => h("th", { scope: "col", text: t(k) })))),
        h("tbody", null, items.map((item) => row(item, planNames)))))
    : h("p", { class: "state muted", testid: "queue-empty", text: t("s_queue_empty") });
  replace(outlet, h("section", { class: "screen", testid: "queue" },
    h("header", { class: "screen-head" },
      h("h1", { class: "screen-title", text: t("s_queue_title") }),
      h("p", { class: "muted", text: t("s_queue_intro") })),
    filtersBox(state, plans, details),
    table,
    pager(state, data)));
}

export default {
  titleKey: "s_queue_title",
  render(outlet, current) {
    const state = readQuery(current.query);
    const url = apiUrl(state);
    if (isRedraw() && cache && cache.key === url) {
      draw(outlet, state, cache.data, cache.plans, cache.details);
      return undefined;
    }
    let alive = true;
    showLoading(outlet);
    const plansP = loadPlans().then((plans) => {
      const details = {};
      return Promise.all((plans || []).map((p) => loadPlanDetail(p.code).then((d) => { details[p.code] = d; })))
        .then(() => ({ plans: plans || [], details: details }));
    }, () => ({ plans: [], details: {} })); // without plan names the queue still works
    const load = () => {
      Promise.all([staffGet(url), plansP]).then(([data, meta]) => {
        if (!alive) return;
        cache = { key: url, data: data, plans: meta.plans, details: meta.details };
        draw(outlet, state, data, meta.plans, meta.details);
      }, (err) => {
        if (alive) replace(outlet, errorBox(err, () => { showLoading(outlet); load(); }));
      });
    };
    load();
    return () => { alive = false; };
  },
};
