// What the member's claim screens share: their strings, the claim options (persons with
// policies, claim types), status badges, dates in the plan's timezone, the payout view,
// and the document checklist with its uploads: one file at a time as the raw request
// body through XMLHttpRequest (for `upload.onprogress`: a progress bar per file), a
// failed file kept with the server's message, with a retry button when sending it again
// may work (network, timeout, 429, 5xx; a file the server refused can only be removed).
// Uploads live here, per claim, so that they go on (and show again) whatever the screen
// redraws.
import { h, replace } from "./dom.js";
import { addStrings, pick, t } from "./i18n.js";
import { ApiError, errorCode, errorText, get } from "./api.js";
import { send } from "./account.js";
import { fenToYuan, formatDate, formatInstantDate, formatInstantTime, money } from "./format.js";
import { payoutLineView, stepsView } from "./screens/estimator.js";

export const TZ = "Asia/Shanghai";
const CLAIMS = "/api/v1/claims";
const CSRF = "/api/v1/me/csrf";
const UPLOAD_TIMEOUT_MS = 5 * 60 * 1000;
const PREVIEW_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

addStrings({
  zh: {
    claims_intro: "就医后可以在这里申请理赔：填写费用，上传发票等材料，随时查看进度。",
    claim_new_cta: "申请理赔",
    claims_empty: "您还没有理赔申请。",
    claim_number: "理赔号",
    claim_type_label: "理赔类型",
    service_dates: "就医日期",
    claimed_label: "申请金额",
    estimate_label: "预计赔付",
    payout_label: "赔付金额",
    payout_none: "不予赔付",
    hospital_label: "医院或药店",
    claim_unread: "有新消息",
    // the form
    cf_step: "第 {n} 步，共 2 步",
    cf_step1: "填写申请",
    cf_step2: "上传材料并提交",
    cf_person: "为谁申请理赔",
    cf_person_hint: "只能为持有保单的家庭成员申请。",
    cf_no_persons: "您和家庭成员还没有可以理赔的保单。",
    cf_person_locked: "草稿已创建，不能更换被保险人；如需为其他人申请，请新建一份申请。",
    cf_policy: "哪一份保单",
    cf_policy_range: "保障期间 {from} 至 {to}",
    cf_type: "理赔类型",
    cf_dates: "就医日期",
    cf_start: "开始日期（入院、就诊或购药）",
    cf_end: "结束日期（出院）",
    cf_dates_hint: "门诊或购药只有一天的，两个日期填同一天。",
    cf_hospital: "医院或药店名称（选填）",
    cf_amounts: "费用金额（元）",
    cf_amounts_hint: "按医保结算单填写。没有发生的费用不用填。",
    cf_choose_first: "请先选择被保险人和理赔类型。",
    cf_estimate_title: "预计赔付（实时测算）",
    cf_estimate_wait: "填写金额后自动测算。",
    cf_estimating: "正在测算…",
    cf_estimate_note: "仅供参考，以审核结果为准。",
    cf_next: "保存，下一步：上传材料",
    cf_saving: "正在保存…",
    cf_draft_saved: "草稿已保存。上传材料后提交；也可以稍后在“我的理赔”中继续。",
    cf_back_edit: "返回修改申请信息",
    err_person_required: "请选择被保险人。",
    err_policy_required: "请选择保单。",
    err_type_required: "请选择理赔类型。",
    err_date_required: "请选择日期。",
    err_date_order: "结束日期不能早于开始日期。",
    err_date_coverage: "日期须在保障期间内（{from} 至 {to}）。",
    err_date_future: "日期不能晚于今天。",
    // documents
    docs_title: "理赔材料",
    docs_intro: "每项材料可以拍照或选择文件，支持 JPG、PNG、HEIC 照片和 PDF，可以上传多份。",
    docs_missing: "还缺 {n} 项必需材料：{names}",
    docs_complete: "必需材料已齐全，可以提交。",
    docs_asked_missing: "请上传审核员要求补充的材料：{names}",
    doc_asked_hint: "请上传新的文件",
    doc_required: "必需",
    doc_optional: "选填",
    doc_requested: "需补充",
    doc_count: "已上传 {n} 份",
    doc_none: "未上传",
    doc_camera: "拍照",
    doc_file: "选择文件",
    doc_open: "查看",
    doc_delete: "删除",
    doc_delete_confirm: "确认删除",
    doc_pdf: "PDF",
    doc_pages: "{n} 页",
    cancel: "取消",
    upload_queued: "等待上传",
    upload_progress: "正在上传 {p}%",
    upload_processing: "正在处理…",
    upload_done: "已上传",
    upload_duplicate: "这个文件已经上传过了。",
    upload_failed: "上传失败",
    upload_refused: "未能上传",
    upload_retry: "重试",
    upload_remove: "移除",
    upload_too_large: "文件太大，请压缩或拍得小一些后重新上传。",
    upload_bad_type: "只支持 JPG、PNG、HEIC 照片和 PDF 文件。",
    // submit, withdraw
    submit_claim: "提交理赔申请",
    resubmit: "补充完成，重新提交",
    submitting_claim: "正在提交…",
    err_uploads_pending: "还有文件正在上传，请等上传完成后再提交。",
    err_docs_missing: "还缺以下材料，请上传后再提交：{names}",
    submitted_notice: "理赔申请已提交。审核结果会通过消息中心通知您。",
    resubmitted_notice: "补充材料已提交，审核继续。",
    withdrawn_notice: "理赔申请已撤回。",
    edit_claim: "修改申请信息",
    withdraw: "撤回申请",
    withdraw_confirm_text: "确定撤回这份理赔申请吗？撤回后不能恢复；如需理赔，请重新申请。",
    withdraw_confirm: "确定撤回",
    withdrawing: "正在撤回…",
    // the claim
    info_request_title: "请补充材料",
    info_request_note: "审核员留言：{note}",
    info_request_kinds: "需要补充：{names}",
    sla_title: "办理时限",
    sla_not_started: "提交后开始计算审核时限。",
    sla_decision_due: "预计 {date} 前给出审核结果",
    sla_days_left: "还剩 {n} 天",
    sla_less_than_day: "不足 1 天",
    sla_overdue: "已超过承诺时限 {n} 天，我们正在加紧处理。",
    sla_paused: "补充材料期间审核计时暂停，重新提交后继续（还剩 {n} 天）。",
    sla_decided: "已于 {date} 给出审核结果",
    sla_payment_due: "理赔款预计 {date} 前支付",
    sla_paid: "理赔款已于 {date} 支付",
    decision_title: "审核结果",
    decision_total: "赔付金额",
    bank_reference: "支付流水号",
    reject_title: "不予赔付",
    summary_title: "申请信息",
    expenses_title: "申报费用",
    other_paid_short: "其他保险已报销 {amount}",
    estimate_at_filing: "申请时测算（仅供参考）",
    timeline_title: "办理进度",
    submitted_at: "提交时间",
    back_to_claims: "返回我的理赔",
  },
  en: {
    claims_intro: "After treatment, claim here: enter the costs, upload invoices and other documents, and follow the progress.",
    claim_new_cta: "New claim",
    claims_empty: "You have no claims yet.",
    claim_number: "Claim no.",
    claim_type_label: "Claim type",
    service_dates: "Treatment dates",
    claimed_label: "Claimed",
    estimate_label: "Estimated payout",
    payout_label: "Payout",
    payout_none: "Not payable",
    hospital_label: "Hospital or pharmacy",
    claim_unread: "New message",
    cf_step: "Step {n} of 2",
    cf_step1: "Claim details",
    cf_step2: "Documents and submit",
    cf_person: "Who is claiming",
    cf_person_hint: "Only family members holding a policy can claim.",
    cf_no_persons: "Neither you nor your family hold a policy to claim on yet.",
    cf_person_locked: "The draft is saved: the insured person cannot change. To claim for someone else, start a new claim.",
    cf_policy: "Which policy",
    cf_policy_range: "Cover {from} to {to}",
    cf_type: "Claim type",
    cf_dates: "Treatment dates",
    cf_start: "First day (admission, visit or purchase)",
    cf_end: "Last day (discharge)",
    cf_dates_hint: "For a single visit or purchase, enter the same day twice.",
    cf_hospital: "Hospital or pharmacy (optional)",
    cf_amounts: "Costs (yuan)",
    cf_amounts_hint: "As on the BMI settlement sheet. Leave empty what you did not spend.",
    cf_choose_first: "Choose the insured person and the claim type first.",
    cf_estimate_title: "Estimated payout (live)",
    cf_estimate_wait: "Enter an amount to see an estimate.",
    cf_estimating: "Estimating…",
    cf_estimate_note: "For reference only: the review decides.",
    cf_next: "Save, next: documents",
    cf_saving: "Saving…",
    cf_draft_saved: "Draft saved. Upload the documents, then submit; or come back later from “My claims”.",
    cf_back_edit: "Back to the claim details",
    err_person_required: "Choose the insured person.",
    err_policy_required: "Choose the policy.",
    err_type_required: "Choose the claim type.",
    err_date_required: "Choose a date.",
    err_date_order: "The last day cannot be before the first day.",
    err_date_coverage: "The dates must be within the cover ({from} to {to}).",
    err_date_future: "The date cannot be after today.",
    docs_title: "Documents",
    docs_intro: "Take a photo or choose a file for each document: JPG, PNG or HEIC photos and PDF; several files each.",
    docs_missing: "{n} required still missing: {names}",
    docs_complete: "All required documents are here: you can submit.",
    docs_asked_missing: "Please upload what the reviewer asked for: {names}",
    doc_asked_hint: "Upload a new file",
    doc_required: "Required",
    doc_optional: "Optional",
    doc_requested: "Asked for",
    doc_count: "{n} uploaded",
    doc_none: "None yet",
    doc_camera: "Take photo",
    doc_file: "Choose file",
    doc_open: "Open",
    doc_delete: "Delete",
    doc_delete_confirm: "Really delete",
    doc_pdf: "PDF",
    doc_pages: "{n} pages",
    cancel: "Cancel",
    upload_queued: "Waiting",
    upload_progress: "Uploading {p}%",
    upload_processing: "Processing…",
    upload_done: "Uploaded",
    upload_duplicate: "This file is already uploaded.",
    upload_failed: "Upload failed",
    upload_refused: "Not accepted",
    upload_retry: "Retry",
    upload_remove: "Remove",
    upload_too_large: "The file is too large: compress it or take a smaller photo and try again.",
    upload_bad_type: "Only JPG, PNG or HEIC photos and PDF files are accepted.",
    submit_claim: "Submit the claim",
    resubmit: "Done: submit again",
    submitting_claim: "Submitting…",
    err_uploads_pending: "Files are still uploading: submit once they are done.",
    err_docs_missing: "Still missing; upload them, then submit: {names}",
    submitted_notice: "Claim submitted. You will hear about the review in your messages.",
    resubmitted_notice: "Documents sent: the review goes on.",
    withdrawn_notice: "The claim was withdrawn.",
    edit_claim: "Edit the claim details",
    withdraw: "Withdraw the claim",
    withdraw_confirm_text: "Withdraw this claim? This cannot be undone; to claim later, start a new claim.",
    withdraw_confirm: "Withdraw",
    withdrawing: "Withdrawing…",
    info_request_title: "More documents needed",
    info_request_note: "The reviewer's note: {note}",
    info_request_kinds: "Please add: {names}",
    sla_title: "Time limits",
    sla_not_started: "The review time limit starts once you submit.",
    sla_decision_due: "Decision due by {date}",
    sla_days_left: "{n} days left",
    sla_less_than_day: "less than a day left",
    sla_overdue: "{n} days past the promised time: we are hurrying.",
    sla_paused: "The review clock is paused while documents are missing; it goes on when you submit again ({n} days left).",
    sla_decided: "Decided on {date}",
    sla_payment_due: "Payment due by {date}",
    sla_paid: "Paid on {date}",
    decision_title: "Decision",
    decision_total: "Payout",
    bank_reference: "Payment reference",
    reject_title: "Not payable",
    summary_title: "Claim details",
    expenses_title: "Costs claimed",
    other_paid_short: "{amount} paid by other insurance",
    estimate_at_filing: "Estimate when filed (for reference)",
    timeline_title: "Progress",
    submitted_at: "Submitted",
    back_to_claims: "Back to my claims",
  },
});

