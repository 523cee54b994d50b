// One claim for review: person, plan, dates, hospital, the member's expenses and
// estimate, the year to date, SLA clocks, documents (thumbnails, viewer, PDF downloads,
// duplicates), timeline and decision; and the actions: start review, ask for documents,
// approve with verified amounts (the engine's result shown), reject, mark paid (admins).
import { h, replace } from "../../js/dom.js";
import { errorText, fieldErrors } from "../../js/api.js";
import { pick, t } from "../../js/i18n.js";
import { fenToYuan, parseYuan, percent } from "../../js/format.js";
import { hasRole, staffGet, staffWrite } from "./session.js";
import {
  card, errorBox, facts, field, formatDay, formatInstant, isRedraw, loadPlanDetail, moneyText,
  nameOr, namesOf, notice, relationName, serviceRange, showLoading, slaChip, statusBadge, tierName,
} from "./common.js";
import { closeViewer, openViewer } from "./viewer.js";

const API = "/api/v1/staff/claims/";
// the staff actions, by the status they start from (app/claims/workflow.py)
const STAFF_ACTIONS = {
  submitted: ["start_review"],
  under_review: ["request_info", "approve", "reject"],
  approved: ["mark_paid"],
};
const ACTION_PATHS = {
  start_review: "start-review",
  request_info: "request-info",
  approve: "approve",
  reject: "reject",
  mark_paid: "mark-paid",
};
const ACTION_LABELS = {
  start_review: "s_start_review",
  request_info: "s_request_info",
  approve: "s_approve",
  reject: "s_reject",
  mark_paid: "s_mark_paid",
};
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

let cache = null; // {id, claim, names, reasons}: drawn again after a language switch
let reasonsPromise = null;

function loadReasons() {
  if (!reasonsPromise) {
    reasonsPromise = staffGet("/api/v1/staff/reject-reasons").catch((err) => {
      reasonsPromise = null;
      throw err;
    });
  }
  return reasonsPromise;
}

function fenToInput(fen) {
  return typeof fen === "number" ? fenToYuan(fen).replace(/,/g, "") : "";
}

function isImage(doc) {
  return IMAGE_TYPES.indexOf(doc.content_type) >= 0;
}

function sizeText(bytes) {
  if (typeof bytes !== "number") return "";
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KB";
  return (bytes / 1024 / 1024).toFixed(1) + " MB";
}

// Which staff actions the console offers: the workflow's from this status, as the API
// allows them (`allowed_actions`); marking paid only for admins.
export function staffActions(claim) {
  let actions = STAFF_ACTIONS[claim.status] || [];
  if (Array.isArray(claim.allowed_actions)) {
    actions = actions.filter((a) => claim.allowed_actions.indexOf(a) >= 0);
  }
  return actions.filter((a) => a !== "mark_paid" || hasRole("admin"));
}

// --- the engine's result: lines with explanations, total ------------------------------------

function expenseLabel(item, names) {
  const base = nameOr(names.liabilities, item.liability);
  return item.drug_code ? base + " · " + nameOr(names.drugs, item.drug_code) : base;
}

function linesList(lines, names, testid) {
  return h("ul", { class: "result-list" }, lines.map((line) => h("li", { testid: testid + "-line",
    "data-liability": line.liability },
    h("div", { class: "result-line-head" },
      h("span", { text: pick(line.liability_name) || nameOr(names.liabilities, line.liability) }),
      h("strong", { testid: testid + "-line-payout", text: moneyText(line.payout_fen) })),
    line.capped ? h("span", { class: "chip chip-warn", text: t("s_capped") }) : null,
    h("p", { class: "explain small muted", testid: testid + "-explanation", text: pick(line.explanation) }))));
}

