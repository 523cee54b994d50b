// Home: the current plan, its enrollment window with a live countdown, premiums and cover.
import { h, replace } from "../dom.js";
import { getLang, pick, t, tParts } from "../i18n.js";
import { byCode, cachedPlan, forgetPlan, loadPlan, serverNow } from "../store.js";
import {
  formatDate, formatInstantDate, formatInstantTime, money, percent, weekdayName,
} from "../format.js";
import { card, countdownText, showLoading, showPlanError } from "../ui.js";
import { cachedMember, loadMember, mayBeLoggedIn } from "../account.js";
import { greetingName, loginCard } from "./me.js";

function enrollmentPeriod(plan) {
  const tz = plan.timezone;
  const opens = Date.parse(plan.enrollment.opens_at);
  const closes = Date.parse(plan.enrollment.closes_at);
  if (isNaN(opens) || isNaN(closes)) return ["—"];
  // The close is exclusive: a close at local midnight means the day before is the last day.
  const to = formatInstantTime(closes, tz) === "00:00"
    ? formatInstantDate(closes - 1, tz)
    : t("closes_at_time", { date: formatInstantDate(closes, tz), time: formatInstantTime(closes, tz) });
  return range(formatInstantDate(opens, tz), to);
}

// "from 至 to" with each end kept on one line.
function range(from, to) {
  return tParts("period_range", {
    from: h("span", { class: "nowrap", text: from }), to: h("span", { class: "nowrap", text: to }),
  });
}

function coveragePeriod(plan) {
  const c = plan.coverage || {};
  if (c.kind === "fixed") return range(formatDate(c.start), formatDate(c.end));
  return [t("coverage_rolling", { weekday: weekdayName(c.start_weekday), months: c.duration_months })];
}

function premiumCondition(rule) {
  const from = rule.born_on_or_after;
  const before = rule.born_before;
  if (from && before) return t("born_between", { from: formatDate(from), to: formatDate(before) });
  if (from) return t("born_on_or_after", { date: formatDate(from) });
  if (before) return t("born_before", { date: formatDate(before) });
  return null;
}

function hero(plan, onExpired) {
  const state = plan.enrollment.state;
  const target = state === "open" ? Date.parse(plan.enrollment.closes_at)
    : state === "upcoming" ? Date.parse(plan.enrollment.opens_at) : NaN;
  let timer = null;
  let countdown = null;
  if (!isNaN(target)) {
    countdown = h("strong", { class: "countdown-value", role: "timer", testid: "countdown" });
    const tick = () => {
      const left = target - serverNow(plan);
      countdown.textContent = countdownText(left);
      if (left <= 0 && timer !== null) {
        clearInterval(timer);
        timer = null;
        onExpired();
      }
    };
    tick();
    timer = setInterval(tick, 1000);
  }
  const el = h("section", { class: "card hero" },
    h("div", { class: "hero-top" },
      h("span", { class: "city", testid: "plan-city", text: pick(plan.city) }),
      plan.is_demo ? h("span", { class: "badge badge-demo", testid: "demo-badge", text: t("demo_badge") }) : null),
    h("h1", { class: "plan-name", testid: "plan-name", text: pick(plan.name) }),
    h("p", { class: "window-status status-" + state, testid: "window-status",
      text: t("window_" + state) }),
    countdown ? h("div", { class: "countdown" },
      h("span", { class: "countdown-label", text: t(state === "open" ? "countdown_close" : "countdown_open") }),
      countdown) : null,
    h("dl", { class: "facts" },
      h("div", null, h("dt", { text: t("enroll_period") }),
        h("dd", { testid: "enroll-period" }, enrollmentPeriod(plan))),
      h("div", null, h("dt", { text: t("coverage_period") }),
        h("dd", { testid: "coverage-period" }, coveragePeriod(plan)))),
    plan.is_demo ? h("p", { class: "note", text: t("demo_note") }) : null,
    h("a", { class: "btn btn-primary btn-block", href: "#/estimate", testid: "home-estimate",
      text: t("cta_estimate") }));
  return { el: el, stop: () => timer !== null && clearInterval(timer) };
}

function premiums(plan) {
  const rules = plan.premiums || [];
  const anyConditional = rules.some((r) => r.born_on_or_after || r.born_before);
  return card(t("premiums_title"), "premiums",
    h("ul", { class: "premium-list" }, rules.map((rule) => {
      const cond = premiumCondition(rule) || (anyConditional ? t("premium_default") : null);
      return h("li", { class: "premium", testid: "premium-" + rule.code },
        h("div", { class: "premium-name" },
          h("span", { text: pick(rule.name) }),
          cond ? h("small", { text: cond }) : null),
        h("div", { class: "premium-amount" },
          h("strong", { text: money(rule.premium_fen) }),
          h("small", { text: t("per_person_year") })));
    })));
}

// One row per tier: its deductible and payout ratio for this liability.
function tierTable(plan, liability, groups) {
  const group = liability.deductible_group ? groups[liability.deductible_group] : null;
  const ratio = liability.ratio_bp || {};
  return h("table", { class: "tier-table" },
    h("thead", null, h("tr", null,
      h("td", null),
      h("th", { scope: "col", text: t("deductible") }),
      h("th", { scope: "col", text: t("ratio") }))),
    h("tbody", null, (plan.tiers || []).map((tier) => h("tr", null,
      h("th", { scope: "row", text: pick(tier.name) }),
      h("td", { class: "nowrap", text: group ? money((group.amount_fen || {})[tier.code]) : t("none") }),
      h("td", { class: "ratio", text: percent(ratio[tier.code]) })))));
}

