// A new claim in two steps. (1) Who (a family member holding a policy, and which policy
// when there are several), the claim type of that plan, the treatment dates, the costs
// in yuan per liability (special drugs picked from the plan's list) with a live estimate
// (asked ~400 ms after the last change, nothing stored); "next" saves a draft (POST, or
// PATCH once it exists). (2) The document checklist with the uploads, what is still
// missing, and submit → #/claims/<id>. The address becomes #/claims/new?draft=<id> once
// the draft exists, so a reload (or "continue" from the list) comes back to step 2.
// What was typed lives in `S` (a language switch keeps it); leaving drops it.
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { errorText, fieldErrors, get } from "../api.js";
import { send } from "../account.js";
import { formatDate, money, parseYuan } from "../format.js";
import { go } from "../router.js";
import { card, errorBox, showError, showLoading } from "../ui.js";
import { gateError, personLabel, requireVerified, todayIn } from "../family.js";
import { PARSE_ERRORS, drugLabel, searchDrugs } from "./estimator.js";
import {
  TZ, claimPath, dateRange, documentsPanel, fenToInput, loadOptions, payoutView, refreshClaim,
  setClaimNotice, submitClaim, submitErrorText, watchClaim,
} from "../claims-common.js";

const ESTIMATE_DELAY_MS = 400;
const MAX_DRUG_RESULTS = 8;
const HOSPITAL_MAX = 200;

let S = null;
let mounted = false;

function fresh(draftId) {
  return {
    draftId: draftId || null, claim: null, opts: null, step: draftId ? 2 : 1,
    personId: "", policyId: "", type: "", start: "", end: "", hospital: "",
    amounts: {}, drugs: [], query: "",
    errors: {}, formError: null, busy: false, saveError: null,
    est: null, estKey: "", estBusy: false, estErr: null,
    submitBusy: false, submitErr: null,
  };
}

// --- what is chosen ---------------------------------------------------------------------

function personOf() {
  return ((S.opts && S.opts.persons) || []).filter((p) => p.person_id === S.personId)[0] || null;
}

function policyOf() {
  const person = personOf();
  if (!person) return null;
  const list = person.policies || [];
  if (list.length === 1) return list[0];
  return list.filter((p) => p.policy_id === S.policyId)[0] || null;
}

function planInfo() {
  const policy = policyOf();
  return policy && S.opts.plans ? S.opts.plans[policy.plan_code] || null : null;
}

function typeOf() {
  const info = planInfo();
  return info ? (info.claim_types || []).filter((c) => c.code === S.type)[0] || null : null;
}

function amountOf(code) {
  if (!S.amounts[code]) S.amounts[code] = { amount: "", other: "", otherOpen: false };
  return S.amounts[code];
}

// What a saved claim says, back into the form.
function fillFrom(claim) {
  S.claim = claim;
  S.draftId = claim.id;
  S.personId = claim.person ? claim.person.person_id : "";
  S.policyId = claim.policy_id || "";
  S.type = claim.claim_type;
  S.start = claim.service_start || "";
  S.end = claim.service_end || "";
  S.hospital = claim.hospital || "";
  S.amounts = {};
  S.drugs = [];
  (claim.expenses || []).forEach((e) => {
    if (e.drug_code) S.drugs.push({ code: e.drug_code, amount: fenToInput(e.amount_fen) });
    else {
      S.amounts[e.liability] = { amount: fenToInput(e.amount_fen), other: fenToInput(e.other_paid_fen),
        otherOpen: !!e.other_paid_fen };
    }
  });
}

// --- reading the form -------------------------------------------------------------------