// testid: the prefix of the testids ("decision" → decision-view, decision-line, decision-total…);
// compact: lines as a list (the narrow action column) instead of a table.
function resultView(result, names, testid, totalKey, compact) {
  if (!result) return null;
  const lines = result.lines || [];
  return h("div", { class: "result", testid: testid + "-view" },
    lines.length && compact ? linesList(lines, names, testid) : null,
    lines.length && !compact ? h("div", { class: "table-wrap" }, h("table", { class: "table lines" },
      h("thead", null, h("tr", null,
        ["s_liability", "s_line_eligible", "s_line_deductible", "s_line_ratio", "s_line_payout"]
          .map((k) => h("th", { scope: "col", text: t(k) })))),
      h("tbody", null, lines.map((line) => [
        h("tr", { testid: testid + "-line", "data-liability": line.liability },
          h("th", { scope: "row" }, pick(line.liability_name) || nameOr(names.liabilities, line.liability)),
          h("td", { class: "num" }, moneyText(line.eligible_fen)),
          h("td", { class: "num" }, moneyText(line.deductible_applied_fen)),
          h("td", { class: "num" }, percent(line.ratio_bp)),
          h("td", { class: "num strong", testid: testid + "-line-payout" }, moneyText(line.payout_fen),
            line.capped ? h("span", { class: "chip chip-warn", text: t("s_capped") }) : null)),
        h("tr", { class: "explain-row" }, h("td", { colspan: "5", class: "explain",
          testid: testid + "-explanation" }, pick(line.explanation))),
      ])))) : null,
    (result.not_covered || []).length ? h("div", { class: "not-covered" },
      h("h3", { text: t("s_not_covered") }),
      h("ul", null, result.not_covered.map((item) => h("li", null,
        expenseLabel(item, names) + " · " + moneyText(item.amount_fen)
        + (item.reason ? " · " + (typeof item.reason === "string" ? item.reason : pick(item.reason)) : ""))))) : null,
    h("dl", { class: "totals" },
      h("dt", { text: t(totalKey || "s_decision_total") }),
      h("dd", { class: "total", testid: testid + "-total" }, moneyText(result.total_payout_fen)),
      typeof result.out_of_pocket_fen === "number" ? [
        h("dt", { text: t("s_out_of_pocket") }),
        h("dd", null, moneyText(result.out_of_pocket_fen))] : null),
    result.summary ? h("p", { class: "muted", testid: testid + "-summary", text: pick(result.summary) }) : null);
}

// --- sections -------------------------------------------------------------------------------

function header(claim) {
  return h("header", { class: "screen-head claim-head" },
    h("a", { href: "#/queue", class: "back", testid: "back-queue", text: "← " + t("s_back_queue") }),
    h("h1", { class: "screen-title" },
      h("span", { text: t("s_claim_title", { number: "" }).trim() + " " }),
      h("span", { class: "mono", testid: "claim-number", text: claim.claim_number })),
    h("div", { class: "head-badges" },
      statusBadge(claim.status, claim.status_name, "claim-status"),
      claim.duplicate_flag ? h("span", { class: "chip chip-danger", testid: "claim-duplicate",
        text: t("s_duplicate_short") }) : null));
}

function duplicateLinks(list) {
  return h("span", { class: "dup-links" }, list.map((d, i) => [
    i ? "、" : null,
    h("a", { href: "#/claims/" + encodeURIComponent(d.claim_id), testid: "duplicate-link", class: "mono",
      text: d.claim_number }),
  ]));
}

function duplicateWarning(claim) {
  const docs = (claim.documents || []).filter((d) => (d.duplicate_of || []).length);
  if (!claim.duplicate_flag && !docs.length) return null;
  return h("div", { class: "notice notice-error", role: "alert", testid: "duplicate-warning" },
    h("strong", { text: t("s_dup_warning") }),
    docs.length ? h("ul", null, docs.map((d) => h("li", null,
      pick(d.kind_name) + "（" + d.filename + "）" + t("s_dup_of"), duplicateLinks(d.duplicate_of)))) : null);
}

function personCard(claim) {
  const p = claim.person || {};
  return card(t("s_person"), "card-person", facts([
    [t("s_name"), p.name || p.name_masked, "person-name"],
    [t("s_id_number"), p.id_number_masked ? h("span", { class: "mono", text: p.id_number_masked }) : null,
      "person-id"],
    [t("s_relation"), relationName(p.relation), "person-relation"],
    p.birth_date ? [t("s_birth_date"), formatDay(p.birth_date)] : null,
    [t("s_tier"), tierName(p.tier), "person-tier"],
  ]));
}