function coverage(plan) {
  const groups = byCode(plan.deductible_groups);
  const liabilities = plan.liabilities || [];
  const drugs = plan.special_drugs || [];
  const shared = (plan.deductible_groups || []).map((group) => {
    const users = liabilities.filter((l) => l.deductible_group === group.code);
    if (users.length < 2) return null;
    return h("p", { class: "note", text: t("shared_deductible", {
      group: pick(group.name), names: users.map((l) => pick(l.name)).join(getLang() === "zh" ? "、" : ", "),
    }) });
  });
  return card(t("cover_title"), "coverage",
    h("p", { class: "muted", text: t("cover_intro") }),
    liabilities.map((l) => h("article", { class: "liability", testid: "liability-" + l.code },
      h("h3", { text: pick(l.name) }),
      l.description ? h("p", { class: "muted", text: pick(l.description) }) : null,
      tierTable(plan, l, groups),
      h("p", { class: "cap" }, h("span", { text: t("annual_cap") }), h("strong", { text: money(l.annual_cap_fen) })),
      l.drug_list_only ? h("p", { class: "note", text: t("drug_list_note", { n: drugs.length }) }) : null,
      l.drug_list_only && drugs.length ? h("details", { class: "drug-list" },
        h("summary", { text: t("drug_list_show") }),
        h("ul", null, drugs.map((d) => h("li", null,
          h("strong", { text: pick(d.generic_name) }),
          h("span", { text: getLang() === "zh" ? "（" + pick(d.brand) + "）" : " (" + pick(d.brand) + ")" }),
          h("small", { text: pick(d.indication) }))))) : null)),
    shared,
    h("p", { class: "overall-cap", testid: "overall-cap" },
      h("span", { text: t("overall_cap") }), h("strong", { text: money(plan.overall_cap_fen) })));
}

function preExisting(plan) {
  const conditions = plan.pre_existing_conditions || [];
  if (!conditions.length) return null;
  const tier = byCode(plan.tiers).pre_existing;
  const notes = [];
  if (plan.continuous_enrollment === "keep_standard_tier") notes.push(t("preex_continuous"));
  if (plan.refund_rule === "full_before_coverage_start") notes.push(t("refund_note"));
  if (plan.claim_filing_deadline_years) notes.push(t("claim_deadline", { n: plan.claim_filing_deadline_years }));
  return card(t("preex_title"), "pre-existing",
    h("p", { text: t("preex_intro", { tier: tier ? pick(tier.name) : "" }) }),
    h("ul", { class: "chips", testid: "preex-list" },
      conditions.map((c) => h("li", { class: "chip", text: pick(c.name) }))),
    notes.length ? h("ul", { class: "notes" }, notes.map((n) => h("li", { text: n }))) : null);
}

// Logged out: the login buttons. Logged in: a greeting and the way to "Me"; verified
// while the window is open: "enroll now".
function accountView(member, plan) {
  if (!member) return loginCard("login_title", "login_intro", "/#/me", "home-login");
  const canEnroll = member.verified && plan.enrollment.state === "open";
  return h("section", { class: "card", testid: "home-greeting" },
    h("div", { class: "greeting" },
      h("div", null,
        h("p", { class: "greeting-name", testid: "home-nickname", text: greetingName(member) }),
        h("p", { class: "muted small", text: t(member.verified ? "verified" : "not_verified") })),
      h("a", { class: "btn btn-secondary", href: "#/me", testid: "home-me", text: t("nav_me") })),
    canEnroll ? h("a", { class: "btn btn-primary btn-block btn-large greeting-cta", href: "#/enroll",
      testid: "home-enroll", text: t("enroll_now") }) : null);
}

// Asks the server only if this phone was logged in last time (else a 401 for nothing).
function accountSlot(isAlive, plan) {
  const slot = h("div", { class: "account-slot", testid: "home-account" });
  const known = cachedMember();
  if (known !== undefined) replace(slot, accountView(known, plan));
  else if (!mayBeLoggedIn()) replace(slot, accountView(null, plan));
  else {
    const fill = (m) => isAlive() && replace(slot, accountView(m, plan));
    loadMember().then(fill, () => fill(null));
  }
  return slot;
}

export default {
  titleKey: "app_name",
  render(outlet) {
    let alive = true;
    let stop = null;
    let expiredOnce = false;

    function draw(plan) {
      if (stop) stop();
      const top = hero(plan, () => {
        // The window just opened or closed: ask the server for the new state (once).
        if (expiredOnce) return;
        expiredOnce = true;
        forgetPlan(null);
        setTimeout(() => alive && load(), 1500);
      });
      stop = top.stop;
      replace(outlet, h("div", { class: "screen" },
        top.el, accountSlot(() => alive, plan), premiums(plan), coverage(plan), preExisting(plan)));
    }

    function load() {
      const cached = cachedPlan(null);
      if (cached) {
        draw(cached);
        return;
      }
      showLoading(outlet);
      loadPlan(null).then((plan) => alive && draw(plan), (err) => alive && showPlanError(outlet, err, load));
    }

    load();
    return () => {
      alive = false;
      if (stop) stop();
    };
  },
};
