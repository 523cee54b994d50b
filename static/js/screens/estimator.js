// Estimator: tier (chosen, or checked from the condition list), costs in yuan per
// liability, special drugs from a searchable list, optional year-to-date, then the
// payout line by line with its explanation. What the member entered and the last
// result live in `S`, so a language switch redraws everything without re-entering.
import { h, replace } from "../dom.js";
import { getLang, pick, t } from "../i18n.js";
import { fieldErrors, post } from "../api.js";
import { byCode, cachedPlan, loadPlan } from "../store.js";
import { money, parseYuan, percent } from "../format.js";
import { errorBox, showLoading, showPlanError } from "../ui.js";

let S = null; // the member's input and results
let V = null; // the elements of the current drawing
let mounted = false;

const TIER_HINTS = { standard: "tier_hint_standard", pre_existing: "tier_hint_pre_existing" };
// parseYuan's error -> the message key (shared with the claim form)
export const PARSE_ERRORS = {
  empty: "err_amount_format",
  format: "err_amount_format",
  decimals: "err_amount_decimals",
  too_large: "err_amount_too_large",
};
const MAX_DRUG_RESULTS = 8;

function costLiabilities(plan) {
  return (plan.liabilities || []).filter((l) => !l.drug_list_only);
}

function drugLiability(plan) {
  return (plan.liabilities || []).filter((l) => l.drug_list_only)[0] || null;
}

function freshState(plan) {
  const amounts = {};
  costLiabilities(plan).forEach((l) => {
    amounts[l.code] = { amount: "", other: "", otherOpen: false };
  });
  const ytdDed = {};
  (plan.deductible_groups || []).forEach((g) => {
    ytdDed[g.code] = "";
  });
  const ytdPaid = {};
  (plan.liabilities || []).forEach((l) => {
    ytdPaid[l.code] = "";
  });
  return {
    planCode: plan.code, planVersion: plan.version,
    tierMode: null, conditions: {}, check: null,
    amounts: amounts, drugs: [], query: "",
    ytdDed: ytdDed, ytdPaid: ytdPaid, advancedOpen: false,
    errors: {}, formError: null, busy: false, submitError: null,
    result: null, stale: false,
  };
}

function errText(e) {
  if (!e) return "";
  return e.k ? t(e.k) : e.raw;
}

function markStale() {
  if (S.result && !S.stale) {
    S.stale = true;
    if (V && V.staleNote) V.staleNote.hidden = false;
  }
}

// --- fields -----------------------------------------------------------------

function moneyField(key, label, value, onValue, testid, hint) {
  const id = "f-" + key.replace(/[^\w-]/g, "-");
  const describedBy = hint ? id + "-hint" : null;
  const err = h("p", { class: "field-error", id: id + "-err", hidden: true });
  const input = h("input", {
    id: id, type: "text", inputmode: "decimal", autocomplete: "off", enterkeyhint: "done",
    class: "input", testid: testid, value: value, placeholder: t("amount_placeholder"),
    "aria-describedby": (describedBy ? describedBy + " " : "") + id + "-err",
  });
  input.addEventListener("input", () => {
    onValue(input.value);
    markStale();
    if (S.errors[key]) {
      delete S.errors[key];
      renderFieldError(key);
    }
    settleFormError();
  });
  input.addEventListener("blur", () => {
    const parsed = parseYuan(input.value);
    if (!parsed.ok && parsed.error !== "empty") {
      S.errors[key] = { k: PARSE_ERRORS[parsed.error] };
      renderFieldError(key);
    }
  });
  const wrap = h("div", { class: "field" },
    h("label", { class: "field-label", for: id, text: label }),
    hint ? h("p", { class: "hint", id: describedBy, text: hint }) : null,
    h("div", { class: "input-row" }, input, h("span", { class: "unit", text: t("yuan") })),
    err);
  V.fields[key] = { input: input, err: err, wrap: wrap };
  return wrap;
}