function claimCard(claim, names) {
  const info = claim.info_request;
  const planName = names.plan ? pick(names.plan) + " (" + claim.plan_code + ")" : claim.plan_code;
  return card(t("s_claim_info"), "card-claim", facts([
    [t("s_plan"), planName, "claim-plan"],
    [t("s_claim_type"), pick(claim.claim_type_name) || nameOr(names.claimTypes, claim.claim_type), "claim-type"],
    [t("s_service_dates"), serviceRange(claim.service_start, claim.service_end), "claim-service"],
    [t("s_hospital"), claim.hospital, "claim-hospital"],
    [t("s_submitted_at"), claim.submitted_at ? formatInstant(claim.submitted_at) : null],
    claim.decided_at ? [t("s_decided_at"), formatInstant(claim.decided_at)] : null,
    claim.paid_at ? [t("s_paid_at"), formatInstant(claim.paid_at)] : null,
    claim.bank_reference ? [t("s_bank_reference"), h("span", { class: "mono", text: claim.bank_reference }),
      "claim-bank-reference"] : null,
    claim.reject_reason ? [t("s_reject_reason"), pick(claim.reject_reason.text) || claim.reject_reason.code,
      "claim-reject-reason"] : null,
    info && claim.status === "need_more_info" ? [t("s_info_request"), kindNames(claim, info.kinds || []).join("、")
      + (info.note ? " — " + info.note : ""), "claim-info-request"] : null,
  ]));
}

function kindNames(claim, kinds) {
  const byKind = {};
  (claim.checklist || []).forEach((c) => { byKind[c.kind] = pick(c.name); });
  return kinds.map((k) => byKind[k] || k);
}

function expensesTable(expenses, names, testid) {
  return h("div", { class: "table-wrap" }, h("table", { class: "table", testid: testid },
    h("thead", null, h("tr", null, ["s_liability", "s_amount", "s_other_paid"]
      .map((k) => h("th", { scope: "col", text: t(k) })))),
    h("tbody", null, (expenses || []).map((item) => h("tr", { testid: testid + "-row" },
      h("th", { scope: "row", text: expenseLabel(item, names) }),
      h("td", { class: "num", text: moneyText(item.amount_fen) }),
      h("td", { class: "num", text: moneyText(item.other_paid_fen || 0) }))))));
}

function expensesCard(claim, names) {
  const estimate = claim.member_estimate || claim.estimate;
  return card(t("s_expenses"), "card-expenses",
    expensesTable(claim.expenses, names, "expenses"),
    h("dl", { class: "totals" },
      h("dt", { text: t("s_claimed_total") }),
      h("dd", { testid: "claimed-total", text: moneyText(claim.claimed_fen) }),
      h("dt", { text: t("s_estimate_total") }),
      h("dd", { testid: "estimate-total", text: moneyText(estimate ? estimate.total_payout_fen : claim.estimate_fen) })),
    estimate ? h("details", { class: "more", testid: "member-estimate" },
      h("summary", { text: t("s_estimate_breakdown") }),
      resultView(estimate, names, "member-estimate", "s_estimate_total")) : null);
}

function ytdCard(claim, names) {
  const ytd = claim.year_to_date || {};
  const ded = ytd.deductible_used || {};
  const paid = ytd.paid || {};
  const rows = [];
  Object.keys(ded).forEach((g) => {
    rows.push([t("s_ytd_deductible") + " · " + nameOr(names.groups, g), moneyText(ded[g])]);
  });
  Object.keys(paid).forEach((l) => {
    rows.push([t("s_ytd_paid") + " · " + nameOr(names.liabilities, l), moneyText(paid[l])]);
  });
  rows.push([t("s_ytd_overall"), moneyText(ytd.overall_paid_fen || 0), "ytd-overall"]);
  return card(t("s_ytd"), "card-ytd", facts(rows, "ytd"));
}

