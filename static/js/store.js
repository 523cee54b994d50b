// Plans fetched once per visit and shared by the screens.
import { get } from "./api.js";

const plans = {};
const resolved = {};
const offsets = typeof WeakMap === "function" ? new WeakMap() : null;

// code: a plan code, or null for the current plan.
export function loadPlan(code) {
  const key = code || "";
  if (!plans[key]) {
    const url = code ? "/api/v1/plans/" + encodeURIComponent(code) : "/api/v1/plans/current";
    plans[key] = get(url).then(
      (plan) => {
        const serverMs = Date.parse(plan && plan.enrollment ? plan.enrollment.server_time : "");
        if (offsets && !isNaN(serverMs)) offsets.set(plan, serverMs - Date.now());
        resolved[key] = plan;
        return plan;
      },
      (err) => {
        delete plans[key];
        throw err;
      },
    );
  }
  return plans[key];
}

// The plan if it has already arrived (screens then draw at once, without a loading flash).
export function cachedPlan(code) {
  return resolved[code || ""] || null;
}

export function forgetPlan(code) {
  delete plans[code || ""];
  delete resolved[code || ""];
}

// The server's clock as of now (the phone's clock may be wrong).
export function serverNow(plan) {
  const offset = offsets && offsets.has(plan) ? offsets.get(plan) : 0;
  return Date.now() + offset;
}

// {code: item} for a list of objects with a code.
export function byCode(items) {
  const out = {};
  (items || []).forEach((item) => {
    out[item.code] = item;
  });
  return out;
}