// Every amount of the chosen claim type: {errors, expenses, paths (API field -> our field)}.
function collectExpenses() {
  const errors = {};
  const expenses = [];
  const paths = {};
  const type = typeOf();
  function add(expense, key, otherKey) {
    const base = "expenses." + expenses.length + ".";
    ["liability", "amount_fen", "drug_code"].forEach((f) => {
      paths[base + f] = key;
    });
    paths[base + "other_paid_fen"] = otherKey || key;
    expenses.push(expense);
  }
  (type ? type.liabilities : []).forEach((l) => {
    if (l.drug_list_only) {
      S.drugs.forEach((d) => {
        const key = "drug:" + d.code;
        const v = parseYuan(d.amount);
        if (!v.ok) errors[key] = { k: v.error === "empty" ? "err_amount_required" : PARSE_ERRORS[v.error] };
        else add({ liability: l.code, drug_code: d.code, amount_fen: v.fen }, key);
      });
      return;
    }
    const a = amountOf(l.code);
    const key = "amount:" + l.code;
    const otherKey = "other:" + l.code;
    const amount = parseYuan(a.amount);
    const other = parseYuan(a.other);
    if (amount.error === "empty" && other.error === "empty") return;
    if (amount.error === "empty") {
      errors[key] = { k: "err_other_without_amount" };
      return;
    }
    if (!amount.ok) errors[key] = { k: PARSE_ERRORS[amount.error] };
    if (!other.ok && other.error !== "empty") errors[otherKey] = { k: PARSE_ERRORS[other.error] };
    else if (amount.ok && other.ok && other.fen > amount.fen) errors[otherKey] = { k: "err_other_gt_amount" };
    if (errors[key] || errors[otherKey]) return;
    const expense = { liability: l.code, amount_fen: amount.fen };
    if (other.ok && other.fen > 0) expense.other_paid_fen = other.fen;
    add(expense, key, otherKey);
  });
  return { errors: errors, expenses: expenses, paths: paths };
}

function checkDates(errors) {
  const policy = policyOf();
  const today = todayIn(TZ);
  ["start", "end"].forEach((k) => {
    const v = S[k];
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) errors[k] = { k: "err_date_required" };
    else if (v > today) errors[k] = { k: "err_date_future" };
    else if (policy && (v < policy.coverage_start || v > policy.coverage_end)) {
      errors[k] = { k: "err_date_coverage",
        vars: { from: formatDate(policy.coverage_start), to: formatDate(policy.coverage_end) } };
    }
  });
  if (!errors.start && !errors.end && S.end < S.start) errors.end = { k: "err_date_order" };
}

function message(e) {
  if (!e) return "";
  return e.k ? t(e.k, e.vars) : e.raw || errorText(e.err);
}

