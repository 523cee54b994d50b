// One claim: its status, what the reviewer asked for (with the upload area and
// "submit again"), the decision line by line once approved (paid: when and the bank's
// reference), the reason of a rejection, the time limits (decision due / days left,
// payment due), what was claimed, the documents and the timeline (times in the plan's
// timezone). A draft shows its checklist and uploads, submit and a way back to the form.
// Withdrawing asks first. The claim lives in `C` (a language switch keeps it).
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { get } from "../api.js";
import { send } from "../account.js";
import { money } from "../format.js";
import { card, errorBox, showError, showLoading } from "../ui.js";
import { gateError, personLabel, requireVerified } from "../family.js";
import { drugLabel } from "./estimator.js";
import {
  claimPath, dateRange, documentsPanel, instantDate, instantText, kindNames, loadOptions, payoutView,
  refreshClaim, statusBadge, submitClaim, submitErrorText, takeClaimNotice, watchClaim,
} from "../claims-common.js";

const EDITABLE = ["draft", "need_more_info"];
const DECIDED = ["approved", "paid"];

let C = null;
let mounted = false;

function fresh(id) {
  return { id: id, claim: null, opts: null, notice: null, confirm: false, busy: false, err: null, submitErr: null };
}

// Liability and drug names of the claim's plan (from the claim options), for its expenses.
function names(claim, opts) {
  const out = { liabilities: {}, drugs: {} };
  const plan = opts && opts.plans ? opts.plans[claim.plan_code] : null;
  if (plan) {
    (plan.claim_types || []).forEach((c) => {
      (c.liabilities || []).forEach((l) => {
        out.liabilities[l.code] = pick(l.name);
      });
    });
    (plan.special_drugs || []).forEach((d) => {
      out.drugs[d.code] = drugLabel(d);
    });
  }
  [claim.estimate, claim.decision].forEach((est) => {
    ((est && est.lines) || []).forEach((line) => {
      if (line.liability_name && !out.liabilities[line.liability]) out.liabilities[line.liability] = pick(line.liability_name);
    });
  });
  return out;
}

function kv(label, value, testid) {
  return h("div", null, h("dt", { text: label }), h("dd", { testid: testid }, value || "—"));
}

function daysText(days, overdue) {
  if (overdue) return t("sla_overdue", { n: Math.max(1, -days) });
  if (days >= 1) return t("sla_days_left", { n: days });
  return t("sla_less_than_day");
}

function slaView(claim) {
  const s = claim.sla;
  if (!s || claim.status === "withdrawn") return null;
  const rows = [];
  if (s.decision_state === "running") {
    rows.push(h("li", { class: "sla-row" + (s.decision_overdue ? " is-overdue" : ""), testid: "sla-decision",
      "data-state": s.decision_state },
    h("strong", { text: t("sla_decision_due", { date: instantDate(s.decision_due_at) }) }),
    h("span", { class: "sla-days", testid: "sla-days-left", "data-days": String(s.decision_days_left),
      text: daysText(s.decision_days_left, s.decision_overdue) })));
  } else if (s.decision_state === "paused") {
    rows.push(h("li", { class: "sla-row", testid: "sla-decision", "data-state": s.decision_state,
      text: t("sla_paused", { n: Math.max(0, s.decision_days_left || 0) }) }));
  } else if (s.decision_state === "not_started") {
    rows.push(h("li", { class: "sla-row", testid: "sla-decision", "data-state": s.decision_state,
      text: t("sla_not_started") }));
  } else if (claim.decided_at) {
    rows.push(h("li", { class: "sla-row", testid: "sla-decision", "data-state": s.decision_state,
      text: t("sla_decided", { date: instantDate(claim.decided_at) }) }));
  }
  if (s.payment_state === "running") {
    rows.push(h("li", { class: "sla-row" + (s.payment_overdue ? " is-overdue" : ""), testid: "sla-payment",
      "data-state": s.payment_state },
    h("strong", { text: t("sla_payment_due", { date: instantDate(s.payment_due_at) }) }),
    h("span", { class: "sla-days", testid: "sla-payment-days-left", "data-days": String(s.payment_days_left),
      text: daysText(s.payment_days_left, s.payment_overdue) })));
  } else if (s.payment_state === "stopped" && claim.paid_at) {
    rows.push(h("li", { class: "sla-row is-done", testid: "sla-payment", "data-state": s.payment_state,
      text: t("sla_paid", { date: instantDate(claim.paid_at) }) }));
  }
  if (!rows.length) return null;
  return card(t("sla_title"), "sla", h("ul", { class: "sla-list" }, rows));
}