function renderFieldError(key) {
  const f = V && V.fields[key];
  if (!f) return;
  const e = S.errors[key];
  f.err.textContent = errText(e);
  f.err.hidden = !e;
  f.wrap.classList.toggle("has-error", !!e);
  if (e) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}

function renderErrors() {
  Object.keys(V.fields).forEach(renderFieldError);
  V.tierError.textContent = errText(S.errors.tier);
  V.tierError.hidden = !S.errors.tier;
  V.formError.textContent = errText(S.formError);
  V.formError.hidden = !S.formError;
}

function focusFirstError() {
  if (S.errors.tier) {
    const radio = V.tierBox.querySelector("input");
    if (radio) radio.focus();
    return;
  }
  const first = V.form.querySelector('[aria-invalid="true"]'); // the first in reading order
  if (!first) {
    V.formError.focus();
    return;
  }
  for (let p = first.parentNode; p && p !== V.form; p = p.parentNode) {
    if (p.tagName === "DETAILS") p.open = true;
  }
  first.focus();
}

// The form-level message goes away once nothing is marked any more.
function settleFormError() {
  if (S.formError && !Object.keys(S.errors).length) {
    S.formError = null;
    V.formError.hidden = true;
  }
}

// --- tier -------------------------------------------------------------------

function declaredCodes(plan) {
  return (plan.pre_existing_conditions || []).map((c) => c.code).filter((code) => S.conditions[code]);
}

function tierName(plan, code) {
  const tier = byCode(plan.tiers)[code];
  return tier ? pick(tier.name) : code;
}

async function runTierCheck(plan) {
  const declared = declaredCodes(plan);
  const key = declared.join(",");
  S.check = { status: "loading", key: key };
  renderCheck(plan);
  try {
    const res = await post("/api/v1/plans/" + encodeURIComponent(plan.code) + "/tier-check",
      { declared_conditions: declared });
    S.check = { status: "done", key: key, result: res };
  } catch (err) {
    S.check = { status: "error", key: key, err: err };
  }
  if (mounted) renderCheck(plan);
  return S.check;
}

function renderCheck(plan) {
  if (!V) return;
  const c = S.check;
  const button = V.checkButton;
  button.disabled = !!(c && c.status === "loading");
  button.textContent = c && c.status === "loading" ? t("checking") : t("check_submit");
  if (!c) {
    replace(V.checkResult);
  } else if (c.status === "loading") {
    replace(V.checkResult, h("p", { class: "muted", text: t("checking") }));
  } else if (c.status === "error") {
    replace(V.checkResult, errorBox(c.err, () => runTierCheck(plan)));
  } else {
    replace(V.checkResult, h("div", { class: "tier-result", testid: "tier-result" },
      h("p", { class: "tier-result-title" },
        h("strong", { testid: "tier-result-tier", "data-tier": c.result.tier,
          text: t("check_result", { tier: tierName(plan, c.result.tier) }) })),
      h("ul", { class: "reasons", testid: "tier-reasons" },
        (c.result.reasons || []).map((r) => h("li", { text: pick(r) })))));
  }
}

