// Every UI string, in Chinese (default) and English. t("key", {var: value}).
import { readPref, writePref } from "./prefs.js";

const STRINGS = {
  zh: {
    app_name: "惠民保",
    lang_toggle: "EN",
    lang_toggle_label: "Switch to English",
    elder_toggle: "长辈模式",
    elder_on_label: "长辈模式已开启：字更大，按钮更大",
    elder_off_label: "开启长辈模式：字更大，按钮更大",
    nav_label: "主导航",
    nav_home: "首页",
    nav_estimate: "赔付测算",
    loading: "正在加载，请稍候…",
    loading_slow: "网络较慢，仍在加载，请耐心等待…",
    retry: "重试",
    err_network: "网络连接不稳定，暂时无法加载。请检查网络后点“重试”。",
    err_timeout: "网络较慢，等待超时。请点“重试”。",
    err_server: "服务暂时不可用，请稍后点“重试”。",
    err_unknown: "出了点问题，请稍后重试。",
    not_found_title: "页面不存在",
    back_home: "返回首页",
    yuan: "元",
    // home
    no_plan_title: "暂无可参保的计划",
    no_plan_text: "当前没有正在销售或即将开始的惠民保计划，请留意官方通知。",
    demo_badge: "演示",
    demo_note: "这是演示计划，数据仅供体验，不是真实产品。",
    window_open: "正在报名",
    window_upcoming: "即将开始报名",
    window_closed: "报名已结束",
    countdown_close: "距报名截止还有",
    countdown_open: "距开始报名还有",
    countdown_days: "{d}天 {hms}",
    countdown_day: "{d}天 {hms}",
    enroll_period: "报名时间",
    period_range: "{from} 至 {to}",
    closes_at_time: "{date} {time} 截止",
    coverage_period: "保障期间",
    coverage_rolling: "参保后的下一个{weekday}起保，保障 {months} 个月",
    premiums_title: "保费",
    per_person_year: "每人每年",
    born_on_or_after: "{date}及以后出生",
    born_before: "{date}以前出生",
    born_between: "{from}至{to}（不含）之间出生",
    premium_default: "其他参保人",
    cover_title: "保障内容",
    cover_intro: "不同人群的免赔额和赔付比例不同：",
    deductible: "免赔额",
    no_deductible: "无免赔额",
    none: "无",
    ratio: "赔付比例",
    annual_cap: "年度限额",
    overall_cap: "每人年度总限额",
    shared_deductible: "免赔额“{group}”由{names}合并计算。",
    drug_list_note: "仅限特药清单内的 {n} 种药品。",
    drug_list_show: "查看特药清单",
    preex_title: "既往症说明",
    preex_intro: "患有以下疾病（既往症）的人也可以参保，但属于“{tier}”：免赔额更高、赔付比例更低。",
    preex_continuous: "往年连续参保且当年为标准人群的，今年继续按标准人群保障。",
    refund_note: "保障开始前退保，保费全额退还；保障开始后不退。",
    claim_deadline: "出院后 {n} 年内可申请理赔。",
    cta_estimate: "算一算能赔多少",
    // estimator
    est_title: "赔付测算",
    est_intro: "无需登录。填写医疗费用，估算能赔多少。结果仅供参考，以实际理赔审核为准。",
    step_tier: "第一步：选择人群",
    tier_hint_standard: "没有特定既往症",
    tier_hint_pre_existing: "患有特定既往症之一，如{examples}等",
    tier_mode_check: "不确定，回答问题帮我判断",
    check_question: "您是否患有（或曾经患有）以下疾病？有的请打勾，都没有就不用勾。",
    check_submit: "判断我的人群",
    checking: "正在判断…",
    check_result: "您属于：{tier}",
    check_stale: "勾选已更改，请重新判断。",
    err_choose_tier: "请选择人群，或者回答问题帮您判断。",
    step_costs: "第二步：填写医疗费用（元）",
    step_costs_hint: "没有发生的费用不用填。",
    amount: "费用金额",
    amount_placeholder: "例如 12000",
    other_paid_toggle: "其他保险已报销？（选填）",
    other_paid: "其他保险已报销的金额",
    drugs_title: "特定高额药品",
    drug_search: "搜索特药",
    drug_search_placeholder: "药名、商品名或疾病，如 奕凯达、CAR-T",
    drug_search_hint: "共 {n} 种特药，输入关键字查找。",
    drug_none: "没有找到。不在特药清单内的药品不予赔付。",
    drug_add: "添加",
    drug_added: "已添加",
    drug_remove: "删除",
    drug_amount: "药费",
    drug_count: "找到 {n} 种",
    advanced: "本年度已用额度（选填）",
    advanced_hint: "如果今年已经理赔过，填写已用的免赔额和已赔付金额，测算更准确。",
    ytd_deductible: "“{group}”已用免赔额",
    ytd_paid: "“{name}”今年已赔付",
    submit: "开始测算",
    submitting: "正在计算…",
    err_amount_format: "请输入数字金额，例如 1234.50",
    err_amount_decimals: "最多两位小数（精确到分）",
    err_amount_too_large: "金额太大，请检查",
    err_amount_required: "请输入药费",
    err_other_gt_amount: "已报销金额不能大于费用金额",
    err_other_without_amount: "请先填写费用金额",
    err_no_expense: "请至少填写一项费用。",
    err_fix_fields: "请先修改标红的内容。",
    err_field_rejected: "这一项有误，请检查",
    // result
    result_title: "测算结果",
    result_tier: "按“{tier}”计算",
    result_stale: "您修改了内容，请重新点“开始测算”。",
    total_payout: "预计赔付",
    out_of_pocket: "个人仍需自付",
    line_eligible: "可计入",
    line_deductible: "抵扣免赔额",
    line_ratio: "赔付比例",
    capped_liability: "已达该项年度限额",
    capped_overall: "已达年度总限额",
    not_covered_title: "不予赔付",
    reason_drug_not_on_list: "不在特药清单内",
    reason_other: "不在保障范围内",
    deductible_left: "“{group}”免赔额还剩 {amount}",
    steps_title: "查看详细计算步骤（{n} 步）",
    disclaimer: "测算结果仅供参考，实际赔付以保险公司审核为准。",
  },
  en: {
    app_name: "Huimin Bao",
    lang_toggle: "中文",
    lang_toggle_label: "切换到中文",
    elder_toggle: "Large text",
    elder_on_label: "Large text is on",
    elder_off_label: "Turn on large text and buttons",
    nav_label: "Main",
    nav_home: "Home",
    nav_estimate: "Estimate",
    loading: "Loading, please wait…",
    loading_slow: "The network is slow: still loading, please wait…",
    retry: "Retry",
    err_network: "The network is weak or offline. Please check your connection and tap Retry.",
    err_timeout: "The network is slow and the request timed out. Please tap Retry.",
    err_server: "The service is temporarily unavailable. Please tap Retry later.",
    err_unknown: "Something went wrong. Please try again later.",
    not_found_title: "Page not found",
    back_home: "Back to home",
    yuan: "yuan",
    no_plan_title: "No plan on offer",
    no_plan_text: "There is no Huimin Bao plan on sale or coming up right now. Please watch for official announcements.",
    demo_badge: "Demo",
    demo_note: "This is a demo plan for trying out the service, not a real product.",
    window_open: "Enrollment open",
    window_upcoming: "Enrollment opens soon",
    window_closed: "Enrollment closed",
    countdown_close: "Enrollment closes in",
    countdown_open: "Enrollment opens in",
    countdown_days: "{d} days {hms}",
    countdown_day: "{d} day {hms}",
    enroll_period: "Enrollment",
    period_range: "{from} to {to}",
    closes_at_time: "closes {date} {time}",
    coverage_period: "Coverage",
    coverage_rolling: "Cover starts the next {weekday} after you enroll and lasts {months} months",
    premiums_title: "Premium",
    per_person_year: "per person per year",
    born_on_or_after: "born on or after {date}",
    born_before: "born before {date}",
    born_between: "born on or after {from} and before {to}",
    premium_default: "everyone else",
    cover_title: "What it covers",
    cover_intro: "The deductible and payout ratio depend on the tier:",
    deductible: "Deductible",
    no_deductible: "No deductible",
    none: "None",
    ratio: "Payout ratio",
    annual_cap: "Annual cap",
    overall_cap: "Overall annual cap per person",
    shared_deductible: "The “{group}” deductible is shared by {names}.",
    drug_list_note: "Only the {n} drugs on the special-drug list.",
    drug_list_show: "Show the drug list",
    preex_title: "Pre-existing conditions",
    preex_intro: "People with any of these conditions can still join, but are in the “{tier}”: a higher deductible and lower ratios.",
    preex_continuous: "If you enrolled every year without a break and were in the standard tier, you keep the standard tier.",
    refund_note: "Cancel before cover starts for a full refund; no refund after.",
    claim_deadline: "Claims can be filed within {n} years of discharge.",
    cta_estimate: "Estimate my payout",
    est_title: "Payout estimate",
    est_intro: "No login needed. Enter your medical costs to see roughly what the plan pays. For reference only; the actual claim review decides.",
    step_tier: "Step 1: your tier",
    tier_hint_standard: "No listed pre-existing condition",
    tier_hint_pre_existing: "A listed pre-existing condition, e.g. {examples}",
    tier_mode_check: "Not sure: answer a few questions",
    check_question: "Do you have (or have you had) any of these conditions? Tick those that apply; tick none if none apply.",
    check_submit: "Check my tier",
    checking: "Checking…",
    check_result: "Your tier: {tier}",
    check_stale: "Your answers changed: please check again.",
    err_choose_tier: "Choose a tier, or answer the questions to find out.",
    step_costs: "Step 2: medical costs (yuan)",
    step_costs_hint: "Leave empty what you did not spend.",
    amount: "Amount",
    amount_placeholder: "e.g. 12000",
    other_paid_toggle: "Already paid by other insurance? (optional)",
    other_paid: "Amount paid by other insurance",
    drugs_title: "Special high-cost drugs",
    drug_search: "Search special drugs",
    drug_search_placeholder: "Drug, brand or disease, e.g. Yikaida, CAR-T",
    drug_search_hint: "{n} drugs on the list: type to search.",
    drug_none: "Nothing found. Drugs not on the list are not covered.",
    drug_add: "Add",
    drug_added: "Added",
    drug_remove: "Remove",
    drug_amount: "Drug cost",
    drug_count: "{n} found",
    advanced: "Already used this year (optional)",
    advanced_hint: "If you have claimed this year, enter the deductible used and the amounts paid so far for a closer estimate.",
    ytd_deductible: "“{group}” deductible used",
    ytd_paid: "“{name}” paid so far",
    submit: "Estimate",
    submitting: "Calculating…",
    err_amount_format: "Enter an amount in numbers, e.g. 1234.50",
    err_amount_decimals: "At most two decimals (to the fen)",
    err_amount_too_large: "This amount is too large; please check",
    err_amount_required: "Enter the drug cost",
    err_other_gt_amount: "Cannot be more than the amount",
    err_other_without_amount: "Enter the amount first",
    err_no_expense: "Enter at least one cost.",
    err_fix_fields: "Please fix the fields marked in red.",
    err_field_rejected: "This value was not accepted; please check",
    result_title: "Your estimate",
    result_tier: "Calculated for the “{tier}”",
    result_stale: "You changed something: tap Estimate again.",
    total_payout: "Estimated payout",
    out_of_pocket: "You still pay",
    line_eligible: "Counts",
    line_deductible: "Deductible applied",
    line_ratio: "Ratio",
    capped_liability: "Annual cap of this item reached",
    capped_overall: "Overall annual cap reached",
    not_covered_title: "Not covered",
    reason_drug_not_on_list: "not on the special-drug list",
    reason_other: "not covered",
    deductible_left: "“{group}” deductible left: {amount}",
    steps_title: "Show every step ({n})",
    disclaimer: "For reference only: the insurer's claim review decides the actual payout.",
  },
};

export const LANGS = ["zh", "en"];
const HTML_LANG = { zh: "zh-CN", en: "en" };

let current = readPref("lang") === "en" ? "en" : "zh";
const listeners = [];

export function getLang() {
  return current;
}

export function htmlLang() {
  return HTML_LANG[current];
}

export function setLang(lang) {
  if (LANGS.indexOf(lang) < 0 || lang === current) return;
  current = lang;
  writePref("lang", lang);
  listeners.forEach((fn) => fn(lang));
}

export function onLangChange(fn) {
  listeners.push(fn);
}

export function t(key, vars) {
  let text = STRINGS[current][key];
  if (text === undefined) text = STRINGS.zh[key];
  if (text === undefined) return key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }
  return text;
}

// Like t(), but a variable may be a DOM node: returns the pieces to append.
export function tParts(key, vars) {
  const text = t(key);
  return text.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    return m && m[1] in vars ? vars[m[1]] : part;
  });
}

// Pick the current language out of an API text object {zh, en}.
export function pick(text) {
  if (text === null || text === undefined) return "";
  if (typeof text === "string") return text;
  return text[current] || text.zh || text.en || "";
}