// --- paths, options, formatting ---------------------------------------------------

export function claimPath(id) {
  return CLAIMS + "/" + encodeURIComponent(id);
}

let options = null;

// Persons with policies and each plan's claim types; asked again when `fresh`.
export function loadOptions(fresh) {
  if (!options || fresh) {
    const asked = get(CLAIMS + "/options");
    options = asked;
    asked.catch(() => {
      if (options === asked) options = null;
    });
  }
  return options;
}

export function joinNames(names) {
  return names.join(t("list_sep"));
}

// An instant as "2026年5月3日 14:05" in the plan's timezone.
export function instantText(iso) {
  const ms = Date.parse(iso || "");
  return isNaN(ms) ? "—" : formatInstantDate(ms, TZ) + " " + formatInstantTime(ms, TZ);
}

export function instantDate(iso) {
  const ms = Date.parse(iso || "");
  return isNaN(ms) ? "—" : formatInstantDate(ms, TZ);
}

export function dateRange(start, end) {
  if (!start) return "—";
  if (!end || end === start) return formatDate(start);
  return t("period_range", { from: formatDate(start), to: formatDate(end) });
}

// 123450 -> "1234.50", 120000 -> "1200" (what goes back into an amount field)
export function fenToInput(fen) {
  return typeof fen === "number" && fen > 0 ? fenToYuan(fen).replace(/,/g, "").replace(/\.00$/, "") : "";
}

