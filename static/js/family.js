// The member's family and what the enrollment screens share: persons fetched once per
// visit (dropped when the member changes), labels, ages, the "log in / verify first"
// gate, and idempotency keys for placing orders.
import { h, replace } from "./dom.js";
import { pick, t } from "./i18n.js";
import { ApiError, errorCode, get } from "./api.js";
import { cachedMember, loadMember, onMemberChange, send, updateMember } from "./account.js";
import { byCode, cachedPlan, loadPlan } from "./store.js";
import { card, showError, showLoading } from "./ui.js";
import { loginCard } from "./screens/me.js";

const PERSONS = "/api/v1/me/persons";
export const GUARDIAN_CONSENT_UNDER = 14;

let persons = null;
let pending = null;

onMemberChange(() => {
  persons = null;
  pending = null;
});

// The family (the member first), asked once per visit unless `fresh`.
export function loadPersons(fresh) {
  if (persons && !fresh) return Promise.resolve(persons);
  if (!pending || fresh) {
    const asked = get(PERSONS).then((list) => {
      if (pending === asked) {
        persons = list;
        pending = null;
      }
      return list;
    }, (err) => {
      if (pending === asked) pending = null;
      throw err;
    });
    pending = asked;
  }
  return pending;
}

export async function addPerson(body) {
  const person = await send("POST", PERSONS, body);
  if (persons) persons = persons.concat([person]);
  return person;
}

export function personById(list, id) {
  return (list || []).filter((p) => p.id === id)[0] || null;
}

export function relationName(relation) {
  const key = "rel_" + relation;
  const text = t(key);
  return text === key ? relation : text;
}

// "林**（配偶）"
export function personLabel(person) {
  return t("person_label", { name: person.name_masked, relation: relationName(person.relation) });
}

// --- dates ------------------------------------------------------------------------

// Today's calendar date in a timezone, "YYYY-MM-DD" (the phone's own zone may differ).
export function todayIn(timeZone, ms) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date(ms === undefined ? Date.now() : ms));
  const get2 = (type) => parts.filter((p) => p.type === type)[0].value;
  return get2("year") + "-" + get2("month") + "-" + get2("day");
}

// The birth date in an 18-character resident ID number, "YYYY-MM-DD", or null.
export function birthFromId(number) {
  const m = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$/.exec(String(number || ""));
  return m ? m[1] + "-" + m[2] + "-" + m[3] : null;
}

// Whole years of age on a day (both "YYYY-MM-DD").
export function ageOn(birth, day) {
  const b = String(birth).split("-").map(Number);
  const d = String(day).split("-").map(Number);
  let years = d[0] - b[0];
  if (d[1] < b[1] || (d[1] === b[1] && d[2] < b[2])) years -= 1;
  return years;
}

// A child under 14 on `day` needs the guardian's consent to be enrolled.
export function needsGuardian(person, day) {
  return person.relation === "child" && !!person.birth_date
    && ageOn(person.birth_date, day) < GUARDIAN_CONSENT_UNDER;
}

// --- plans ------------------------------------------------------------------------

// A plan by code, reusing the current plan when it is the one.
export function planByCode(code) {
  const current = cachedPlan(null);
  if (current && current.code === code) return Promise.resolve(current);
  return loadPlan(code);
}

export function tierName(plan, code) {
  const tier = plan ? byCode(plan.tiers)[code] : null;
  return tier ? pick(tier.name) : code;
}

export function premiumRuleName(plan, code) {
  const rule = plan ? byCode(plan.premiums)[code] : null;
  return rule ? pick(rule.name) : code;
}

// --- the gate: logged in and verified ------------------------------------------------

// Draws the login card (logged out) or the verification prompt (not verified) in
// `outlet`; calls `ready(member)` when the member may go on. `next`: where the login
// comes back to ("/#/enroll").
export function requireVerified(outlet, titleKey, next, isAlive, ready) {
  const again = () => requireVerified(outlet, titleKey, next, isAlive, ready);
  const member = cachedMember();
  if (member === undefined) {
    showLoading(outlet);
    loadMember().then(() => isAlive() && again(), (err) => isAlive() && showError(outlet, err, again));
    return;
  }
  if (!member) {
    replace(outlet, h("div", { class: "screen" },
      loginCard(titleKey, "gate_login_text", next, "gate-login", true)));
    return;
  }
  if (!member.verified) {
    replace(outlet, h("div", { class: "screen" }, card(null, "gate-verify",
      h("h1", { class: "card-title", text: t(titleKey) }),
      h("p", { text: t("gate_verify_text") }),
      h("a", { class: "btn btn-primary btn-block btn-large", href: "#/verify", testid: "gate-verify-cta",
        text: t("verify_cta") }))));
    return;
  }
  ready(member);
}

// An answer that means "log in again" or "verify first": the member is asked again and
// the gate drawn by `redraw`. True when handled.
export function gateError(err, redraw) {
  if (!(err instanceof ApiError) || err.kind !== "http") return false;
  if (err.status === 401) {
    updateMember(null);
    redraw();
    return true;
  }
  if (err.status === 403 && errorCode(err) === "real_name_required") {
    loadMember(true).then(redraw, redraw);
    return true;
  }
  return false;
}

// --- idempotency ------------------------------------------------------------------------

// A random UUID (v4) for the Idempotency-Key header.
export function newKey() {
  const c = window.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.prototype.map.call(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
  return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20)
    + "-" + hex.slice(20);
}
