// Enrollment in three steps for the current plan: (1) who to cover, from the family;
// (2) the health declaration of each (every condition answered yes or no, the consent to
// process health data) → tier and reasons from the server; (3) the premiums (quoted by
// the server), the total and the window's countdown; "pay" places the order with an
// Idempotency-Key (the same key when the same order is retried) → #/orders/<id>.
// The answers live in `S` (a language switch keeps them) and are dropped on leaving.
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { ApiError, errorCode, errorText, get, post } from "../api.js";
import { send } from "../account.js";
import { formatDate, money } from "../format.js";
import { cachedPlan, forgetPlan, loadPlan, serverNow } from "../store.js";
import { readPref, writePref } from "../prefs.js";
import { go } from "../router.js";
import { card, errorBox, liveCountdown, showError, showLoading, showPlanError } from "../ui.js";
import {
  gateError, loadPersons, needsGuardian, newKey, personLabel, premiumRuleName, requireVerified,
  tierName, todayIn,
} from "../family.js";

let S = null;
let mounted = false;
let redraw = null;

function fresh() {
  return {
    step: 1, chosen: {}, answers: {}, consent: false, decls: {}, declared: {},
    policies: null, quote: null, quoteErr: null,
    errors: {}, formError: null, busy: false, orderKey: null, lastCode: "",
  };
}

function message(e) {
  if (!e) return "";
  if (e.k) return t(e.k, e.vars);
  return errorText(e.err);
}

// The day cover starts (a child's age then decides the guardian's consent).
function coverStart(plan) {
  const c = plan.coverage || {};
  const today = todayIn(plan.timezone || "Asia/Shanghai", serverNow(plan));
  return c.kind === "fixed" && c.start > today ? c.start : today;
}

// Why a person cannot be chosen, or null.
function blocked(plan, person) {
  if ((plan.relations || []).indexOf(person.relation) < 0) return t("relation_not_allowed");
  const covered = (S.policies || []).some((p) => p.person && p.person.id === person.id
    && p.plan_code === plan.code && p.status !== "cancelled");
  if (covered) return t("already_covered");
  if (needsGuardian(person, coverStart(plan)) && !person.guardian_consent) return t("guardian_missing");
  return null;
}

function answersKey(plan, personId) {
  const a = S.answers[personId] || {};
  return (plan.pre_existing_conditions || []).map((c) => c.code + "=" + a[c.code]).join(",");
}

function unanswered(plan, personId) {
  const a = S.answers[personId] || {};
  return (plan.pre_existing_conditions || []).filter((c) => typeof a[c.code] !== "boolean").length;
}

// Declared (by the server) with the answers now on screen.
function declaredNow(plan, personId) {
  return !!S.decls[personId] && S.declared[personId] === answersKey(plan, personId);
}