const STATUS_BADGE = {
  draft: "badge-muted",
  submitted: "badge-info",
  under_review: "badge-info",
  need_more_info: "badge-warn",
  approved: "badge-ok",
  paid: "badge-ok",
  rejected: "badge-danger",
  withdrawn: "badge-muted",
};

export function statusBadge(claim, testid) {
  return h("span", { class: "badge claim-badge " + (STATUS_BADGE[claim.status] || "badge-muted"),
    testid: testid || "claim-status", "data-status": claim.status,
    text: pick(claim.status_name) || claim.status });
}

// A screen's one-shot notice ("submitted"), kept until the next claim screen shows it.
let notice = null;

export function setClaimNotice(claimId, key) {
  notice = { claimId: claimId, key: key };
}

export function takeClaimNotice(claimId) {
  if (!notice || (claimId && notice.claimId !== claimId)) return null;
  const key = notice.key;
  notice = null;
  return key;
}

// --- the payout --------------------------------------------------------------------

// Totals, the line per liability and the steps of an Estimate (or a decision).
// `names`: liability code -> name (when the lines carry none).
export function payoutView(est, prefix, names) {
  if (!est) return null;
  return [
    h("dl", { class: "totals" },
      h("div", { class: "total total-payout" },
        h("dt", { text: t(prefix === "decision" ? "decision_total" : "total_payout") }),
        h("dd", { testid: prefix + "-total", text: money(est.total_payout_fen) })),
      typeof est.out_of_pocket_fen === "number" ? h("div", { class: "total" },
        h("dt", { text: t("out_of_pocket") }),
        h("dd", { testid: prefix + "-out-of-pocket", text: money(est.out_of_pocket_fen) })) : null),
    est.summary ? h("p", { class: "summary", testid: prefix + "-summary", text: pick(est.summary) }) : null,
    (est.lines || []).map((line) => payoutLineView(line,
      pick(line.liability_name) || (names && names[line.liability]) || line.liability,
      prefix + "-line-" + line.liability)),
    stepsView(est.steps, prefix + "-steps"),
  ];
}