function slaCard(claim) {
  const sla = claim.sla || {};
  return card(t("s_sla"), "card-sla", facts([
    [t("s_sla_decision"), h("span", null, slaChip(sla, "decision", "sla-decision"),
      sla.decision_due_at ? h("span", { class: "muted small", text: " " + t("s_sla_due_at",
        { at: formatInstant(sla.decision_due_at) }) }) : null)],
    [t("s_sla_payment"), h("span", null, slaChip(sla, "payment", "sla-payment"),
      sla.payment_due_at ? h("span", { class: "muted small", text: " " + t("s_sla_due_at",
        { at: formatInstant(sla.payment_due_at) }) }) : null)],
  ]));
}

// Thumbnails load one after another, each retried twice after a pause: every file read
// is audited (a write), and a burst of parallel writes is what a small database (SQLite
// in development) answers with "busy".
const thumbQueue = [];
let thumbBusy = false;

// The images are kept while the same claim is on screen: redrawing it (a form opened,
// an action done, the language switched) moves them instead of fetching them again.
let thumbs = new Map();

function forgetThumbs() {
  thumbs = new Map();
  thumbQueue.length = 0;
}

function forgetThumb(img) {
  const url = img.getAttribute("data-src");
  if (thumbs.get(url) === img) thumbs.delete(url);
}

function thumbImage(url) {
  if (thumbs.has(url)) return thumbs.get(url);
  const img = h("img", { alt: "", testid: "doc-thumb-img", "data-src": url });
  thumbs.set(url, img);
  thumbQueue.push({ img: img, tries: 0 });
  setTimeout(nextThumb, 0);
  return img;
}

function nextThumb() {
  if (thumbBusy) return;
  const job = thumbQueue.shift();
  if (!job) return;
  if (!job.img.isConnected) { // no longer on screen: skip it (a later draw asks again)
    forgetThumb(job.img);
    nextThumb();
    return;
  }
  thumbBusy = true;
  const done = (ok) => {
    job.img.onload = null;
    job.img.onerror = null;
    thumbBusy = false;
    if (!ok && job.tries < 2 && job.img.isConnected) {
      job.tries += 1;
      setTimeout(() => { thumbQueue.unshift(job); nextThumb(); }, 400 * job.tries);
      return;
    }
    if (!ok) forgetThumb(job.img);
    nextThumb();
  };
  job.img.onload = () => done(true);
  job.img.onerror = () => done(false);
  job.img.removeAttribute("src");
  job.img.src = job.img.getAttribute("data-src");
}

function documentTile(claim, doc, images) {
  const dup = doc.duplicate_of || [];
  const caption = h("div", { class: "doc-caption" },
    h("strong", { text: pick(doc.kind_name) || doc.kind }),
    h("span", { class: "small muted doc-file", text: doc.filename }),
    h("span", { class: "small muted", text: [
      isImage(doc) && doc.width ? doc.width + "×" + doc.height : null,
      doc.content_type === "application/pdf" ? (doc.pages ? t("s_pdf_pages", { n: doc.pages }) : t("s_pdf")) : null,
      sizeText(doc.size_bytes),
      formatInstant(doc.uploaded_at),
      doc.uploaded_by === "staff" ? t("s_uploaded_by_staff") : null,
    ].filter(Boolean).join(" · ") }),
    dup.length ? h("span", { class: "doc-dup", testid: "doc-duplicate" },
      h("span", { class: "chip chip-danger", text: t("s_duplicate_short") }), " ", t("s_dup_of"), " ",
      duplicateLinks(dup)) : null);
  let thumb;
  if (isImage(doc)) {
    const index = images.indexOf(doc);
    thumb = h("button", { type: "button", class: "doc-thumb", testid: "doc-thumb", "data-doc-id": doc.id,
      "aria-label": t("s_open_doc", { name: pick(doc.kind_name) + " " + doc.filename }),
      onclick: () => openViewer(images, index) },
      doc.thumbnail_url ? thumbImage(doc.thumbnail_url) : h("span", { class: "doc-icon", text: "IMG" }));
  } else {
    // PDFs are served as attachments: a download link
    thumb = h("a", { class: "doc-thumb doc-pdf", href: doc.url, download: doc.filename || true,
      testid: "doc-download", "data-doc-id": doc.id,
      "aria-label": t("s_download") + " " + (pick(doc.kind_name) + " " + doc.filename) },
      doc.thumbnail_url ? thumbImage(doc.thumbnail_url) : h("span", { class: "doc-icon", text: "PDF" }),
      h("span", { class: "doc-download-label", text: t("s_download") }));
  }
  return h("li", { class: "doc" + (dup.length ? " doc-duplicated" : ""), testid: "doc", "data-doc-id": doc.id,
    "data-kind": doc.kind }, thumb, caption);
}

