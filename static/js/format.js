// Money, ratios, dates and durations. Money is integer fen: formatting and
// parsing work on digit strings, never on floating-point yuan.
import { getLang } from "./i18n.js";

// 5600000 -> "56,000.00"
export function fenToYuan(fen) {
  if (typeof fen !== "number" || !Number.isSafeInteger(fen)) return "—";
  let digits = String(Math.abs(fen));
  while (digits.length < 3) digits = "0" + digits;
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (fen < 0 ? "-" : "") + whole + "." + digits.slice(-2);
}

// "56,000.00 元" in Chinese, "¥56,000.00" in English.
export function money(fen) {
  const text = fenToYuan(fen);
  if (text === "—") return text;
  if (getLang() === "en") return text.charAt(0) === "-" ? "-¥" + text.slice(1) : "¥" + text;
  return text + " 元";
}

// 8000 -> "80%", 8050 -> "80.5%", 8055 -> "80.55%"
export function percent(bp) {
  if (typeof bp !== "number" || !Number.isSafeInteger(bp) || bp < 0) return "—";
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  if (rest === 0) return whole + "%";
  let dec = (rest < 10 ? "0" : "") + rest;
  if (dec.charAt(1) === "0") dec = dec.charAt(0);
  return whole + "." + dec + "%";
}

const MAX_WHOLE_YUAN_DIGITS = 10; // up to 9,999,999,999.99 yuan: far above any cap

// Parse what a member typed in yuan into integer fen.
// Accepts full-width digits, "，" or "," separators, "¥" and "元".
// Returns {ok: true, fen} or {ok: false, error: "empty" | "format" | "decimals" | "too_large"}.
export function parseYuan(input) {
  let s = String(input === undefined || input === null ? "" : input);
  s = s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  s = s.replace(/[．。]/g, ".").replace(/[\s,，¥￥元]/g, "");
  if (s === "") return { ok: false, error: "empty" };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === "" && !m[2])) return { ok: false, error: "format" };
  const wholeText = m[1].replace(/^0+(?=\d)/, "") || "0";
  const decText = m[2] || "";
  if (decText.length > 2) return { ok: false, error: "decimals" };
  if (wholeText.length > MAX_WHOLE_YUAN_DIGITS) return { ok: false, error: "too_large" };
  const fen = parseInt(wholeText, 10) * 100 + parseInt((decText + "00").slice(0, 2), 10);
  return { ok: true, fen: fen };
}

function locale() {
  return getLang() === "en" ? "en-GB" : "zh-CN";
}

const formatters = {};
function formatter(key, options) {
  const k = locale() + "|" + key;
  if (!formatters[k]) formatters[k] = new Intl.DateTimeFormat(locale(), options);
  return formatters[k];
}

// "2023-07-01" (a calendar date of the plan) -> "2023年7月1日" / "1 July 2023".
export function formatDate(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(ymd || ""));
  if (!m) return String(ymd || "—");
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return formatter("date-utc", { timeZone: "UTC", year: "numeric", month: "long", day: "numeric" })
    .format(d);
}

// An instant shown as a date in the plan's timezone.
export function formatInstantDate(ms, timeZone) {
  return formatter("date-" + timeZone, { timeZone: timeZone, year: "numeric", month: "long", day: "numeric" })
    .format(new Date(ms));
}

// An instant's local time of day ("00:00") in the plan's timezone.
export function formatInstantTime(ms, timeZone) {
  const parts = formatter("time-" + timeZone, {
    timeZone: timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ms));
  let hour = "00";
  let minute = "00";
  parts.forEach((p) => {
    if (p.type === "hour") hour = p.value;
    if (p.type === "minute") minute = p.value;
  });
  return (hour === "24" ? "00" : hour) + ":" + minute;
}

// Python weekday (0 = Monday) -> "星期一" / "Monday".
export function weekdayName(pyWeekday) {
  const d = new Date(Date.UTC(2024, 0, 1 + Number(pyWeekday))); // 2024-01-01 was a Monday
  return formatter("weekday", { timeZone: "UTC", weekday: "long" }).format(d);
}

function pad2(n) {
  return (n < 10 ? "0" : "") + n;
}

// Milliseconds -> {days, hms: "hh:mm:ss"} (never negative).
export function splitDuration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  return { days: days, hms: pad2(h) + ":" + pad2(m) + ":" + pad2(s - m * 60) };
}