// --- documents: the checklist and the uploads ----------------------------------------

const uploads = {}; // claim id -> [entry]
const panels = []; // live panels: {claimId, refresh()}
const watchers = {}; // claim id -> [fn(claim)]
const refreshing = {}; // claim id -> request number
let uploadSeq = 0;
let csrf = null;

function entries(claimId) {
  if (!uploads[claimId]) uploads[claimId] = [];
  return uploads[claimId];
}

// Whether files of this claim are still on their way (submit waits for them).
export function uploadsBusy(claimId) {
  return entries(claimId).some((e) => e.status === "queued" || e.status === "uploading");
}

// `fn(claim)` runs whenever the claim is asked again after an upload or a deletion.
export function watchClaim(claimId, fn) {
  if (!watchers[claimId]) watchers[claimId] = [];
  watchers[claimId].push(fn);
  return () => {
    const list = watchers[claimId] || [];
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}

function refreshPanels(claimId) {
  for (let i = panels.length - 1; i >= 0; i--) {
    if (!panels[i].el.isConnected) panels.splice(i, 1);
    else if (panels[i].claimId === claimId) panels[i].refresh();
  }
}

// Ask for the claim again (checklist counts, what is missing) and tell the screens.
export function refreshClaim(claimId) {
  const n = (refreshing[claimId] || 0) + 1;
  refreshing[claimId] = n;
  return get(claimPath(claimId)).then((claim) => {
    if (refreshing[claimId] !== n) return claim;
    // the files now in the claim's list leave the upload list
    const list = entries(claimId);
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].status === "done") forget(list, i);
    }
    (watchers[claimId] || []).slice().forEach((fn) => fn(claim));
    refreshPanels(claimId);
    return claim;
  }, () => null);
}