function documentsCard(claim) {
  const docs = claim.documents || [];
  const images = docs.filter(isImage);
  const missing = claim.missing || [];
  const checklist = h("ul", { class: "checklist", testid: "checklist" },
    (claim.checklist || []).map((item) => h("li", {
      class: missing.indexOf(item.kind) >= 0 ? "missing" : (item.count ? "present" : null),
      testid: "checklist-item", "data-kind": item.kind },
      h("span", { text: pick(item.name) }),
      h("span", { class: "small muted", text: " · " + t(item.required ? "s_required" : "s_optional") }),
      h("span", { class: "chip " + (item.count ? "chip-ok" : (missing.indexOf(item.kind) >= 0 ? "chip-danger" : "chip-muted")),
        text: missing.indexOf(item.kind) >= 0 ? t("s_missing") : t("s_doc_count", { n: item.count || 0 }) }))));
  return card(t("s_documents"), "card-documents",
    h("h3", { class: "sub", text: t("s_checklist") }), checklist,
    docs.length
      ? h("ul", { class: "docs", testid: "documents" }, docs.map((d) => documentTile(claim, d, images)))
      : h("p", { class: "muted", testid: "documents-none", text: t("s_documents_none") }));
}

function timelineCard(claim) {
  const items = claim.timeline || [];
  return card(t("s_timeline"), "card-timeline", items.length
    ? h("ol", { class: "timeline", testid: "timeline" }, items.map((e) => h("li", { testid: "timeline-entry",
      "data-action": e.action },
      h("time", { datetime: e.at, text: formatInstant(e.at) }),
      h("span", { class: "tl-text", text: pick(e.text) }),
      e.reason ? h("span", { class: "tl-reason", text: pick(e.reason) }) : null)))
    : h("p", { class: "muted", text: t("s_timeline_none") }));
}

function decisionCard(claim, names) {
  if (!claim.decision) return null;
  return card(t("s_decision"), "card-decision",
    claim.verified_expenses ? [h("h3", { class: "sub", text: t("s_verified_expenses") }),
      expensesTable(claim.verified_expenses, names, "verified")] : null,
    resultView(claim.decision, names, "decision"));
}

// --- the actions ------------------------------------------------------------------------------

function requestInfoForm(ctx) {
  const claim = ctx.claim;
  const missing = claim.missing || [];
  const boxes = (claim.checklist || []).map((item) => {
    const box = h("input", { type: "checkbox", value: item.kind, testid: "ri-kind-" + item.kind,
      checked: missing.indexOf(item.kind) >= 0 });
    return { kind: item.kind, box: box, el: h("label", { class: "check" }, box,
      h("span", { text: pick(item.name) }),
      h("span", { class: "small muted", text: " · " + (item.count
        ? t("s_doc_count", { n: item.count }) : t("s_missing")) })) };
  });
  const kindsErr = h("p", { class: "field-error", role: "alert", hidden: true, testid: "ri-kinds-error" });
  const note = field(t("s_ri_note"), h("textarea", { rows: "3", maxlength: "500", testid: "ri-note" }),
    t("s_ri_note_hint"));
  return actionForm(ctx, "request_info", "s_ri_title", "s_ri_intro", [
    h("fieldset", { class: "fieldset" }, h("legend", { text: t("s_ri_kinds") }), boxes.map((b) => b.el), kindsErr),
    note.el,
  ], () => {
    const kinds = boxes.filter((b) => b.box.checked).map((b) => b.kind);
    kindsErr.hidden = kinds.length > 0;
    kindsErr.textContent = kinds.length ? "" : t("s_err_ri_kinds");
    if (!kinds.length) return null;
    return { kinds: kinds, note: note.control.value.trim() };
  }, "ri");
}