export default {
  titleKey: "claim_new_title",
  render(outlet, route) {
    mounted = true;
    let alive = true;
    let V = null;
    let timer = null;
    let estSeq = 0;
    let unwatch = null;
    const draftId = route.query.draft || null;
    if (!S || (draftId || null) !== S.draftId) S = fresh(draftId);

    function show() {
      requireVerified(outlet, "claim_new_title", "/#/claims/new" + (draftId ? "?draft=" + encodeURIComponent(draftId) : ""),
        () => alive, load);
    }

    function load() {
      const state = S;
      if (!state.opts) showLoading(outlet);
      const wantClaim = state.draftId && !state.claim;
      Promise.all([
        state.opts ? Promise.resolve(state.opts) : loadOptions(true),
        wantClaim ? get(claimPath(state.draftId)) : Promise.resolve(null),
      ]).then((got) => {
        if (!alive || S !== state) return;
        state.opts = got[0];
        const claim = got[1];
        if (claim && claim.status !== "draft") {
          S = null;
          go("/claims/" + encodeURIComponent(claim.id));
          return;
        }
        if (claim) fillFrom(claim);
        draw();
      }, (err) => {
        if (!alive || S !== state || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function draw() {
      if (unwatch) unwatch();
      unwatch = null;
      V = { fields: {} };
      if (S.step === 2 && S.claim) drawDocs();
      else drawForm();
    }

    function head(n) {
      return h("header", { class: "screen-head" },
        h("p", { class: "step-label", testid: "step-label", text: t("cf_step", { n: n }) }),
        h("h1", { class: "screen-title", tabindex: "-1", testid: "step-title",
          text: t(n === 1 ? "cf_step1" : "cf_step2") }),
        h("p", { class: "muted", text: t("claim_new_title") }));
    }

    function focusTitle() {
      window.scrollTo(0, 0);
      const title = outlet.querySelector('[data-testid="step-title"]');
      if (title) title.focus();
    }

    // --- step 1: the form -----------------------------------------------------------

    function changed() {
      scheduleEstimate();
    }

    function drawForm() {
      const persons = S.opts.persons || [];
      if (!persons.length) {
        replace(outlet, h("div", { class: "screen", testid: "claim-new", "data-step": "1" },
          head(1),
          card(null, "cf-no-persons",
            h("p", { text: t("cf_no_persons") }),
            h("a", { class: "btn btn-primary btn-block", href: "#/enroll", testid: "cf-enroll", text: t("enroll_now") }))));
        return;
      }
      V.formError = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error", hidden: true });
      V.saveError = h("div", { testid: "save-error" });
      V.next = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large", testid: "cf-next",
        text: t("cf_next") });
      V.typeSlot = h("div");
      V.restSlot = h("div", { class: "screen-part" });
      V.estimate = h("section", { class: "card result claim-estimate", testid: "claim-estimate", "aria-live": "polite",
        "aria-labelledby": "cf-est-title" });
      V.form = h("form", { class: "screen", novalidate: true, testid: "claim-new", "data-step": "1",
        onsubmit: (ev) => {
          ev.preventDefault();
          save();
        } },
      head(1),
      personSection(persons),
      V.typeSlot,
      V.restSlot,
      V.estimate,
      V.formError,
      V.saveError,
      V.next);
      replace(outlet, V.form);
      drawTypeAndRest();
      renderErrors();
      renderSaveError();
      setBusy(S.busy);
      renderEstimate();
      if (!S.est) scheduleEstimate();
    }

    function radioGroup(name, legendId, items, testid) {
      return h("div", { class: "options", role: "radiogroup", "aria-labelledby": legendId,
        "aria-describedby": testid + "-err" }, items);
    }

    function fieldError(key, id) {
      const el = h("p", { class: "field-error", id: id || "err-" + key.replace(/[^\w-]/g, "-"), hidden: true,
        testid: "error-" + key.replace(/[^\w-]/g, "-") });
      V.fields[key] = V.fields[key] || {};
      V.fields[key].err = el;
      return el;
    }

    function personSection(persons) {
      if (S.claim) {
        const person = personOf();
        return card(t("cf_person"), "cf-person",
          h("p", { class: "picked-person", testid: "cf-person-locked",
            text: person ? personLabel(person) : "—" }),
          h("p", { class: "hint", text: t("cf_person_locked") }));
      }
      const person = personOf();
      const policies = person ? person.policies || [] : [];
      return h("fieldset", { class: "card", testid: "cf-person" },
        h("legend", { class: "card-title", id: "cf-person-legend", text: t("cf_person") }),
        h("p", { class: "hint", text: t("cf_person_hint") }),
        radioGroup("person", "cf-person-legend", persons.map((p) => h("label", { class: "option" },
          h("input", { type: "radio", name: "cf-person", value: p.person_id, testid: "person-" + p.person_id,
            checked: S.personId === p.person_id,
            onchange: () => {
              S.personId = p.person_id;
              const list = p.policies || [];
              S.policyId = list.length === 1 ? list[0].policy_id : "";
              if (!typeOf()) S.type = "";
              delete S.errors.person;
              redrawForm();
              changed();
            } }),
          h("span", { class: "option-text" },
            h("strong", { text: personLabel(p) }),
            h("small", { text: (p.policies || []).map((x) => pick(x.plan_name)).join(t("list_sep")) })))),
        "cf-person"),
        fieldError("person", "cf-person-err"),
        policies.length > 1 ? h("div", { class: "sub-choice" },
          h("p", { class: "field-label", id: "cf-policy-legend", text: t("cf_policy") }),
          radioGroup("policy", "cf-policy-legend", policies.map((x) => h("label", { class: "option" },
            h("input", { type: "radio", name: "cf-policy", value: x.policy_id, testid: "policy-" + x.policy_id,
              checked: S.policyId === x.policy_id,
              onchange: () => {
                S.policyId = x.policy_id;
                if (!typeOf()) S.type = "";
                delete S.errors.policy;
                redrawForm();
                changed();
              } }),
            h("span", { class: "option-text" },
              h("strong", { text: pick(x.plan_name) }),
              h("small", { text: x.policy_number }),
              h("small", { text: t("cf_policy_range", { from: formatDate(x.coverage_start),
                to: formatDate(x.coverage_end) }) })))), "cf-policy"),
          fieldError("policy", "cf-policy-err")) : null);
    }

    // Draw the whole form again keeping the focus (a choice changes what follows).
    function redrawForm() {
      const active = document.activeElement;
      const testid = active && active.getAttribute ? active.getAttribute("data-testid") : null;
      draw();
      const again = testid && outlet.querySelector('[data-testid="' + testid + '"]');
      if (again) again.focus();
    }

    function drawTypeAndRest() {
      const info = planInfo();
      if (!info) {
        replace(V.typeSlot);
        replace(V.restSlot);
        return;
      }
      replace(V.typeSlot, h("fieldset", { class: "card", testid: "cf-type" },
        h("legend", { class: "card-title", id: "cf-type-legend", text: t("cf_type") }),
        radioGroup("type", "cf-type-legend", (info.claim_types || []).map((c) => h("label", { class: "option" },
          h("input", { type: "radio", name: "cf-type", value: c.code, testid: "type-" + c.code,
            checked: S.type === c.code,
            onchange: () => {
              S.type = c.code;
              delete S.errors.type;
              redrawForm();
              changed();
            } }),
          h("span", { class: "option-text" },
            h("strong", { text: pick(c.name) }),
            h("small", { text: c.liabilities.map((l) => pick(l.name)).join(t("list_sep")) })))), "cf-type"),
        fieldError("type", "cf-type-err")));
      const type = typeOf();
      replace(V.restSlot, type ? [datesSection(), amountsSection(type, info)] : null);
    }

    // --- dates and hospital ------------------------------------------------------------

    function dateField(key, label) {
      const policy = policyOf();
      const today = todayIn(TZ);
      const max = policy && policy.coverage_end < today ? policy.coverage_end : today;
      const id = "cf-" + key;
      const input = h("input", { id: id, type: "date", class: "input", testid: "service-" + key, value: S[key],
        min: policy ? policy.coverage_start : null, max: max, "aria-describedby": "cf-dates-hint err-" + key,
        onchange: (ev) => {
          S[key] = ev.target.value;
          if (key === "start" && S.start && (!S.end || S.end < S.start)) {
            S.end = S.start; // one day is the usual case
            const end = V.fields.end && V.fields.end.input;
            if (end) end.value = S.end;
          }
          clearError(key);
          if (key === "start") clearError("end");
        } });
      const wrap = h("div", { class: "field" },
        h("label", { class: "field-label", for: id, text: label }),
        input,
        fieldError(key));
      V.fields[key].input = input;
      V.fields[key].wrap = wrap;
      return wrap;
    }

    function datesSection() {
      const policy = policyOf();
      const hospital = h("input", { id: "cf-hospital", type: "text", class: "input", testid: "hospital",
        value: S.hospital, maxlength: String(HOSPITAL_MAX), autocomplete: "off",
        oninput: (ev) => {
          S.hospital = ev.target.value;
        } });
      return h("section", { class: "card", testid: "cf-dates" },
        h("h2", { class: "card-title", text: t("cf_dates") }),
        h("p", { class: "hint", id: "cf-dates-hint" }, t("cf_dates_hint"),
          policy ? " " + t("cf_policy_range", { from: formatDate(policy.coverage_start),
            to: formatDate(policy.coverage_end) }) : null),
        h("div", { class: "date-pair" }, dateField("start", t("cf_start")), dateField("end", t("cf_end"))),
        h("div", { class: "field" },
          h("label", { class: "field-label", for: "cf-hospital", text: t("cf_hospital") }),
          hospital));
    }

    // --- amounts -----------------------------------------------------------------------

    function moneyField(key, label, value, onValue, testid) {
      const id = "cf-" + key.replace(/[^\w-]/g, "-");
      const input = h("input", { id: id, type: "text", inputmode: "decimal", autocomplete: "off",
        enterkeyhint: "done", class: "input", testid: testid, value: value, placeholder: t("amount_placeholder"),
        "aria-describedby": "err-" + key.replace(/[^\w-]/g, "-"),
        oninput: (ev) => {
          onValue(ev.target.value);
          clearError(key);
          changed();
        },
        onblur: (ev) => {
          const parsed = parseYuan(ev.target.value);
          if (!parsed.ok && parsed.error !== "empty") {
            S.errors[key] = { k: PARSE_ERRORS[parsed.error] };
            renderFieldError(key);
          }
        } });
      const wrap = h("div", { class: "field" },
        h("label", { class: "field-label", for: id, text: label }),
        h("div", { class: "input-row" }, input, h("span", { class: "unit", text: t("yuan") })),
        fieldError(key));
      V.fields[key].input = input;
      V.fields[key].wrap = wrap;
      return wrap;
    }

    function amountsSection(type, info) {
      return h("section", { class: "card", testid: "cf-amounts" },
        h("h2", { class: "card-title", text: t("cf_amounts") }),
        h("p", { class: "hint", text: t("cf_amounts_hint") }),
        type.liabilities.map((l) => (l.drug_list_only ? drugsPart(l, info) : costPart(l))));
    }

    function costPart(l) {
      const a = amountOf(l.code);
      return h("div", { class: "expense", testid: "expense-" + l.code },
        moneyField("amount:" + l.code, pick(l.name), a.amount, (v) => {
          a.amount = v;
        }, "amount-" + l.code),
        h("details", { class: "other-paid", open: a.otherOpen || a.other !== "",
          ontoggle: (ev) => {
            a.otherOpen = ev.target.open;
          } },
        h("summary", { testid: "other-toggle-" + l.code, text: t("other_paid_toggle") }),
        moneyField("other:" + l.code, t("other_paid"), a.other, (v) => {
          a.other = v;
        }, "other-" + l.code)));
    }

    function drugsPart(l, info) {
      const drugs = info.special_drugs || [];
      const byCode = {};
      drugs.forEach((d) => {
        byCode[d.code] = d;
      });
      const results = h("div", { class: "drug-results", testid: "drug-results", "aria-live": "polite" });
      const picked = h("ul", { class: "picked-list", testid: "drug-picked" });
      function drawResults() {
        const found = searchDrugs(drugs, S.query);
        if (!S.query.trim()) {
          replace(results);
          return;
        }
        replace(results, found.length ? h("ul", { class: "drug-options" }, found.slice(0, MAX_DRUG_RESULTS).map((d) => {
          const has = S.drugs.some((p) => p.code === d.code);
          return h("li", null, h("button", { type: "button", class: "drug-option", testid: "drug-option-" + d.code,
            disabled: has, onclick: () => addDrug(d.code) },
          h("span", { class: "drug-option-text" },
            h("strong", { text: pick(d.generic_name) }),
            h("small", { text: pick(d.brand) })),
          h("span", { class: "drug-option-add", text: has ? t("drug_added") : t("drug_add") })));
        })) : h("p", { class: "muted", text: t("drug_none") }));
      }
      function drawPicked() {
        Object.keys(V.fields).forEach((k) => {
          if (k.indexOf("drug:") === 0) delete V.fields[k];
        });
        replace(picked, S.drugs.map((p) => h("li", { class: "picked", testid: "drug-picked-" + p.code },
          h("div", { class: "picked-head" },
            h("strong", { text: byCode[p.code] ? drugLabel(byCode[p.code]) : p.code }),
            h("button", { type: "button", class: "link-btn", testid: "drug-remove-" + p.code, text: t("drug_remove"),
              onclick: () => {
                S.drugs = S.drugs.filter((x) => x.code !== p.code);
                delete S.errors["drug:" + p.code];
                drawPicked();
                drawResults();
                changed();
                search.focus();
              } })),
          moneyField("drug:" + p.code, t("drug_amount"), p.amount, (v) => {
            p.amount = v;
          }, "drug-amount-" + p.code))));
        Object.keys(V.fields).forEach((k) => {
          if (k.indexOf("drug:") === 0) renderFieldError(k);
        });
      }
      function addDrug(code) {
        if (!S.drugs.some((d) => d.code === code)) S.drugs.push({ code: code, amount: "" });
        S.query = "";
        search.value = "";
        drawResults();
        drawPicked();
        const f = V.fields["drug:" + code];
        if (f && f.input) f.input.focus();
      }
      const search = h("input", { id: "cf-drug-search", type: "search", class: "input", testid: "drug-search",
        autocomplete: "off", enterkeyhint: "search", value: S.query, placeholder: t("drug_search_placeholder"),
        oninput: (ev) => {
          S.query = ev.target.value;
          drawResults();
        },
        onkeydown: (ev) => {
          if (ev.key !== "Enter") return;
          ev.preventDefault();
          const found = searchDrugs(drugs, S.query).filter((d) => !S.drugs.some((p) => p.code === d.code));
          if (found.length === 1) addDrug(found[0].code);
        } });
      const part = h("div", { class: "expense", testid: "expense-" + l.code },
        h("p", { class: "field-label", text: pick(l.name) }),
        h("div", { class: "field" },
          h("label", { class: "field-label small", for: "cf-drug-search", text: t("drug_search") }),
          search,
          h("p", { class: "hint", text: t("drug_search_hint", { n: drugs.length }) })),
        results,
        picked);
      drawResults();
      drawPicked();
      return part;
    }

    // --- errors ------------------------------------------------------------------------

    function renderFieldError(key) {
      const f = V && V.fields[key];
      if (!f || !f.err) return;
      const e = S.errors[key];
      f.err.textContent = message(e);
      f.err.hidden = !e;
      if (f.wrap) f.wrap.classList.toggle("has-error", !!e);
      if (f.input) {
        if (e) f.input.setAttribute("aria-invalid", "true");
        else f.input.removeAttribute("aria-invalid");
      }
    }

    function renderErrors() {
      Object.keys(V.fields).forEach(renderFieldError);
      if (V.formError) {
        V.formError.textContent = message(S.formError);
        V.formError.hidden = !S.formError;
      }
    }

    function clearError(key) {
      if (!S.errors[key]) return;
      delete S.errors[key];
      renderFieldError(key);
      if (S.formError && !Object.keys(S.errors).length) {
        S.formError = null;
        if (V.formError) V.formError.hidden = true;
      }
    }

    function renderSaveError() {
      if (!V.saveError) return;
      if (!S.saveError) replace(V.saveError);
      else replace(V.saveError, errorBox(S.saveError, () => save()));
    }

    function setBusy(on) {
      S.busy = on;
      if (!V || !V.next) return;
      V.next.disabled = on;
      V.next.textContent = on ? t("cf_saving") : t("cf_next");
      V.form.setAttribute("aria-busy", on ? "true" : "false");
    }

    function focusFirstError() {
      const first = V.form.querySelector('[aria-invalid="true"]');
      if (first) {
        for (let p = first.parentNode; p && p !== V.form; p = p.parentNode) {
          if (p.tagName === "DETAILS") p.open = true;
        }
        first.focus();
        return;
      }
      const err = V.form.querySelector(".field-error:not([hidden])");
      if (err) {
        const group = err.parentNode.querySelector("input");
        if (group) group.focus();
        else err.scrollIntoView({ block: "center" });
        return;
      }
      V.formError.focus();
    }

    // --- the live estimate ---------------------------------------------------------------

    function estimateBody() {
      if (!personOf() || !typeOf()) return null;
      const c = collectExpenses();
      if (Object.keys(c.errors).length || !c.expenses.length) return null;
      return { person_id: S.personId, claim_type: S.type, expenses: c.expenses };
    }

    function scheduleEstimate() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(runEstimate, ESTIMATE_DELAY_MS);
    }

    function runEstimate() {
      timer = null;
      const state = S;
      const body = estimateBody();
      if (!body) {
        estSeq += 1;
        state.est = null;
        state.estKey = "";
        state.estBusy = false;
        state.estErr = null;
        renderEstimate();
        return;
      }
      const key = JSON.stringify(body);
      if (key === state.estKey && (state.est || state.estBusy)) return;
      estSeq += 1;
      const n = estSeq;
      state.estKey = key;
      state.estBusy = true;
      state.estErr = null;
      renderEstimate();
      send("POST", "/api/v1/claims/estimate", body).then((est) => {
        if (S !== state || n !== estSeq) return;
        state.est = est;
        state.estBusy = false;
        renderEstimate();
      }, (err) => {
        if (S !== state || n !== estSeq) return;
        state.est = null;
        state.estKey = "";
        state.estBusy = false;
        state.estErr = err;
        renderEstimate();
      });
    }

    function renderEstimate() {
      if (!mounted || !V || !V.estimate || !V.estimate.isConnected) return;
      const type = typeOf();
      const names = {};
      (type ? type.liabilities : []).forEach((l) => {
        names[l.code] = pick(l.name);
      });
      V.estimate.classList.toggle("is-busy", S.estBusy);
      V.estimate.setAttribute("aria-busy", S.estBusy ? "true" : "false");
      let body;
      if (S.estErr) body = errorBox(S.estErr, () => runEstimate());
      else if (S.est) body = payoutView(S.est, "claim-estimate", names);
      else if (S.estBusy) body = null;
      else body = h("p", { class: "muted", testid: "claim-estimate-wait",
        text: t(type ? "cf_estimate_wait" : "cf_choose_first") });
      replace(V.estimate,
        h("h2", { class: "card-title", id: "cf-est-title", text: t("cf_estimate_title") }),
        S.estBusy ? h("p", { class: "muted small", testid: "claim-estimating", text: t("cf_estimating") }) : null,
        body,
        h("p", { class: "muted small", text: t("cf_estimate_note") }));
    }

    // --- save the draft ---------------------------------------------------------------------

    function save() {
      if (S.busy) return;
      const errors = {};
      if (!S.claim && !personOf()) errors.person = { k: "err_person_required" };
      else if (!policyOf()) errors.policy = { k: "err_policy_required" };
      else if (!typeOf()) errors.type = { k: "err_type_required" };
      let c = { errors: {}, expenses: [], paths: {} };
      if (typeOf()) {
        checkDates(errors);
        c = collectExpenses();
        Object.assign(errors, c.errors);
      }
      S.errors = errors;
      S.saveError = null;
      S.formError = null;
      if (Object.keys(errors).length) S.formError = { k: "err_fix_fields" };
      else if (!c.expenses.length) S.formError = { k: "err_no_expense" };
      renderErrors();
      renderSaveError();
      if (S.formError) {
        focusFirstError();
        return;
      }
      const body = { claim_type: S.type, service_start: S.start, service_end: S.end,
        hospital: S.hospital.trim(), expenses: c.expenses };
      const state = S;
      const request = state.claim
        ? send("PATCH", claimPath(state.claim.id), body)
        : send("POST", "/api/v1/claims", Object.assign({ person_id: S.personId, policy_id: policyOf().policy_id }, body));
      setBusy(true);
      request.then((claim) => {
        if (S !== state) return;
        state.busy = false;
        state.claim = claim;
        state.draftId = claim.id;
        state.step = 2;
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "#/claims/new?draft=" + encodeURIComponent(claim.id));
        }
        if (!alive) return;
        draw();
        focusTitle();
      }, (err) => {
        if (S !== state) return;
        state.busy = false;
        if (!alive) return;
        if (gateError(err, show)) return;
        const fields = fieldErrors(err);
        const direct = { service_start: "start", service_end: "end", claim_type: "type", person_id: "person",
          policy_id: "policy" };
        Object.keys(fields).forEach((path) => {
          const key = direct[path] || c.paths[path];
          if (key) state.errors[key] = { raw: fields[path] || t("err_field_rejected") };
        });
        state.saveError = err;
        setBusy(false);
        renderErrors();
        renderSaveError();
        V.saveError.scrollIntoView({ block: "center" });
      });
    }

    // --- step 2: documents and submit ---------------------------------------------------------

    function drawDocs() {
      const claim = S.claim;
      const person = personOf();
      const type = typeOf();
      V.docs = h("div");
      V.summary = h("div");
      V.submitError = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "submit-error", hidden: true });
      V.submit = h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "claim-submit",
        text: t("submit_claim"), onclick: submit });
      replace(outlet, h("div", { class: "screen", testid: "claim-new", "data-step": "2" },
        head(2),
        h("p", { class: "notice notice-info", role: "status", testid: "cf-draft-saved", text: t("cf_draft_saved") }),
        V.summary,
        V.docs,
        V.submitError,
        V.submit,
        h("button", { type: "button", class: "btn btn-secondary btn-block", testid: "cf-back", text: t("cf_back_edit"),
          onclick: () => {
            S.step = 1;
            S.submitErr = null;
            draw();
            focusTitle();
          } })));
      function fill(c) {
        replace(V.summary, card(null, "cf-summary",
          h("dl", { class: "kv" },
            kv(t("insured_person"), person ? personLabel(person) : (c.person ? personLabel(c.person) : "—"), "cf-summary-person"),
            kv(t("claim_type_label"), type ? pick(type.name) : pick(c.claim_type_name), "cf-summary-type"),
            kv(t("service_dates"), dateRange(c.service_start, c.service_end), "cf-summary-dates"),
            kv(t("claimed_label"), money(c.claimed_fen), "cf-summary-claimed"),
            kv(t("estimate_label"), money(c.estimate_fen), "cf-summary-estimate"))));
        replace(V.docs, documentsPanel(c, true, []));
      }
      fill(claim);
      unwatch = watchClaim(claim.id, (c) => {
        if (S && S.claim && S.claim.id === c.id) S.claim = c;
        if (alive && S && S.step === 2 && V && V.docs && V.docs.isConnected) fill(c);
      });
      renderSubmit();
    }

    function kv(label, value, testid) {
      return h("div", null, h("dt", { text: label }), h("dd", { testid: testid, text: value || "—" }));
    }

    function renderSubmit() {
      if (!V || !V.submit) return;
      V.submit.disabled = S.submitBusy;
      V.submit.textContent = S.submitBusy ? t("submitting_claim") : t("submit_claim");
      V.submitError.textContent = S.submitErr ? submitErrorText(S.claim, S.submitErr) : "";
      V.submitError.hidden = !S.submitErr;
    }

    function submit() {
      if (S.submitBusy) return;
      const state = S;
      const id = state.claim.id;
      state.submitBusy = true;
      state.submitErr = null;
      renderSubmit();
      submitClaim(id).then(() => {
        setClaimNotice(id, "submitted_notice");
        if (S === state) S = null;
        go("/claims/" + encodeURIComponent(id));
      }, (err) => {
        if (S !== state) return;
        state.submitBusy = false;
        state.submitErr = err;
        if (!alive) return;
        if (gateError(err, show)) return;
        if (err.missingKinds) refreshClaim(id);
        renderSubmit();
        V.submitError.focus();
      });
    }

    show();
    return () => {
      alive = false;
      mounted = false;
      if (timer) clearTimeout(timer);
      if (unwatch) unwatch();
      V = null;
      // A language switch draws the screen again at once; leaving it drops what was typed.
      setTimeout(() => {
        if (!mounted) S = null;
      }, 0);
    };
  },
};