function forget(list, i) {
  const e = list[i];
  if (e.preview) URL.revokeObjectURL(e.preview);
  list.splice(i, 1);
}

function csrfToken(fresh) {
  if (csrf && !fresh) return Promise.resolve(csrf);
  return get(CSRF).then((answer) => {
    csrf = answer.csrf_token;
    return csrf;
  });
}

function previewOf(file) {
  if (PREVIEW_TYPES.indexOf(file.type) < 0 || typeof URL.createObjectURL !== "function") return null;
  try {
    return URL.createObjectURL(file);
  } catch (e) {
    return null;
  }
}

function addFiles(claimId, kind, files) {
  Array.prototype.forEach.call(files || [], (file) => {
    uploadSeq += 1;
    entries(claimId).push({
      key: uploadSeq, claimId: claimId, kind: kind, file: file,
      name: file.name || "photo.jpg", status: "queued", progress: 0, err: null,
      preview: previewOf(file), view: null, csrfRetried: false,
    });
  });
  pump(claimId);
  refreshPanels(claimId);
}

// One file at a time (phones on weak networks): the next queued one when none is going.
function pump(claimId) {
  const list = entries(claimId);
  if (list.some((e) => e.status === "uploading")) return;
  const next = list.filter((e) => e.status === "queued")[0];
  if (next) start(next);
}

function start(entry) {
  entry.status = "uploading";
  entry.progress = 0;
  entry.err = null;
  csrfToken(false).then((token) => {
    if (entry.status !== "uploading") return;
    const xhr = new XMLHttpRequest();
    const url = claimPath(entry.claimId) + "/documents?kind=" + encodeURIComponent(entry.kind)
      + "&filename=" + encodeURIComponent(entry.name);
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", entry.file.type || "application/octet-stream");
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.upload.onprogress = (ev) => {
      if (!ev.lengthComputable || !ev.total) return;
      entry.progress = Math.min(100, Math.floor((ev.loaded * 100) / ev.total));
      showProgress(entry);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        done(entry, body, xhr.status === 200);
        return;
      }
      const err = new ApiError("http", xhr.status, body);
      if (xhr.status === 403 && errorCode(err) === "csrf_failed" && !entry.csrfRetried) {
        entry.csrfRetried = true; // a stale token: fetch it again and send once more
        csrfToken(true).then(() => start(entry), (e) => failed(entry, e));
        return;
      }
      failed(entry, err);
    };
    xhr.onerror = () => failed(entry, new ApiError("network"));
    xhr.ontimeout = () => failed(entry, new ApiError("timeout"));
    xhr.send(entry.file);
  }, (err) => failed(entry, err));
  refreshPanels(entry.claimId);
}

