// Figures per plan for admins (GET /api/v1/staff/figures), drawn generically: one table
// per plan with every field the API returns. Money (`*_fen`) in yuan, ratios (`*_bp`) in
// percent, counts by key as small lists; known fields get a label, others show their key.
import { h, replace } from "../../js/dom.js";
import { addStrings, pick, t } from "../../js/i18n.js";
import { percent } from "../../js/format.js";
import { hasRole, staffGet } from "./session.js";
import {
  card, errorBox, formatInstant, isRedraw, moneyText, showLoading, statusName, tierName,
} from "./common.js";

const LABELS = {
  zh: {
    plan_code: "计划代码", plan_version: "最新版本", plan_name: "计划名称", plan_year: "计划年度",
    scheme: "项目", is_demo: "演示计划", roster_normal: "医保参保正常人数", enrolled_persons: "参保人数",
    insured_rate_bp: "参保率", policies_issued: "有效保单", policies_cancelled: "已退保保单",
    policies_by_tier: "保单按人群", policies_by_premium_rule: "保单按保费规则", premium_fen: "保费收入",
    refunded_fen: "已退保费", refund_pending_fen: "待退保费", claims_by_status: "理赔按状态",
    claimed_fen: "申请理赔金额", approved_fen: "核定赔付金额", paid_fen: "已赔付金额",
    payout_ratio_bp: "赔付率", generated_at: "统计时间",
  },
  en: {
    plan_code: "Plan code", plan_version: "Latest version", plan_name: "Plan", plan_year: "Plan year",
    scheme: "Scheme", is_demo: "Demo plan", roster_normal: "On the roster (normal)",
    enrolled_persons: "Insured persons", insured_rate_bp: "Insured rate", policies_issued: "Policies issued",
    policies_cancelled: "Policies cancelled", policies_by_tier: "Policies by tier",
    policies_by_premium_rule: "Policies by premium rule", premium_fen: "Premiums",
    refunded_fen: "Refunded", refund_pending_fen: "Refunds owed", claims_by_status: "Claims by status",
    claimed_fen: "Claimed", approved_fen: "Approved payouts", paid_fen: "Paid out",
    payout_ratio_bp: "Payout ratio", generated_at: "Generated",
  },
};
const labelStrings = { zh: {}, en: {} };
Object.keys(LABELS).forEach((lang) => {
  Object.keys(LABELS[lang]).forEach((k) => { labelStrings[lang]["s_fig_" + k] = LABELS[lang][k]; });
});
addStrings(labelStrings);

let cache = null;

function label(key) {
  const text = t("s_fig_" + key);
  return text === "s_fig_" + key ? key : text;
}

function isText(value) {
  return value && typeof value === "object" && !Array.isArray(value)
    && typeof value.zh === "string" && Object.keys(value).every((k) => k === "zh" || k === "en");
}

function keyName(field, key) {
  if (/status/.test(field)) return statusName(key);
  if (/tier/.test(field)) return tierName(key);
  return key;
}

// One value of the API as text or a node.
export function valueView(field, value) {
  if (value === null || value === undefined) return "—";
  if (/_fen$/.test(field) && typeof value === "number") return moneyText(value);
  if (/_bp$/.test(field) && typeof value === "number") return percent(value);
  if (typeof value === "boolean") return t(value ? "s_yes" : "s_no");
  if (typeof value === "number") {
    // years and versions as they are; counts grouped by thousands
    return /(year|version)$/.test(field) ? String(value) : value.toLocaleString("en-US");
  }
  if (isText(value)) return pick(value);
  if (Array.isArray(value)) {
    return h("ul", { class: "plain" }, value.map((v) => h("li", null, valueView(field, v))));
  }
  if (typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return "—";
    return h("ul", { class: "plain counts" }, keys.map((k) => h("li", null,
      h("span", { class: "muted", text: keyName(field, k) + "：" }),
      valueView(/_fen$/.test(k) || /_bp$/.test(k) ? k : field, value[k]))));
  }
  if (/_at$/.test(field)) return formatInstant(value);
  return String(value);
}