function tierSection(plan) {
  const conditions = plan.pre_existing_conditions || [];
  const examples = conditions.slice(0, 2).map((c) => pick(c.name)).join(getLang() === "zh" ? "、" : ", ");
  const options = (plan.tiers || []).map((tier) => ({
    value: tier.code, label: pick(tier.name),
    hint: TIER_HINTS[tier.code] ? t(TIER_HINTS[tier.code], { examples: examples }) : null,
  }));
  if (conditions.length) options.push({ value: "check", label: t("tier_mode_check"), hint: null });

  V.checkButton = h("button", { type: "button", class: "btn btn-secondary btn-block",
    testid: "tier-check-submit", onclick: () => runTierCheck(plan) }, t("check_submit"));
  V.checkResult = h("div", { class: "check-result", "aria-live": "polite" });
  V.checkBox = h("div", { class: "checklist", testid: "checklist", hidden: S.tierMode !== "check" },
    h("p", { id: "check-q", text: t("check_question") }),
    h("ul", { class: "check-list", "aria-labelledby": "check-q" }, conditions.map((c) => h("li", null,
      h("label", { class: "check-row" },
        h("input", {
          type: "checkbox", value: c.code, testid: "condition-" + c.code, checked: !!S.conditions[c.code],
          onchange: (ev) => {
            S.conditions[c.code] = ev.target.checked;
            S.check = null;
            renderCheck(plan);
            markStale();
          },
        }),
        h("span", { text: pick(c.name) }))))),
    V.checkButton,
    V.checkResult);
  V.tierError = h("p", { class: "field-error", id: "tier-err", hidden: true });
  V.tierBox = h("div", { class: "options", role: "radiogroup", "aria-labelledby": "step-tier",
    "aria-describedby": "tier-err" },
  options.map((o) => h("label", { class: "option" },
    h("input", {
      type: "radio", name: "tier-mode", value: o.value, testid: "tier-" + o.value,
      checked: S.tierMode === o.value,
      onchange: () => {
        S.tierMode = o.value;
        V.checkBox.hidden = o.value !== "check";
        if (S.errors.tier) {
          delete S.errors.tier;
          renderErrors();
        }
        settleFormError();
        markStale();
      },
    }),
    h("span", { class: "option-text" },
      h("strong", { text: o.label }),
      o.hint ? h("small", { text: o.hint }) : null))));
  const section = h("fieldset", { class: "card", testid: "tier-section" },
    h("legend", { class: "card-title", id: "step-tier", text: t("step_tier") }),
    V.tierBox, V.tierError, V.checkBox);
  renderCheck(plan);
  return section;
}

// --- costs ------------------------------------------------------------------

function costsSection(plan) {
  return h("section", { class: "card", testid: "costs-section" },
    h("h2", { class: "card-title", text: t("step_costs") }),
    h("p", { class: "muted", text: t("step_costs_hint") }),
    costLiabilities(plan).map((l) => {
      const a = S.amounts[l.code];
      const other = h("details", {
        class: "other-paid", open: a.otherOpen || a.other !== "",
        ontoggle: (ev) => {
          a.otherOpen = ev.target.open;
        },
      },
      h("summary", { text: t("other_paid_toggle") }),
      moneyField("other:" + l.code, t("other_paid"), a.other, (v) => {
        a.other = v;
      }, "other-" + l.code));
      return h("div", { class: "expense", testid: "expense-" + l.code },
        moneyField("amount:" + l.code, pick(l.name), a.amount, (v) => {
          a.amount = v;
        }, "amount-" + l.code, pick(l.description)),
        other);
    }));
}

// --- special drugs ----------------------------------------------------------

function normalize(text) {
  return String(text || "")
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .toLowerCase()
    .replace(/[\s\-‐–—·・]/g, "");
}

function searchText(d) {
  const parts = [d.code, d.manufacturer];
  ["generic_name", "brand", "indication"].forEach((k) => {
    if (d[k]) parts.push(d[k].zh, d[k].en);
  });
  return normalize(parts.join(" "));
}

// The drugs of a list whose names, brand, indication or code hold every word of `query`.
export function searchDrugs(drugs, query) {
  const terms = String(query || "").split(/[\s,，、]+/).map(normalize).filter(Boolean);
  if (!terms.length) return [];
  return (drugs || []).filter((d) => {
    const hay = searchText(d);
    return terms.every((term) => hay.indexOf(term) >= 0);
  });
}

function matchDrugs(plan, query) {
  return searchDrugs(plan.special_drugs, query);
}

// "阿基仑赛注射液（奕凯达）"
export function drugLabel(d) {
  const brand = pick(d.brand);
  if (!brand) return pick(d.generic_name);
  return getLang() === "zh" ? pick(d.generic_name) + "（" + brand + "）" : pick(d.generic_name) + " (" + brand + ")";
}

function addDrug(plan, code) {
  if (!S.drugs.some((d) => d.code === code)) S.drugs.push({ code: code, amount: "" });
  S.query = "";
  V.search.value = "";
  markStale();
  renderDrugs(plan);
  const f = V.fields["drug:" + code];
  if (f) f.input.focus();
}