function done(entry, doc, duplicate) {
  entry.status = duplicate ? "duplicate" : "done";
  entry.progress = 100;
  entry.doc = doc;
  pump(entry.claimId);
  refreshPanels(entry.claimId);
  if (!duplicate) refreshClaim(entry.claimId);
}

function failed(entry, err) {
  entry.status = "failed";
  entry.err = err;
  pump(entry.claimId);
  refreshPanels(entry.claimId);
}

function retry(entry) {
  entry.status = "queued";
  entry.err = null;
  entry.csrfRetried = false;
  pump(entry.claimId);
  refreshPanels(entry.claimId);
}

function removeEntry(entry) {
  const list = entries(entry.claimId);
  const i = list.indexOf(entry);
  if (i >= 0) forget(list, i);
  refreshPanels(entry.claimId);
}

// The server's words for a refused file; a proxy's bare 413 / 415 gets ours.
export function uploadErrorText(err) {
  const body = err instanceof ApiError ? err.body : null;
  if (!(body && (body.message || body.message_zh)) && err instanceof ApiError && err.kind === "http") {
    if (err.status === 413) return t("upload_too_large");
    if (err.status === 415) return t("upload_bad_type");
  }
  return errorText(err);
}

// Whether sending the same file again may work: the connection dropped, it timed out, the
// server was busy (429) or failing (5xx). A refusal of the file itself (413 too large, 415
// type, 422 corrupt / encrypted PDF / empty / too many pages, 409 too many documents /
// already uploaded / claim locked, and the other 4xx) would only come back.
function uploadRetryable(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.kind === "network" || err.kind === "timeout") return true;
  return err.status === 429 || err.status >= 500;
}

function statusText(entry) {
  if (entry.status === "queued") return t("upload_queued");
  if (entry.status === "uploading") {
    return entry.progress >= 100 ? t("upload_processing") : t("upload_progress", { p: entry.progress });
  }
  if (entry.status === "duplicate") return t("upload_duplicate");
  if (entry.status === "done") return t("upload_done");
  return uploadRetryable(entry.err) ? t("upload_failed") : t("upload_refused");
}

function showProgress(entry) {
  const v = entry.view;
  if (!v || !v.bar.isConnected) return;
  v.bar.value = entry.progress;
  v.bar.setAttribute("aria-valuetext", entry.progress + "%");
  v.status.textContent = statusText(entry);
}

function sizeText(bytes) {
  if (typeof bytes !== "number") return "";
  if (bytes >= 1024 * 1024) return (Math.round((bytes * 10) / (1024 * 1024)) / 10) + " MB";
  return Math.max(1, Math.round(bytes / 1024)) + " KB";
}

function fileMark(entryOrDoc, src) {
  if (src) return h("img", { class: "doc-thumb", src: src, alt: "", loading: "lazy" });
  const pdf = /pdf/i.test(entryOrDoc.content_type || (entryOrDoc.file && entryOrDoc.file.type) || "");
  return h("span", { class: "doc-thumb doc-thumb-file", "aria-hidden": "true", text: pdf ? t("doc_pdf") : "IMG" });
}

function uploadRow(entry) {
  const bar = h("progress", { class: "upload-bar", max: "100", value: String(entry.progress),
    testid: "upload-progress", "aria-label": entry.name, "aria-valuetext": entry.progress + "%" });
  const status = h("span", { class: "upload-status", testid: "upload-status", text: statusText(entry) });
  entry.view = { bar: bar, status: status };
  const failedNow = entry.status === "failed";
  const canRetry = failedNow && uploadRetryable(entry.err);
  return h("li", { class: "upload upload-" + entry.status, testid: "upload", "data-kind": entry.kind,
    "data-filename": entry.name, "data-status": entry.status,
    "data-retryable": failedNow ? String(canRetry) : null },
  fileMark(entry, entry.preview),
  h("div", { class: "upload-body" },
    h("span", { class: "upload-name", text: entry.name }),
    h("small", { class: "muted", text: sizeText(entry.file.size) }),
    entry.status === "uploading" || entry.status === "queued" ? bar : null,
    status,
    failedNow ? h("p", { class: "field-error", role: "alert", testid: "upload-error",
      text: uploadErrorText(entry.err) }) : null,
    failedNow || entry.status === "duplicate" ? h("div", { class: "upload-actions" },
      canRetry ? h("button", { type: "button", class: "btn btn-secondary btn-small", testid: "upload-retry",
        text: t("upload_retry"), onclick: () => retry(entry) }) : null,
      h("button", { type: "button", class: "link-btn", testid: "upload-remove", text: t("upload_remove"),
        onclick: () => removeEntry(entry) })) : null));
}