function planTable(plan) {
  const title = isText(plan.plan_name) ? pick(plan.plan_name) + " (" + plan.plan_code + ")" : plan.plan_code;
  return h("section", { class: "card", testid: "figures-plan", "data-plan-code": plan.plan_code || "" },
    h("h2", { class: "card-title", text: title || "—" }),
    h("div", { class: "table-wrap" }, h("table", { class: "table figures-table" },
      h("thead", null, h("tr", null,
        h("th", { scope: "col", text: t("s_figures_field") }),
        h("th", { scope: "col", text: t("s_figures_value") }))),
      h("tbody", null, Object.keys(plan).map((k) => h("tr", { testid: "figures-row", "data-field": k },
        h("th", { scope: "row" }, h("span", { text: label(k) }),
          label(k) !== k ? h("span", { class: "small muted key", text: " " + k }) : null),
        h("td", { class: /_(fen|bp)$/.test(k) || typeof plan[k] === "number" ? "num" : null,
          testid: "figures-value-" + k }, valueView(k, plan[k]))))))));
}

function csvUrl(plan) {
  return "/api/v1/staff/figures.csv" + (plan ? "?plan=" + encodeURIComponent(plan) : "");
}

function draw(outlet, data, chosen) {
  const plans = (data && data.plans) || [];
  const codes = [];
  plans.forEach((p) => { if (codes.indexOf(p.plan_code) < 0) codes.push(p.plan_code); });
  const select = h("select", { testid: "figures-plan-filter", id: "figures-plan-filter",
    onchange: () => { window.location.hash = "#/figures" + (select.value ? "?plan=" + encodeURIComponent(select.value) : ""); } },
    h("option", { value: "", text: t("s_any"), selected: chosen ? null : "selected" }),
    (cache && cache.codes || codes).map((c) => h("option", { value: c, text: c, selected: c === chosen ? "selected" : null })));
  replace(outlet, h("section", { class: "screen", testid: "figures" },
    h("header", { class: "screen-head" },
      h("h1", { class: "screen-title", text: t("s_figures_title") }),
      h("p", { class: "muted", text: t("s_figures_intro") }),
      data && data.generated_at ? h("p", { class: "muted small", testid: "figures-generated",
        text: label("generated_at") + "：" + formatInstant(data.generated_at) }) : null),
    h("div", { class: "filters filters-inline" },
      h("div", { class: "field" }, h("label", { for: "figures-plan-filter", text: t("s_f_plan") }), select),
      h("a", { class: "btn", href: csvUrl(chosen), download: true, testid: "figures-csv", text: t("s_figures_csv") })),
    plans.length ? plans.map(planTable)
      : h("p", { class: "state muted", testid: "figures-empty", text: t("s_figures_empty") })));
}

export default {
  titleKey: "s_figures_title",
  render(outlet, current) {
    if (!hasRole("admin")) {
      replace(outlet, card(t("s_figures_title"), "figures-forbidden", h("p", { text: t("s_admin_only") })));
      return undefined;
    }
    const chosen = current.query.plan || "";
    if (isRedraw() && cache && cache.plan === chosen) {
      draw(outlet, cache.data, chosen);
      return undefined;
    }
    let alive = true;
    const load = () => {
      showLoading(outlet);
      staffGet("/api/v1/staff/figures" + (chosen ? "?plan=" + encodeURIComponent(chosen) : "")).then((data) => {
        if (!alive) return;
        // the plan list of the filter comes from the unfiltered answer
        const codes = !chosen ? (data.plans || []).map((p) => p.plan_code) : (cache && cache.codes) || [chosen];
        cache = { plan: chosen, data: data, codes: codes };
        draw(outlet, data, chosen);
      }, (err) => {
        if (alive) replace(outlet, errorBox(err, load));
      });
    };
    load();
    return () => { alive = false; };
  },
};