function removeDrug(plan, code) {
  S.drugs = S.drugs.filter((d) => d.code !== code);
  delete S.errors["drug:" + code];
  delete V.fields["drug:" + code];
  settleFormError();
  markStale();
  renderDrugs(plan);
  V.search.focus();
}

function renderDrugResults(plan) {
  const found = matchDrugs(plan, S.query);
  if (!S.query.trim()) {
    replace(V.results);
    return;
  }
  if (!found.length) {
    replace(V.results, h("p", { class: "muted", text: t("drug_none") }));
    return;
  }
  replace(V.results,
    h("p", { class: "muted small", text: t("drug_count", { n: found.length }) }),
    h("ul", { class: "drug-options" }, found.slice(0, MAX_DRUG_RESULTS).map((d) => {
      const picked = S.drugs.some((p) => p.code === d.code);
      return h("li", null, h("button", {
        type: "button", class: "drug-option", testid: "drug-option-" + d.code, disabled: picked,
        onclick: () => addDrug(plan, d.code),
      },
      h("span", { class: "drug-option-text" },
        h("strong", { text: pick(d.generic_name) }),
        h("small", { text: [pick(d.brand), pick(d.indication)].filter(Boolean).join(" · ") })),
      h("span", { class: "drug-option-add", text: picked ? t("drug_added") : t("drug_add") })));
    })));
}

function renderPicked(plan) {
  const drugs = byCode(plan.special_drugs);
  Object.keys(V.fields).forEach((key) => {
    if (key.indexOf("drug:") === 0) delete V.fields[key];
  });
  replace(V.picked, S.drugs.map((p) => {
    const d = drugs[p.code];
    return h("li", { class: "picked", testid: "drug-picked-" + p.code },
      h("div", { class: "picked-head" },
        h("strong", { text: d ? drugLabel(d) : p.code }),
        h("button", { type: "button", class: "link-btn", testid: "drug-remove-" + p.code,
          onclick: () => removeDrug(plan, p.code), text: t("drug_remove") })),
      moneyField("drug:" + p.code, t("drug_amount"), p.amount, (v) => {
        p.amount = v;
      }, "drug-amount-" + p.code));
  }));
  Object.keys(V.fields).forEach((key) => {
    if (key.indexOf("drug:") === 0) renderFieldError(key);
  });
}

function renderDrugs(plan) {
  renderDrugResults(plan);
  renderPicked(plan);
}

function drugsSection(plan) {
  const l = drugLiability(plan);
  if (!l) return null;
  const count = (plan.special_drugs || []).length;
  V.results = h("div", { class: "drug-results", testid: "drug-results", "aria-live": "polite" });
  V.picked = h("ul", { class: "picked-list", testid: "drug-picked" });
  V.search = h("input", {
    id: "drug-search", type: "search", class: "input", testid: "drug-search", autocomplete: "off",
    enterkeyhint: "search", value: S.query, placeholder: t("drug_search_placeholder"),
    "aria-describedby": "drug-search-hint",
    oninput: (ev) => {
      S.query = ev.target.value;
      renderDrugResults(plan);
    },
    onkeydown: (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        const found = matchDrugs(plan, S.query).filter((d) => !S.drugs.some((p) => p.code === d.code));
        if (found.length === 1) addDrug(plan, found[0].code);
      }
    },
  });
  const section = h("section", { class: "card", testid: "expense-" + l.code },
    h("h2", { class: "card-title", text: pick(l.name) }),
    l.description ? h("p", { class: "muted", text: pick(l.description) }) : null,
    count ? [
      h("div", { class: "field" },
        h("label", { class: "field-label", for: "drug-search", text: t("drug_search") }),
        V.search,
        h("p", { class: "hint", id: "drug-search-hint", text: t("drug_search_hint", { n: count }) })),
      V.results,
      V.picked,
    ] : h("p", { class: "muted", text: t("drug_none") }));
  renderDrugs(plan);
  return section;
}

// --- year to date -----------------------------------------------------------