function docRow(claim, doc, editable) {
  const thumb = doc.has_thumbnail && doc.thumbnail_url ? doc.thumbnail_url : null;
  const actions = h("div", { class: "upload-actions" });
  function drawActions(confirming, busy, err) {
    replace(actions,
      h("a", { class: "link-btn link-btn-plain", href: doc.url, target: "_blank", rel: "noopener",
        testid: "doc-open", text: t("doc_open") }),
      editable && !confirming ? h("button", { type: "button", class: "link-btn", testid: "doc-delete",
        text: t("doc_delete"), onclick: () => drawActions(true, false, null) }) : null,
      editable && confirming ? [
        h("button", { type: "button", class: "link-btn", testid: "doc-delete-confirm", disabled: busy,
          text: t("doc_delete_confirm"), onclick: () => remove() }),
        h("button", { type: "button", class: "link-btn link-btn-plain", testid: "doc-delete-cancel",
          text: t("cancel"), onclick: () => drawActions(false, false, null) }),
      ] : null,
      err ? h("p", { class: "field-error", role: "alert", testid: "doc-delete-error", text: errorText(err) }) : null);
  }
  function remove() {
    drawActions(true, true, null);
    send("DELETE", claimPath(claim.id) + "/documents/" + encodeURIComponent(doc.id))
      .then(() => refreshClaim(claim.id), (err) => drawActions(true, false, err));
  }
  drawActions(false, false, null);
  const meta = [sizeText(doc.size_bytes)];
  if (doc.pages) meta.push(t("doc_pages", { n: doc.pages }));
  return h("li", { class: "upload upload-stored", testid: "doc", "data-doc-id": doc.id, "data-kind": doc.kind,
    "data-filename": doc.filename },
  fileMark(doc, thumb),
  h("div", { class: "upload-body" },
    h("span", { class: "upload-name", text: doc.filename }),
    h("small", { class: "muted", text: meta.join(" · ") }),
    actions));
}

function pickers(claimId, kind) {
  const input = (capture) => h("input", {
    type: "file", class: "file-input", accept: "image/*,application/pdf",
    capture: capture ? "environment" : null, multiple: capture ? null : true,
    testid: (capture ? "camera-" : "file-") + kind,
    onchange: (ev) => {
      const files = Array.prototype.slice.call(ev.target.files || []);
      ev.target.value = ""; // the same file may be chosen again (after a refusal)
      if (files.length) addFiles(claimId, kind, files);
    },
  });
  return h("div", { class: "doc-pickers" },
    h("label", { class: "btn btn-secondary btn-small file-btn" }, input(true), t("doc_camera")),
    h("label", { class: "btn btn-secondary btn-small file-btn" }, input(false), t("doc_file")));
}

// Names of checklist kinds ("发票、出院小结").
export function kindNames(claim, kinds) {
  const names = {};
  (claim.checklist || []).forEach((c) => {
    names[c.kind] = pick(c.name);
  });
  return joinNames((kinds || []).map((k) => names[k] || k));
}