function approveForm(ctx) {
  const claim = ctx.claim;
  const rows = (claim.expenses || []).map((item) => ({ item: item }));
  const list = h("div", { class: "ap-rows", testid: "ap-rows" });
  const rowsErr = h("p", { class: "field-error", role: "alert", hidden: true, testid: "ap-rows-error" });

  function drawRows() {
    replace(list, rows.map((row, i) => {
      const label = expenseLabel(row.item, ctx.names);
      row.amount = row.amount || h("input", { type: "text", inputmode: "decimal", class: "input-money",
        value: fenToInput(row.item.amount_fen) });
      row.other = row.other || h("input", { type: "text", inputmode: "decimal", class: "input-money",
        value: fenToInput(row.item.other_paid_fen || 0) });
      row.err = row.err || h("p", { class: "field-error", role: "alert", hidden: true });
      // testids and ids follow the position (a row may have been removed)
      row.amount.setAttribute("data-testid", "ap-amount-" + i);
      row.other.setAttribute("data-testid", "ap-other-" + i);
      row.err.setAttribute("data-testid", "ap-error-" + i);
      row.amount.id = "ap-amount-" + i;
      row.other.id = "ap-other-" + i;
      return h("div", { class: "ap-row", testid: "ap-row", "data-liability": row.item.liability },
        h("div", { class: "ap-row-head" },
          h("strong", { text: label }),
          rows.length > 1 ? h("button", { type: "button", class: "btn btn-small", testid: "ap-remove-" + i,
            "aria-label": t("s_ap_remove") + " " + label, text: t("s_ap_remove"),
            onclick: () => { rows.splice(i, 1); drawRows(); } }) : null),
        h("p", { class: "small muted", text: t("s_ap_claimed", { amount: moneyText(row.item.amount_fen) }) }),
        h("div", { class: "ap-inputs" },
          h("div", { class: "field" }, h("label", { for: row.amount.id, text: t("s_ap_verified") }), row.amount),
          h("div", { class: "field" }, h("label", { for: row.other.id, text: t("s_ap_other_paid") }), row.other)),
        row.err);
    }));
  }
  drawRows();

  function setRowError(row, text) {
    row.err.hidden = !text;
    row.err.textContent = text || "";
    row.amount.classList.toggle("invalid", !!text);
  }

  const form = actionForm(ctx, "approve", "s_ap_title", "s_ap_intro", [list, rowsErr], () => {
    let ok = rows.length > 0;
    rowsErr.hidden = ok;
    rowsErr.textContent = ok ? "" : t("s_err_ap_rows");
    const expenses = rows.map((row) => {
      const amount = parseYuan(row.amount.value);
      const other = row.other.value.trim() === "" ? { ok: true, fen: 0 } : parseYuan(row.other.value);
      let err = "";
      if (!amount.ok || !other.ok) err = t("s_err_amount");
      else if (other.fen > amount.fen) err = t("s_err_other_gt");
      setRowError(row, err);
      if (err) {
        ok = false;
        return null;
      }
      const out = { liability: row.item.liability, amount_fen: amount.fen, other_paid_fen: other.fen };
      if (row.item.drug_code) out.drug_code = row.item.drug_code;
      return out;
    });
    if (!ok) return null;
    return { expenses: expenses };
  }, "ap", (err) => {
    // the server's field errors ("expenses.0.amount_fen") next to their rows
    const errors = fieldErrors(err);
    Object.keys(errors).forEach((path) => {
      const m = /^expenses\.(\d+)/.exec(path);
      if (m && rows[+m[1]]) setRowError(rows[+m[1]], errors[path]);
    });
  });
  return form;
}