function timelineView(claim) {
  const list = (claim.timeline || []).slice().sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0));
  if (!list.length) return null;
  return card(t("timeline_title"), "timeline",
    h("ol", { class: "timeline" }, list.map((e, i) => {
      const text = pick(e.text);
      const reason = e.reason ? pick(e.reason) : "";
      return h("li", { class: "timeline-entry" + (i === 0 ? " is-latest" : ""), testid: "timeline-entry",
        "data-action": e.action, "data-to": e.to_status },
      h("time", { class: "timeline-time", datetime: e.at, testid: "timeline-time", text: instantText(e.at) }),
      h("p", { class: "timeline-text", testid: "timeline-text", text: text }),
      reason && text.indexOf(reason) < 0 ? h("p", { class: "muted small", text: reason }) : null);
    })));
}

function expensesView(claim, n) {
  return h("ul", { class: "claim-expenses", testid: "claim-expenses" }, (claim.expenses || []).map((e, i) => {
    const name = e.drug_code ? n.drugs[e.drug_code] || e.drug_code : n.liabilities[e.liability] || e.liability;
    return h("li", { class: "claim-expense", testid: "claim-expense-" + i, "data-liability": e.liability },
      h("span", { class: "claim-expense-name" }, name,
        e.other_paid_fen ? h("small", { class: "muted", text: t("other_paid_short", { amount: money(e.other_paid_fen) }) })
          : null),
      h("strong", { class: "nowrap", text: money(e.amount_fen) }));
  }));
}

