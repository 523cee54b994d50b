// JSON over fetch, with a timeout for weak networks and the service's one error shape:
// {code, status, error, message, message_zh, errors: {json: {...}}}.
import { getLang, t } from "./i18n.js";

const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  // kind: "network" (offline / connection lost), "timeout", or "http" (an error response)
  constructor(kind, status, body) {
    super(kind + (status ? " " + status : ""));
    this.kind = kind;
    this.status = status || 0;
    this.body = body || null;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function once(method, path, body, extraHeaders) {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = setTimeout(() => controller && controller.abort(), TIMEOUT_MS);
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (extraHeaders) Object.keys(extraHeaders).forEach((k) => { headers[k] = extraHeaders[k]; });
  try {
    let res;
    try {
      res = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller ? controller.signal : undefined,
      });
    } catch (e) {
      throw new ApiError(controller && controller.signal.aborted ? "timeout" : "network");
    }
    if (res.status === 204) return null; // No Content (e.g. logout)
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      if (controller && controller.signal.aborted) throw new ApiError("timeout");
      data = null;
    }
    if (!res.ok) throw new ApiError("http", res.status, data);
    if (data === null) throw new ApiError("http", res.status, null);
    return data;
  } finally {
    clearTimeout(timer);
  }
}

// GET is retried once after a pause when the network drops (a common blip on phones).
// `headers`: extra request headers (e.g. the CSRF token of a write).
export async function request(method, path, body, headers) {
  try {
    return await once(method, path, body, headers);
  } catch (err) {
    if (method === "GET" && err instanceof ApiError && err.kind === "network") {
      await sleep(1200);
      return once(method, path, body, headers);
    }
    throw err;
  }
}

export function get(path) {
  return request("GET", path);
}

export function post(path, body) {
  return request("POST", path, body);
}

// The machine code of an error response ("login_required", "csrf_failed", …) or "".
export function errorCode(err) {
  return err instanceof ApiError && err.body && typeof err.body.error === "string" ? err.body.error : "";
}

// The message to show for an error, in the current language.
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.kind === "network") return t("err_network");
    if (err.kind === "timeout") return t("err_timeout");
    const b = err.body;
    if (b) {
      const text = getLang() === "zh" ? b.message_zh || b.message : b.message || b.message_zh;
      if (text) return text;
    }
    if (err.status >= 500 || err.status === 0) return t("err_server");
  }
  return t("err_unknown");
}

// Field errors of a 422 as {"expenses.0.amount_fen": "message", ...}.
export function fieldErrors(err) {
  const out = {};
  const root = err instanceof ApiError && err.body && err.body.errors;
  if (!root || typeof root !== "object") return out;
  function walk(node, path) {
    if (Array.isArray(node)) {
      if (node.every((x) => typeof x === "string")) out[path] = node.join(" ");
      else node.forEach((x, i) => walk(x, path ? path + "." + i : String(i)));
    } else if (node && typeof node === "object") {
      Object.keys(node).forEach((k) => walk(node[k], path ? path + "." + k : k));
    } else if (typeof node === "string") {
      out[path] = node;
    }
  }
  Object.keys(root).forEach((location) => walk(root[location], ""));
  return out;
}