function advancedSection(plan) {
  return h("details", {
    class: "card advanced", testid: "advanced", open: S.advancedOpen,
    ontoggle: (ev) => {
      S.advancedOpen = ev.target.open;
    },
  },
  h("summary", { class: "card-title", text: t("advanced") }),
  h("p", { class: "muted", text: t("advanced_hint") }),
  (plan.deductible_groups || []).map((g) => moneyField("ytdDed:" + g.code,
    t("ytd_deductible", { group: pick(g.name) }), S.ytdDed[g.code], (v) => {
      S.ytdDed[g.code] = v;
    }, "ytd-deductible-" + g.code)),
  (plan.liabilities || []).map((l) => moneyField("ytdPaid:" + l.code,
    t("ytd_paid", { name: pick(l.name) }), S.ytdPaid[l.code], (v) => {
      S.ytdPaid[l.code] = v;
    }, "ytd-paid-" + l.code)));
}

// --- submit -----------------------------------------------------------------

// Read every field; returns {errors, expenses, paths (API field -> our field), ytd}.
function collect(plan) {
  const errors = {};
  const expenses = [];
  const paths = {};
  function add(expense, fieldKey, otherKey) {
    const base = "expenses." + expenses.length + ".";
    paths[base + "liability"] = fieldKey;
    paths[base + "amount_fen"] = fieldKey;
    paths[base + "drug_code"] = fieldKey;
    paths[base + "other_paid_fen"] = otherKey || fieldKey;
    expenses.push(expense);
  }
  costLiabilities(plan).forEach((l) => {
    const a = S.amounts[l.code];
    const amountKey = "amount:" + l.code;
    const otherKey = "other:" + l.code;
    const amount = parseYuan(a.amount);
    const other = parseYuan(a.other);
    if (amount.error === "empty" && other.error === "empty") return;
    if (amount.error === "empty") {
      errors[amountKey] = { k: "err_other_without_amount" };
      return;
    }
    if (!amount.ok) errors[amountKey] = { k: PARSE_ERRORS[amount.error] };
    if (!other.ok && other.error !== "empty") errors[otherKey] = { k: PARSE_ERRORS[other.error] };
    else if (amount.ok && other.ok && other.fen > amount.fen) errors[otherKey] = { k: "err_other_gt_amount" };
    if (errors[amountKey] || errors[otherKey]) return;
    const expense = { liability: l.code, amount_fen: amount.fen };
    if (other.ok) expense.other_paid_fen = other.fen;
    add(expense, amountKey, otherKey);
  });
  const dl = drugLiability(plan);
  S.drugs.forEach((d) => {
    const key = "drug:" + d.code;
    const amount = parseYuan(d.amount);
    if (!amount.ok) errors[key] = { k: amount.error === "empty" ? "err_amount_required" : PARSE_ERRORS[amount.error] };
    else if (dl) add({ liability: dl.code, drug_code: d.code, amount_fen: amount.fen }, key);
  });
  const used = {};
  const paid = {};
  let anyYtd = false;
  function ytd(values, target, prefix, apiPrefix) {
    Object.keys(values).forEach((code) => {
      const key = prefix + code;
      const v = parseYuan(values[code]);
      if (v.error === "empty") return;
      if (!v.ok) errors[key] = { k: PARSE_ERRORS[v.error] };
      else {
        target[code] = v.fen;
        paths[apiPrefix + code] = key;
        anyYtd = true;
      }
    });
  }
  ytd(S.ytdDed, used, "ytdDed:", "year_to_date.deductible_used_fen.");
  ytd(S.ytdPaid, paid, "ytdPaid:", "year_to_date.paid_fen.");
  return {
    errors: errors, expenses: expenses, paths: paths,
    ytd: anyYtd ? { deductible_used_fen: used, paid_fen: paid } : null,
  };
}

function setBusy(on) {
  S.busy = on;
  if (!mounted || !V) return;
  V.submit.disabled = on;
  V.submit.textContent = on ? t("submitting") : t("submit");
  V.form.setAttribute("aria-busy", on ? "true" : "false");
}