function rejectForm(ctx) {
  const select = h("select", { testid: "rj-reason" }, h("option", { value: "", text: t("s_rj_choose") }));
  const reason = field(t("s_rj_reason"), select);
  const detail = field(t("s_rj_detail"), h("textarea", { rows: "3", maxlength: "500", testid: "rj-detail" }),
    t("s_rj_detail_hint"));
  loadReasons().then((reasons) => {
    (reasons || []).forEach((r) => select.appendChild(h("option", { value: r.code, text: pick(r.text) })));
  }, (err) => reason.setError(errorText(err)));
  return actionForm(ctx, "reject", "s_rj_title", null, [reason.el, detail.el], () => {
    const code = select.value;
    const text = detail.control.value.trim();
    reason.setError(code ? "" : t("s_err_rj_reason"));
    detail.setError(code === "other" && !text ? t("s_err_rj_detail") : "");
    if (!code || (code === "other" && !text)) return null;
    return { reason: code, detail: text || null };
  }, "rj");
}

function markPaidForm(ctx) {
  const ref = field(t("s_mp_reference"), h("input", { type: "text", maxlength: "64", autocomplete: "off",
    spellcheck: "false", class: "mono", testid: "mp-reference" }));
  return actionForm(ctx, "mark_paid", "s_mp_title", "s_mp_intro", [ref.el], () => {
    const value = ref.control.value.trim();
    ref.setError(value ? "" : t("s_err_mp_reference"));
    return value ? { bank_reference: value } : null;
  }, "mp", (err) => {
    const errors = fieldErrors(err);
    if (errors.bank_reference) ref.setError(errors.bank_reference);
  });
}

// A form for one action: collect() returns the body (or null when a field is wrong).
function actionForm(ctx, action, titleKey, introKey, fields, collect, prefix, onFieldErrors) {
  const status = h("div", { class: "form-status", "aria-live": "polite", testid: prefix + "-status" });
  const submit = h("button", { type: "submit", class: "btn " + (action === "reject" ? "btn-danger" : "btn-primary"),
    testid: prefix + "-submit", text: t(action === "reject" ? "s_rj_confirm" : ACTION_LABELS[action]) });
  const cancel = h("button", { type: "button", class: "btn", testid: prefix + "-cancel", text: t("s_cancel"),
    onclick: () => { ctx.open = null; ctx.draw(); } });
  async function onSubmit(ev) {
    ev.preventDefault();
    replace(status);
    const body = collect();
    if (body === null) {
      replace(status, notice("error", t("s_err_fix"), prefix + "-error"));
      return;
    }
    submit.disabled = true;
    cancel.disabled = true;
    submit.textContent = t("s_working");
    try {
      const claim = await staffWrite("POST", API + encodeURIComponent(ctx.claim.id) + "/" + ACTION_PATHS[action], body);
      ctx.done(action, claim);
    } catch (err) {
      submit.disabled = false;
      cancel.disabled = false;
      submit.textContent = t(action === "reject" ? "s_rj_confirm" : ACTION_LABELS[action]);
      if (onFieldErrors) onFieldErrors(err);
      replace(status, notice("error", errorText(err), prefix + "-error"));
    }
  }
  return h("form", { class: "action-form", testid: "form-" + action, novalidate: true, onsubmit: onSubmit },
    h("h3", { text: t(titleKey) }),
    introKey ? h("p", { class: "muted small", text: t(introKey) }) : null,
    fields, status,
    h("div", { class: "form-actions" }, submit, cancel));
}

const FORMS = { request_info: requestInfoForm, approve: approveForm, reject: rejectForm, mark_paid: markPaidForm };