// The checklist of a claim: each kind with its count, what is still missing, the stored
// files and, while `editable`, the camera and file pickers with the uploads in progress.
// `requested`: kinds the reviewer asked for (shown first), at `since` (an instant): they
// count as still to do until a file of the kind was uploaded after it.
export function documentsPanel(claim, editable, requested, since) {
  const asked = requested || [];
  const sinceMs = Date.parse(since || "");
  const el = h("section", { class: "card docs", testid: "docs" });
  function draw() {
    const missing = claim.missing || [];
    const list = (claim.checklist || []).slice().sort((a, b) => {
      const ra = asked.indexOf(a.kind) >= 0 ? 0 : 1;
      const rb = asked.indexOf(b.kind) >= 0 ? 0 : 1;
      return ra - rb;
    });
    const docs = claim.documents || [];
    const going = entries(claim.id);
    // the server lists an asked-for kind as missing until a file is added after the request;
    // without the server's word (older answers) fall back on the upload times
    const askedOpen = asked.filter((k) => missing.indexOf(k) >= 0
      || (!claim.missing && !docs.some((d) => d.kind === k
        && (isNaN(sinceMs) || Date.parse(d.uploaded_at) > sinceMs))));
    const required = missing.filter((k) => askedOpen.indexOf(k) < 0);
    let banner = t("docs_complete");
    if (required.length) banner = t("docs_missing", { n: required.length, names: kindNames(claim, required) });
    else if (askedOpen.length) banner = t("docs_asked_missing", { names: kindNames(claim, askedOpen) });
    const todo = missing.length || askedOpen.length;
    replace(el,
      h("h2", { class: "card-title", text: t("docs_title") }),
      editable ? h("p", { class: "muted small", text: t("docs_intro") }) : null,
      editable ? h("p", { class: "docs-missing " + (todo ? "is-missing" : "is-complete"),
        testid: "docs-missing", "data-missing": missing.join(","), "data-asked": askedOpen.join(","),
        role: "status", text: banner }) : null,
      h("ul", { class: "doc-kinds" }, list.map((item) => {
        const mine = docs.filter((d) => d.kind === item.kind);
        const ups = going.filter((e) => e.kind === item.kind);
        const isMissing = missing.indexOf(item.kind) >= 0;
        const isAsked = asked.indexOf(item.kind) >= 0;
        if (!editable && !mine.length) return null;
        return h("li", { class: "doc-kind" + (isMissing ? " is-missing" : "") + (isAsked ? " is-asked" : ""),
          testid: "checklist-" + item.kind, "data-count": String(item.count === undefined ? mine.length : item.count),
          "data-missing": isMissing ? "true" : "false" },
        h("div", { class: "doc-kind-head" },
          h("strong", { class: "doc-kind-name", text: pick(item.name) }),
          h("span", { class: "doc-tags" },
            isAsked ? h("span", { class: "badge badge-warn", text: t("doc_requested") }) : null,
            editable ? h("span", { class: "badge " + (item.required ? "badge-info" : "badge-muted"),
              text: t(item.required ? "doc_required" : "doc_optional") }) : null)),
        h("p", { class: "doc-count" + (isMissing ? " is-missing" : ""), testid: "doc-count",
          text: mine.length ? t("doc_count", { n: mine.length }) : t("doc_none") }),
        editable && askedOpen.indexOf(item.kind) >= 0 ? h("p", { class: "doc-count is-missing",
          testid: "doc-asked", text: t("doc_asked_hint") }) : null,
        mine.length || ups.length ? h("ul", { class: "upload-list" },
          mine.map((d) => docRow(claim, d, editable)),
          ups.map(uploadRow)) : null,
        editable ? pickers(claim.id, item.kind) : null);
      })));
  }
  const panel = { claimId: claim.id, el: el, refresh: draw };
  panels.push(panel);
  draw();
  return el;
}

// Submit (or resubmit) a claim: resolves with the claim; rejects with the error, whose
// `missingKinds` holds the kinds the server found missing (422 documents_missing).
export function submitClaim(claimId) {
  if (uploadsBusy(claimId)) {
    const busy = new Error("uploads pending");
    busy.uploadsPending = true;
    return Promise.reject(busy);
  }
  return send("POST", claimPath(claimId) + "/submit").catch((err) => {
    if (errorCode(err) === "documents_missing") {
      const errors = (err.body && err.body.errors) || {};
      err.missingKinds = errors.missing || (errors.json && errors.json.missing) || [];
    }
    throw err;
  });
}

// The message for a failed submit.
export function submitErrorText(claim, err) {
  if (err && err.uploadsPending) return t("err_uploads_pending");
  if (err && err.missingKinds && err.missingKinds.length) {
    return t("err_docs_missing", { names: kindNames(claim, err.missingKinds) });
  }
  return errorText(err);
}