function renderSubmitError(plan) {
  if (!S.submitError) replace(V.submitError);
  else replace(V.submitError, errorBox(S.submitError, () => submit(plan)));
}

async function submit(plan) {
  if (S.busy) return;
  const c = collect(plan);
  S.errors = c.errors;
  S.formError = null;
  S.submitError = null;
  if (!S.tierMode) S.errors.tier = { k: "err_choose_tier" };
  if (Object.keys(S.errors).length) S.formError = { k: "err_fix_fields" };
  else if (!c.expenses.length) S.formError = { k: "err_no_expense" };
  renderErrors();
  renderSubmitError(plan);
  if (S.formError) {
    focusFirstError();
    return;
  }
  setBusy(true);
  let tier = S.tierMode;
  if (tier === "check") {
    const key = declaredCodes(plan).join(",");
    const check = S.check && S.check.status === "done" && S.check.key === key ? S.check : await runTierCheck(plan);
    if (check.status !== "done") {
      setBusy(false);
      if (mounted) V.checkResult.scrollIntoView({ block: "center" });
      return;
    }
    tier = check.result.tier;
  }
  const body = { tier: tier, expenses: c.expenses };
  if (c.ytd) body.year_to_date = c.ytd;
  try {
    S.result = await post("/api/v1/plans/" + encodeURIComponent(plan.code) + "/estimates", body);
    S.stale = false;
    setBusy(false);
    if (mounted) {
      renderResult(plan);
      V.result.focus();
      V.result.scrollIntoView({ block: "start" });
    }
  } catch (err) {
    const fields = fieldErrors(err);
    Object.keys(fields).forEach((path) => {
      const key = path === "tier" ? "tier" : c.paths[path];
      if (key) S.errors[key] = { raw: fields[path] || t("err_field_rejected") };
    });
    S.submitError = err;
    setBusy(false);
    if (mounted) {
      renderErrors();
      renderSubmitError(plan);
      V.submitError.scrollIntoView({ block: "center" });
    }
  }
}

// --- result -----------------------------------------------------------------

function capKind(line) {
  if (line.cap_applied) return line.cap_applied;
  if (typeof line.capped === "string") return line.capped;
  return line.capped ? "liability" : null;
}

function figure(label, value) {
  return h("div", { class: "figure" }, h("dt", { text: label }), h("dd", { text: value }));
}

// One payout line (shared with the claim screens): what counts, the deductible applied,
// the ratio, the payout, a cap reached and the explanation. `name`: the liability's name.
export function payoutLineView(line, name, testid) {
  const cap = capKind(line);
  const noDeductible = "deductible_group" in line && !line.deductible_group;
  return h("article", { class: "line", testid: testid || "estimate-line-" + line.liability },
    h("h3", { class: "line-head" },
      h("span", { text: name }),
      h("strong", { testid: "line-payout", text: money(line.payout_fen) })),
    h("dl", { class: "figures" },
      figure(t("line_eligible"), money(line.eligible_fen)),
      figure(t("line_deductible"), noDeductible ? t("no_deductible") : money(line.deductible_applied_fen)),
      figure(t("line_ratio"), percent(line.ratio_bp))),
    cap ? h("p", { class: "capped", testid: "line-capped",
      text: t(cap === "overall" ? "capped_overall" : "capped_liability") }) : null,
    h("p", { class: "explanation", testid: "line-explanation", text: pick(line.explanation) }));
}

// The calculation step by step, folded.
export function stepsView(steps, testid) {
  if (!steps || !steps.length) return null;
  return h("details", { class: "steps", testid: testid || "explanations" },
    h("summary", { text: t("steps_title", { n: steps.length }) }),
    h("ol", null, steps.map((s) => h("li", { "data-code": s.code, text: pick(s) }))));
}