function actionsCard(ctx) {
  const claim = ctx.claim;
  const actions = staffActions(claim);
  const buttons = actions.map((a) => h("button", {
    type: "button",
    class: "btn " + (a === "approve" || a === "start_review" ? "btn-primary" : a === "reject" ? "btn-danger" : ""),
    testid: "action-" + a.replace(/_/g, "-"),
    "aria-expanded": FORMS[a] ? String(ctx.open === a) : null,
    text: t(ACTION_LABELS[a]),
    onclick: (ev) => {
      if (FORMS[a]) {
        ctx.open = ctx.open === a ? null : a;
        ctx.flash = null;
        ctx.draw();
        return;
      }
      runDirect(ctx, a, ev.currentTarget);
    },
  }));
  const nothingToPay = claim.status === "approved" && claim.payout_fen === 0;
  const waitingForAdmin = claim.status === "approved" && !nothingToPay && !hasRole("admin");
  return card(t("s_actions"), "card-actions",
    ctx.flash ? notice(ctx.flash.kind, ctx.flash.text, "action-notice") : null,
    ctx.result ? h("div", { class: "approve-result", testid: "approve-result" },
      h("h3", { text: t("s_result_title") }), resultView(ctx.result, ctx.names, "approve-result", "s_decision_total", true)) : null,
    buttons.length ? h("div", { class: "action-buttons" }, buttons)
      : h("p", { class: "muted", testid: "no-actions",
        text: t(nothingToPay ? "s_nothing_to_pay" : waitingForAdmin ? "s_mark_paid_admin_only" : "s_no_actions") }),
    ctx.open && actions.indexOf(ctx.open) >= 0 ? FORMS[ctx.open](ctx) : null);
}

// Start review has no form: one click.
async function runDirect(ctx, action, button) {
  button.disabled = true;
  button.textContent = t("s_working");
  try {
    const claim = await staffWrite("POST", API + encodeURIComponent(ctx.claim.id) + "/" + ACTION_PATHS[action]);
    ctx.done(action, claim);
  } catch (err) {
    ctx.flash = { kind: "error", text: errorText(err) };
    ctx.draw();
  }
}

// --- the screen -------------------------------------------------------------------------------

function draw(outlet, ctx) {
  const claim = ctx.claim;
  const names = ctx.names;
  document.title = t("s_claim_title", { number: claim.claim_number }) + " · " + t("s_doc_title");
  replace(outlet, h("section", { class: "screen claim", testid: "claim", "data-claim-id": claim.id,
    "data-status": claim.status },
    header(claim),
    duplicateWarning(claim),
    h("div", { class: "claim-grid" },
      h("div", { class: "claim-main" },
        h("div", { class: "two-cards" }, personCard(claim), claimCard(claim, names)),
        expensesCard(claim, names),
        decisionCard(claim, names),
        documentsCard(claim),
        timelineCard(claim)),
      h("aside", { class: "claim-side" },
        actionsCard(ctx),
        slaCard(claim),
        ytdCard(claim, names)))));
}

export default {
  titleKey: "s_claim_title",
  render(outlet, current) {
    const id = current.params.id;
    let alive = true;
    const ctx = { claim: null, names: namesOf(null), open: null, flash: null, result: null };
    ctx.draw = () => { if (alive) draw(outlet, ctx); };
    ctx.done = (action, claim) => {
      ctx.claim = claim;
      ctx.open = null;
      ctx.result = action === "approve" ? claim.decision : null;
      const text = action === "approve"
        ? t("s_done_approve", { amount: moneyText(claim.decision ? claim.decision.total_payout_fen : claim.payout_fen) })
        : t("s_done_" + action);
      ctx.flash = { kind: "ok", text: text };
      cache = { id: id, ctx: ctx };
      ctx.draw();
    };
    if (!cache || cache.id !== id) forgetThumbs();
    if (isRedraw() && cache && cache.id === id) {
      // a language switch: the same claim, drawn again in the other language
      Object.assign(ctx, cache.ctx, { draw: ctx.draw, done: ctx.done });
      cache.ctx = ctx;
      draw(outlet, ctx);
      return () => { alive = false; closeViewer(); };
    }
    const load = () => {
      showLoading(outlet);
      staffGet(API + encodeURIComponent(id)).then((claim) => loadPlanDetail(claim.plan_code).then((plan) => {
        if (!alive) return;
        ctx.claim = claim;
        ctx.names = namesOf(plan);
        cache = { id: id, ctx: ctx };
        draw(outlet, ctx);
      }), (err) => {
        if (alive) replace(outlet, errorBox(err, load));
      });
    };
    load();
    return () => { alive = false; closeViewer(); };
  },
};