export default {
  titleKey: "enroll_title",
  render(outlet) {
    mounted = true;
    let alive = true;
    if (!S) S = fresh();
    let stops = [];

    function stopTimers() {
      stops.forEach((fn) => fn());
      stops = [];
    }

    function show() {
      stopTimers();
      requireVerified(outlet, "enroll_title", "/#/enroll", () => alive, load);
    }

    function load() {
      const plan = cachedPlan(null);
      if (!plan) showLoading(outlet);
      const policies = S.policies ? Promise.resolve(S.policies)
        : get("/api/v1/me/policies").catch(() => []);
      Promise.all([loadPlan(null).catch((err) => ({ planError: err })), loadPersons(), policies])
        .then((got) => {
          if (!alive) return;
          if (got[0] && got[0].planError) {
            showPlanError(outlet, got[0].planError, load);
            return;
          }
          S.policies = got[2];
          draw(got[0], got[1]);
        }, (err) => {
          if (!alive || gateError(err, show)) return;
          showError(outlet, err, load);
        });
    }

    function chosenPersons(persons) {
      return persons.filter((p) => S.chosen[p.id]);
    }

    function stepHead(plan, n, titleKey) {
      return h("header", { class: "screen-head" },
        h("p", { class: "step-label", testid: "step-label", text: t("step_label", { n: n }) }),
        h("h1", { class: "screen-title", tabindex: "-1", testid: "step-title", text: t(titleKey) }),
        h("p", { class: "muted", testid: "enroll-plan", text: pick(plan.name) }));
    }

    function steps(n) {
      return h("ol", { class: "stepper", "aria-hidden": "true" }, [1, 2, 3].map((i) => h("li", {
        class: i === n ? "is-current" : i < n ? "is-done" : null,
      }, h("span", { class: "stepper-dot", text: String(i) }),
      h("span", { class: "stepper-text", text: t("step" + i + "_title") }))));
    }

    function draw(plan, persons) {
      stopTimers();
      if (plan.enrollment.state !== "open") {
        replace(outlet, h("div", { class: "screen", testid: "enroll" },
          card(null, "enroll-closed",
            h("h1", { class: "card-title", text: t("enroll_title") }),
            h("p", { class: "window-status status-" + plan.enrollment.state, text: t("window_" + plan.enrollment.state) }),
            h("p", { text: t("enroll_not_open") }),
            h("a", { class: "btn btn-secondary btn-block", href: "#/", text: t("back_home") }))));
        return;
      }
      // a person chosen earlier may have become impossible (e.g. enrolled meanwhile)
      persons.forEach((p) => {
        if (S.chosen[p.id] && blocked(plan, p)) delete S.chosen[p.id];
      });
      if (S.step > 1 && !chosenPersons(persons).length) S.step = 1;
      if (S.step === 3 && chosenPersons(persons).some((p) => !declaredNow(plan, p.id))) S.step = 2;
      if (S.step === 1) drawChoose(plan, persons);
      else if (S.step === 2) drawDeclare(plan, persons);
      else drawQuote(plan, persons);
    }

    function goStep(n, plan, persons) {
      S.step = n;
      S.errors = {};
      S.formError = null;
      draw(plan, persons);
      window.scrollTo(0, 0);
      const title = outlet.querySelector('[data-testid="step-title"]');
      if (title) title.focus();
    }

    // --- step 1: who ----------------------------------------------------------------

    function drawChoose(plan, persons) {
      const err = h("p", { class: "field-error", id: "choose-err", role: "alert", testid: "error-persons",
        hidden: !S.errors.persons, text: message(S.errors.persons) });
      const list = h("ul", { class: "check-list", "aria-describedby": "choose-err" }, persons.map((p) => {
        const why = blocked(plan, p);
        return h("li", null, h("label", { class: "check-row person-choice" + (why ? " is-blocked" : ""),
          testid: "choose-" + p.id, "data-relation": p.relation },
        h("input", { type: "checkbox", value: p.id, testid: "choose-input-" + p.id, checked: !!S.chosen[p.id],
          disabled: !!why,
          onchange: (ev) => {
            if (ev.target.checked) S.chosen[p.id] = true;
            else delete S.chosen[p.id];
            S.quote = null;
            S.orderKey = null;
            if (S.errors.persons) {
              delete S.errors.persons;
              err.hidden = true;
            }
          } }),
        h("span", { class: "option-text" },
          h("strong", { text: personLabel(p) }),
          h("small", { text: formatDate(p.birth_date) }),
          why ? h("small", { class: "blocked-why", text: why }) : null)));
      }));
      const next = h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "to-declare",
        text: t("next_declare"), onclick: () => {
          if (!chosenPersons(persons).length) {
            S.errors.persons = { k: "err_choose_person" };
            err.textContent = message(S.errors.persons);
            err.hidden = false;
            return;
          }
          goStep(2, plan, persons);
        } });
      replace(outlet, h("div", { class: "screen", testid: "enroll", "data-step": "1" },
        stepHead(plan, 1, "step1_title"), steps(1),
        card(null, "choose",
          persons.length ? h("p", { class: "hint", text: t("choose_hint") }) : h("p", { text: t("no_persons") }),
          list, err,
          h("a", { class: "btn btn-secondary btn-block add-family", href: "#/family", testid: "add-family",
            text: t("add_family_link") })),
        next));
    }

    // --- step 2: health declaration ------------------------------------------------------

    function drawDeclare(plan, persons) {
      const chosen = chosenPersons(persons);
      const conditions = plan.pre_existing_conditions || [];
      const V = { persons: {} };

      function renderPerson(p) {
        const v = V.persons[p.id];
        const left = unanswered(plan, p.id);
        const e = S.errors["p-" + p.id];
        v.err.hidden = !e;
        v.err.textContent = e ? t("err_unanswered", { n: left }) : "";
        const d = S.decls[p.id];
        const stale = !!d && !declaredNow(plan, p.id);
        replace(v.result, d ? h("div", { class: "tier-result" + (d.tier === "pre_existing" ? " tier-pre" : ""),
          testid: "decl-result" },
        stale ? h("p", { class: "stale", text: t("decl_stale") }) : null,
        h("p", { class: "tier-result-title" }, h("strong", { testid: "decl-tier", "data-tier": d.tier,
          text: t("decl_tier", { tier: tierName(plan, d.tier) }) })),
        h("ul", { class: "reasons", testid: "decl-reasons" },
          (d.reasons || []).map((r) => h("li", { text: pick(r) })))) : []);
      }

      function renderActions() {
        const all = chosen.every((p) => declaredNow(plan, p.id));
        V.submit.hidden = all;
        V.next.hidden = !all;
        V.submit.disabled = S.busy;
        V.submit.textContent = t(S.busy ? "sending" : "submit_declarations");
        V.consentErr.hidden = !S.errors.consent;
        V.consentErr.textContent = message(S.errors.consent);
        V.formError.hidden = !S.formError;
        replace(V.formError, S.formError ? message(S.formError) : "");
      }

      function setAnswer(p, code, value) {
        if (!S.answers[p.id]) S.answers[p.id] = {};
        S.answers[p.id][code] = value;
        S.quote = null;
        if (S.errors["p-" + p.id] && !unanswered(plan, p.id)) delete S.errors["p-" + p.id];
        renderPerson(p);
        renderActions();
      }

      function personCard(p) {
        const v = { radios: {} };
        V.persons[p.id] = v;
        v.err = h("p", { class: "field-error", role: "alert", testid: "decl-error", hidden: true });
        v.result = h("div", { class: "check-result", "aria-live": "polite" });
        const rows = conditions.map((c) => {
          const name = "c-" + p.id + "-" + c.code;
          const a = (S.answers[p.id] || {})[c.code];
          const labelId = name + "-l";
          const radio = (value) => h("label", { class: "yn-option" },
            h("input", { type: "radio", name: name, value: value ? "yes" : "no",
              testid: "cond-" + c.code + "-" + (value ? "yes" : "no"), checked: a === value,
              onchange: () => setAnswer(p, c.code, value) }),
            h("span", { text: t(value ? "answer_yes" : "answer_no") }));
          const no = radio(false);
          const yes = radio(true);
          v.radios[c.code] = [no.querySelector("input"), yes.querySelector("input")];
          return h("li", { class: "yn-row", testid: "cond-" + c.code },
            h("span", { class: "yn-name", id: labelId, text: pick(c.name) }),
            h("span", { class: "yn", role: "radiogroup", "aria-labelledby": labelId }, no, yes));
        });
        const allNo = h("button", { type: "button", class: "btn btn-secondary btn-block all-no", testid: "all-no",
          text: t("all_no"), onclick: () => {
            if (!S.answers[p.id]) S.answers[p.id] = {};
            conditions.forEach((c) => {
              S.answers[p.id][c.code] = false;
              v.radios[c.code][0].checked = true;
            });
            S.quote = null;
            delete S.errors["p-" + p.id];
            renderPerson(p);
            renderActions();
          } });
        const el = h("section", { class: "card decl", testid: "decl-" + p.id, "data-relation": p.relation },
          h("h2", { class: "card-title", text: personLabel(p) }),
          h("p", { class: "hint", text: t("decl_intro") }),
          allNo,
          h("ul", { class: "yn-list" }, rows),
          v.err, v.result);
        renderPerson(p);
        return el;
      }

      const consent = h("input", { type: "checkbox", id: "health-consent", testid: "health-consent",
        checked: S.consent, "aria-describedby": "health-consent-err" });
      consent.addEventListener("change", () => {
        S.consent = consent.checked;
        if (S.consent && S.errors.consent) {
          delete S.errors.consent;
          renderActions();
        }
      });
      V.consentErr = h("p", { class: "field-error", id: "health-consent-err", role: "alert",
        testid: "error-health-consent", hidden: true });
      V.formError = h("div", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error", hidden: true });
      V.submit = h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "submit-declarations",
        onclick: () => submitDeclarations(plan, persons, chosen, V, renderPerson, renderActions) });
      V.next = h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "to-quote",
        text: t("next_quote"), onclick: () => goStep(3, plan, persons) });
      const back = h("button", { type: "button", class: "btn btn-secondary btn-block", testid: "back",
        text: t("back"), onclick: () => goStep(1, plan, persons) });
      replace(outlet, h("div", { class: "screen", testid: "enroll", "data-step": "2" },
        stepHead(plan, 2, "step2_title"), steps(2),
        chosen.map(personCard),
        card(null, "health-consent-card",
          h("label", { class: "check-row", for: "health-consent" }, consent,
            h("span", { text: t("health_consent_label") })),
          V.consentErr),
        V.formError, V.submit, V.next, back));
      renderActions();
    }

    async function submitDeclarations(plan, persons, chosen, V, renderPerson, renderActions) {
      if (S.busy) return;
      S.errors = {};
      S.formError = null;
      chosen.forEach((p) => {
        if (unanswered(plan, p.id)) S.errors["p-" + p.id] = true;
      });
      if (!S.consent) S.errors.consent = { k: "err_health_consent" };
      chosen.forEach(renderPerson);
      renderActions();
      const firstBad = chosen.filter((p) => S.errors["p-" + p.id])[0];
      if (firstBad) {
        const open = (plan.pre_existing_conditions || []).filter((c) =>
          typeof (S.answers[firstBad.id] || {})[c.code] !== "boolean")[0];
        if (open) V.persons[firstBad.id].radios[open.code][0].focus();
        return;
      }
      if (S.errors.consent) {
        outlet.querySelector('[data-testid="health-consent"]').focus();
        return;
      }
      S.busy = true;
      renderActions();
      const state = S;
      try {
        for (const p of chosen) {
          if (declaredNow(plan, p.id)) continue;
          const key = answersKey(plan, p.id);
          const answers = {};
          (plan.pre_existing_conditions || []).forEach((c) => {
            answers[c.code] = S.answers[p.id][c.code] === true;
          });
          const d = await send("POST", "/api/v1/me/persons/" + encodeURIComponent(p.id) + "/declarations",
            { plan_code: plan.code, answers: answers, health_consent: true });
          if (S !== state) return;
          S.decls[p.id] = d;
          S.declared[p.id] = key;
          S.quote = null;
          S.orderKey = null;
          if (alive) renderPerson(p);
        }
      } catch (err) {
        if (S !== state) return;
        S.busy = false;
        if (gateError(err, refresh)) return;
        S.formError = { err: err };
        if (alive) {
          renderActions();
          V.formError.focus();
        } else refresh();
        return;
      }
      S.busy = false;
      if (!alive) {
        refresh();
        return;
      }
      renderActions();
      const first = outlet.querySelector('[data-testid="decl-result"]');
      if (first) first.scrollIntoView({ block: "center" });
      V.next.focus();
    }

    // --- step 3: premiums and the order ------------------------------------------------

    function drawQuote(plan, persons) {
      const chosen = chosenPersons(persons);
      const body = h("div", { class: "quote-body", "aria-live": "polite" });
      const problem = h("div", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error", hidden: true });
      const pay = h("button", { type: "button", class: "btn btn-primary btn-block btn-large", testid: "place-order",
        disabled: true, text: t("pay_now", { amount: "" }) });
      const back = h("button", { type: "button", class: "btn btn-secondary btn-block", testid: "back",
        text: t("back"), onclick: () => goStep(2, plan, persons) });
      const closes = Date.parse(plan.enrollment.closes_at);
      const countdown = liveCountdown(closes, () => serverNow(plan), () => {
        forgetPlan(null);
        setTimeout(() => alive && load(), 1500);
      }, null, "enroll-countdown");
      stops.push(countdown.stop);

      function renderProblem() {
        problem.hidden = !S.formError;
        const links = [];
        if (S.formError && S.lastCode === "already_enrolled") {
          links.push(h("a", { href: "#/policies", testid: "see-policies", text: t("policies_title") }));
          const last = readPref("last_order");
          if (last) links.push(h("a", { href: "#/orders/" + encodeURIComponent(last), text: t("pending_order_link") }));
        }
        replace(problem, S.formError ? [h("p", { text: message(S.formError) }),
          links.length ? h("p", { class: "problem-links" }, links) : null] : []);
      }

      function setBusy(busy) {
        S.busy = busy;
        pay.disabled = busy || !S.quote;
        pay.textContent = busy ? t("placing_order") : t("pay_now", { amount: S.quote ? money(S.quote.total_fen) : "" });
      }

      function renderQuote() {
        if (S.quoteErr) {
          replace(body, errorBox(S.quoteErr, fetchQuote));
          setBusy(S.busy);
          return;
        }
        if (!S.quote) {
          replace(body, h("p", { class: "muted", text: t("loading") }));
          setBusy(S.busy);
          return;
        }
        const rows = chosen.map((p, i) => {
          const q = S.quote.people[i] || {};
          const d = S.decls[p.id];
          return h("li", { class: "quote-line", testid: "quote-" + p.id, "data-relation": p.relation },
            h("div", { class: "quote-who" },
              h("strong", { text: personLabel(p) }),
              h("small", { testid: "quote-tier", "data-tier": d ? d.tier : "",
                text: t("decl_tier", { tier: d ? tierName(plan, d.tier) : "—" }) }),
              h("small", { testid: "quote-rule", "data-rule": q.rule || "", text: premiumRuleName(plan, q.rule) })),
            h("strong", { class: "quote-amount", testid: "quote-premium", text: money(q.premium_fen) }));
        });
        replace(body,
          h("ul", { class: "quote-list" }, rows),
          h("p", { class: "quote-total" }, h("span", { text: t("total_label") }),
            h("strong", { testid: "quote-total", text: money(S.quote.total_fen) })),
          h("p", { class: "note", text: t("quote_note") }));
        setBusy(S.busy);
      }

      function fetchQuote() {
        S.quoteErr = null;
        renderQuote();
        const state = S;
        post("/api/v1/plans/" + encodeURIComponent(plan.code) + "/quotes",
          { people: chosen.map((p) => ({ birth_date: p.birth_date })) })
          .then((q) => {
            if (S !== state) return;
            S.quote = q;
            if (alive) renderQuote();
          }, (err) => {
            if (S !== state) return;
            S.quoteErr = err;
            if (alive) renderQuote();
          });
      }

      function placeOrder() {
        if (S.busy || !S.quote) return;
        const ids = chosen.map((p) => p.id);
        const payload = { plan_code: plan.code, persons: ids };
        const fingerprint = JSON.stringify(payload);
        if (!S.orderKey || S.orderKey.body !== fingerprint) S.orderKey = { key: newKey(), body: fingerprint };
        S.formError = null;
        S.lastCode = "";
        renderProblem();
        setBusy(true);
        const state = S;
        send("POST", "/api/v1/orders", payload, { "Idempotency-Key": S.orderKey.key }).then((order) => {
          if (S !== state) return;
          writePref("last_order", order.id);
          S = fresh(); // the health answers are not kept once ordered
          if (mounted) go("/orders/" + encodeURIComponent(order.id));
        }, (err) => {
          if (S !== state) return;
          S.busy = false;
          if (gateError(err, refresh)) return;
          const code = errorCode(err);
          const retryable = !(err instanceof ApiError) || err.kind !== "http" || err.status >= 500
            || code === "idempotency_in_progress";
          if (!retryable) S.orderKey = null; // a refusal: a corrected order is a new one
          if (code === "declaration_required") {
            S.decls = {};
            S.declared = {};
          }
          S.formError = { err: err };
          S.lastCode = code;
          if (code === "window_closed") forgetPlan(null);
          if (!alive) {
            refresh();
            return;
          }
          renderProblem();
          setBusy(false);
          problem.focus();
        });
      }

      pay.addEventListener("click", placeOrder);
      replace(outlet, h("div", { class: "screen", testid: "enroll", "data-step": "3" },
        stepHead(plan, 3, "step3_title"), steps(3),
        h("div", { class: "countdown" },
          h("span", { class: "countdown-label", text: t("countdown_close") }), countdown.el),
        card(null, "quote", body),
        problem, pay, back));
      renderProblem();
      if (S.quote) renderQuote();
      else fetchQuote();
    }

    function refresh() {
      if (redraw) redraw();
    }

    redraw = show;
    show();
    return () => {
      alive = false;
      mounted = false;
      stopTimers();
      if (redraw === show) redraw = null;
      setTimeout(() => {
        if (!mounted) S = null;
      }, 0);
    };
  },
};