function resultView(plan, r) {
  const liabilities = byCode(plan.liabilities);
  const groups = byCode(plan.deductible_groups);
  const drugs = byCode(plan.special_drugs);
  const steps = r.steps || [];
  V.staleNote = h("p", { class: "stale", role: "status", hidden: !S.stale, text: t("result_stale") });
  return [
    h("h2", { class: "card-title", id: "result-title", text: t("result_title") }),
    V.staleNote,
    h("p", { class: "muted", testid: "estimate-tier", "data-tier": r.tier,
      text: t("result_tier", { tier: tierName(plan, r.tier) }) }),
    h("dl", { class: "totals" },
      h("div", { class: "total total-payout" },
        h("dt", { text: t("total_payout") }),
        h("dd", { testid: "estimate-total", text: money(r.total_payout_fen) })),
      h("div", { class: "total" },
        h("dt", { text: t("out_of_pocket") }),
        h("dd", { testid: "estimate-out-of-pocket", text: money(r.out_of_pocket_fen) }))),
    r.summary ? h("p", { class: "summary", testid: "estimate-summary", text: pick(r.summary) }) : null,
    (r.lines || []).map((line) => {
      const l = liabilities[line.liability];
      return payoutLineView(line, l ? pick(l.name) : line.liability);
    }),
    r.not_covered && r.not_covered.length ? h("div", { class: "not-covered", testid: "not-covered" },
      h("h3", { text: t("not_covered_title") }),
      h("ul", null, r.not_covered.map((n) => {
        const d = n.drug_code ? drugs[n.drug_code] : null;
        const l = liabilities[n.liability];
        const what = d ? drugLabel(d) : n.drug_code || (l ? pick(l.name) : n.liability);
        const why = n.reason === "drug_not_on_list" ? t("reason_drug_not_on_list") : t("reason_other");
        return h("li", { text: what + (getLang() === "zh" ? "：" : ": ") + money(n.amount_fen) + " · " + why });
      }))) : null,
    Object.keys(r.deductible_remaining_fen || {}).map((code) => h("p", { class: "muted small",
      text: t("deductible_left", {
        group: groups[code] ? pick(groups[code].name) : code, amount: money(r.deductible_remaining_fen[code]),
      }) })),
    stepsView(steps),
    h("p", { class: "muted small", text: t("disclaimer") }),
  ];
}

function renderResult(plan) {
  if (!S.result) {
    V.result.hidden = true;
    replace(V.result);
    return;
  }
  V.result.hidden = false;
  replace(V.result, resultView(plan, S.result));
}

// --- screen -----------------------------------------------------------------

function draw(outlet, plan) {
  if (!S || S.planCode !== plan.code || S.planVersion !== plan.version) S = freshState(plan);
  V = { fields: {} };
  V.formError = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error", hidden: true });
  V.submitError = h("div", { testid: "submit-error" });
  V.submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large",
    testid: "estimate-submit", text: t("submit") });
  V.result = h("section", { class: "card result", testid: "estimate-result", tabindex: "-1",
    "aria-labelledby": "result-title", hidden: true });
  V.form = h("form", {
    class: "screen", novalidate: true, testid: "estimate-form",
    onsubmit: (ev) => {
      ev.preventDefault();
      submit(plan);
    },
  },
  h("header", { class: "screen-head" },
    h("h1", { class: "screen-title", text: t("est_title") }),
    h("p", { class: "muted", testid: "estimate-plan", text: pick(plan.name) }),
    h("p", { class: "muted small", text: t("est_intro") })),
  tierSection(plan),
  costsSection(plan),
  drugsSection(plan),
  advancedSection(plan),
  V.formError,
  V.submitError,
  V.submit,
  V.result);
  replace(outlet, V.form);
  renderErrors();
  renderSubmitError(plan);
  renderResult(plan);
  setBusy(S.busy);
}

export default {
  titleKey: "est_title",
  render(outlet, route) {
    const code = route.query.plan || null;
    mounted = true;
    let alive = true;
    function load() {
      const cached = cachedPlan(code);
      if (cached) {
        draw(outlet, cached);
        return;
      }
      showLoading(outlet);
      loadPlan(code).then((plan) => alive && draw(outlet, plan),
        (err) => alive && showPlanError(outlet, err, load));
    }
    load();
    return () => {
      alive = false;
      mounted = false;
      V = null;
    };
  },
};