export default {
  titleKey: "claim_title",
  render(outlet, route) {
    mounted = true;
    let alive = true;
    const id = route.params.id;
    if (!C || C.id !== id) C = fresh(id);
    const taken = takeClaimNotice(id);
    if (taken) C.notice = taken;
    const unwatch = watchClaim(id, (claim) => {
      if (!C || C.id !== id) return;
      C.claim = claim;
      if (alive) redrawHere();
    });

    function show() {
      requireVerified(outlet, "claim_title", "/#/claims/" + encodeURIComponent(id), () => alive, load);
    }

    function load() {
      const state = C;
      if (state.claim) draw();
      else showLoading(outlet);
      Promise.all([get(claimPath(id)), state.opts ? Promise.resolve(state.opts) : loadOptions().catch(() => null)])
        .then((got) => {
          if (!alive || C !== state) return;
          state.claim = got[0];
          state.opts = got[1];
          draw();
        }, (err) => {
          if (!alive || C !== state || gateError(err, show)) return;
          showError(outlet, err, load);
        });
    }

    function redrawHere() {
      const active = document.activeElement;
      const testid = active && active.getAttribute ? active.getAttribute("data-testid") : null;
      draw();
      const again = testid && outlet.querySelector('[data-testid="' + testid + '"]');
      if (again) again.focus();
    }

    function submitButton(claim) {
      const again = claim.status === "need_more_info";
      const label = again ? t("resubmit") : t("submit_claim");
      const err = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "submit-error",
        hidden: !C.submitErr, text: C.submitErr ? submitErrorText(claim, C.submitErr) : "" });
      const button = h("button", { type: "button", class: "btn btn-primary btn-block btn-large",
        testid: again ? "claim-resubmit" : "claim-submit", disabled: C.busy,
        text: C.busy ? t("submitting_claim") : label,
        onclick: () => {
          if (C.busy) return;
          const state = C;
          state.busy = true;
          state.submitErr = null;
          draw();
          submitClaim(claim.id).then((updated) => {
            if (C !== state) return;
            state.busy = false;
            state.claim = updated;
            state.notice = again ? "resubmitted_notice" : "submitted_notice";
            if (!alive) return;
            draw();
            window.scrollTo(0, 0);
            const note = outlet.querySelector('[data-testid="claim-notice"]');
            if (note) note.focus();
          }, (e) => {
            if (C !== state) return;
            state.busy = false;
            state.submitErr = e;
            if (!alive || gateError(e, show)) return;
            if (e.missingKinds) refreshClaim(claim.id);
            draw();
            const box = outlet.querySelector('[data-testid="submit-error"]');
            if (box) box.focus();
          });
        } });
      return [err, button];
    }

    function infoRequest(claim) {
      const ask = claim.info_request || { kinds: [], note: "" };
      return h("section", { class: "card notice-card info-request", testid: "info-request" },
        h("h2", { class: "card-title", text: t("info_request_title") }),
        ask.note ? h("p", { class: "info-note", testid: "info-request-note",
          text: t("info_request_note", { note: ask.note }) }) : null,
        ask.kinds && ask.kinds.length ? h("p", { testid: "info-request-kinds",
          text: t("info_request_kinds", { names: kindNames(claim, ask.kinds) }) }) : null);
    }

    function decisionView(claim, n) {
      if (DECIDED.indexOf(claim.status) < 0 || !claim.decision) return null;
      return h("section", { class: "card result decision", testid: "decision" },
        h("h2", { class: "card-title", text: t("decision_title") }),
        payoutView(claim.decision, "decision", n.liabilities),
        claim.status === "paid" ? h("dl", { class: "kv paid-facts" },
          kv(t("paid_at"), instantText(claim.paid_at), "paid-at"),
          claim.bank_reference ? kv(t("bank_reference"), claim.bank_reference, "bank-reference") : null) : null);
    }

    function rejectView(claim) {
      if (claim.status !== "rejected") return null;
      const r = claim.reject_reason;
      return h("section", { class: "card notice-card reject", testid: "reject" },
        h("h2", { class: "card-title", text: t("reject_title") }),
        h("p", { testid: "reject-reason", "data-code": r ? r.code : "", text: r ? pick(r.text) : "—" }));
    }

    function summary(claim, n) {
      const person = claim.person;
      const decided = DECIDED.indexOf(claim.status) >= 0 || ["rejected", "withdrawn"].indexOf(claim.status) >= 0;
      return card(t("summary_title"), "claim-summary",
        h("dl", { class: "kv" },
          kv(t("claim_number"), claim.claim_number, "claim-number"),
          kv(t("claim_type_label"), pick(claim.claim_type_name) || claim.claim_type, "claim-type"),
          kv(t("insured_person"), person ? personLabel(person) : "—", "claim-person"),
          kv(t("service_dates"), dateRange(claim.service_start, claim.service_end), "claim-dates"),
          claim.hospital ? kv(t("hospital_label"), claim.hospital, "claim-hospital") : null,
          claim.submitted_at ? kv(t("submitted_at"), instantText(claim.submitted_at), "claim-submitted-at") : null),
        h("h3", { class: "sub-title", text: t("expenses_title") }),
        expensesView(claim, n),
        h("p", { class: "quote-total" }, h("span", { text: t("claimed_label") }),
          h("strong", { testid: "claim-claimed", text: money(claim.claimed_fen) })),
        !decided && claim.estimate ? h("details", { class: "steps filing-estimate", testid: "filing-estimate" },
          h("summary", null, t("estimate_at_filing") + " " + money(claim.estimate_fen)),
          payoutView(claim.estimate, "filing-estimate", n.liabilities)) : null);
    }

    function withdrawPart(claim) {
      if ((claim.allowed_actions || []).indexOf("withdraw") < 0) return null;
      if (!C.confirm) {
        return h("button", { type: "button", class: "btn btn-secondary btn-block logout", testid: "claim-withdraw",
          text: t("withdraw"), onclick: () => {
            C.confirm = true;
            C.err = null;
            draw();
            const yes = outlet.querySelector('[data-testid="withdraw-confirm"]');
            if (yes) yes.focus();
          } });
      }
      return h("section", { class: "card notice-card withdraw-box", testid: "withdraw-box", role: "alertdialog",
        "aria-labelledby": "withdraw-q" },
      h("p", { id: "withdraw-q", text: t("withdraw_confirm_text") }),
      C.err ? errorBox(C.err) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn btn-primary btn-block btn-danger", testid: "withdraw-confirm",
          disabled: C.busy, text: C.busy ? t("withdrawing") : t("withdraw_confirm"),
          onclick: () => {
            if (C.busy) return;
            const state = C;
            state.busy = true;
            state.err = null;
            draw();
            send("POST", claimPath(claim.id) + "/withdraw").then((updated) => {
              if (C !== state) return;
              state.busy = false;
              state.confirm = false;
              state.claim = updated;
              state.notice = "withdrawn_notice";
              if (!alive) return;
              draw();
              window.scrollTo(0, 0);
            }, (err) => {
              if (C !== state) return;
              state.busy = false;
              state.err = err;
              if (alive && !gateError(err, show)) draw();
            });
          } }),
        h("button", { type: "button", class: "btn btn-secondary btn-block", testid: "withdraw-cancel",
          text: t("cancel"), onclick: () => {
            C.confirm = false;
            C.err = null;
            draw();
            const again = outlet.querySelector('[data-testid="claim-withdraw"]');
            if (again) again.focus();
          } })));
    }

    function draw() {
      const claim = C.claim;
      const n = names(claim, C.opts);
      const editable = EDITABLE.indexOf(claim.status) >= 0;
      const asked = claim.status === "need_more_info" && claim.info_request ? claim.info_request.kinds || [] : [];
      const requests = (claim.timeline || []).filter((e) => e.action === "request_info")
        .map((e) => e.at).sort((a, b) => (Date.parse(a) || 0) - (Date.parse(b) || 0));
      const since = requests.length ? requests[requests.length - 1] : null;
      const hasDocs = (claim.documents || []).length > 0;
      replace(outlet, h("div", { class: "screen", testid: "claim", "data-status": claim.status },
        h("header", { class: "screen-head order-head" },
          h("div", { class: "claim-head-text" },
            h("h1", { class: "screen-title", text: pick(claim.claim_type_name) || t("claim_title") }),
            h("p", { class: "muted small", testid: "claim-head-number",
              text: t("claim_number") + " " + claim.claim_number })),
          statusBadge(claim)),
        C.notice ? h("p", { class: "notice notice-ok", role: "status", tabindex: "-1", testid: "claim-notice",
          text: t(C.notice) }) : null,
        claim.status === "need_more_info" ? infoRequest(claim) : null,
        decisionView(claim, n),
        rejectView(claim),
        slaView(claim),
        editable ? [
          documentsPanel(claim, true, asked, since),
          submitButton(claim),
          claim.status === "draft" ? h("a", { class: "btn btn-secondary btn-block", testid: "claim-edit",
            href: "#/claims/new?draft=" + encodeURIComponent(claim.id), text: t("edit_claim") }) : null,
        ] : null,
        summary(claim, n),
        !editable && hasDocs ? documentsPanel(claim, false, []) : null,
        timelineView(claim),
        withdrawPart(claim),
        h("a", { class: "btn btn-secondary btn-block", href: "#/claims", testid: "back-to-claims",
          text: t("back_to_claims") })));
    }

    show();
    return () => {
      alive = false;
      mounted = false;
      unwatch();
      setTimeout(() => {
        if (!mounted) C = null;
      }, 0);
    };
  },
};

