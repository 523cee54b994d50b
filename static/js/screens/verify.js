// Real-name verification: the consent to process sensitive personal information
// (agree or refuse, recorded on the server), then name + ID number. The phone checks
// only the shape of the number; the server checks it (GB 11643) against the roster and
// its field errors are shown next to the field. What was typed lives in `S` (so a
// language switch keeps it) and is dropped on success or when the member leaves.
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { errorCode, errorText, fieldErrors, get } from "../api.js";
import { cachedMember, loadMember, send, sessionEnded, setFlash, updateMember } from "../account.js";
import { go } from "../router.js";
import { card, showError, showLoading } from "../ui.js";
import { loginCard } from "./me.js";

const CONSENT_KIND = "sensitive_personal_information";
const ID_SHAPE = /^\d{17}[\dX]$/;
const FIELDS = ["name", "id_number"];

let S = null; // the member's input and the screen's state
let consent = null; // the consent text (public; fetched once per visit)
let mounted = false;
let redraw = null; // the current drawing's show(): async answers may outlive a drawing

function refresh() {
  if (redraw) redraw();
}

function fresh() {
  return {
    name: "", id_number: "", errors: {}, formError: null, busy: false,
    ticked: false, consentError: null, consentBusy: false, refused: false,
  };
}

// Full-width digits and letters (Chinese keyboards) to ASCII, spaces out, x -> X.
export function normaliseId(value) {
  return String(value || "")
    .replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\s+/g, "")
    .toUpperCase();
}

// An error to show: {k: i18n key} (found on the phone) or {err: ApiError} (from the server).
function message(e) {
  if (!e) return "";
  return e.k ? t(e.k) : errorText(e.err);
}

function withConsent(granted) {
  const member = cachedMember();
  if (member) updateMember(Object.assign({}, member, { consent_granted: granted }));
}

export default {
  titleKey: "verify_title",
  render(outlet) {
    mounted = true;
    let alive = true;
    if (!S) S = fresh();
    let V = null; // the elements of the form, while it is shown

    function head() {
      return h("header", { class: "screen-head" },
        h("h1", { class: "screen-title", text: t("verify_title") }),
        h("p", { class: "muted", text: t("verify_intro") }));
    }

    // Which step to show: login, already verified, refused, consent or the form.
    function show() {
      V = null;
      const member = cachedMember();
      if (member === undefined) {
        showLoading(outlet);
        loadMember().then(() => alive && show(), (err) => alive && showError(outlet, err, show));
        return;
      }
      if (!member) {
        replace(outlet, h("div", { class: "screen" },
          loginCard("verify_title", "login_to_verify", "/#/verify", "verify-login", true)));
      } else if (member.verified) {
        replace(outlet, h("div", { class: "screen" }, card(null, "verify-done",
          h("h1", { class: "card-title", text: t("verify_title") }),
          h("p", { text: t("already_verified") }),
          h("a", { class: "btn btn-primary btn-block", href: "#/me", testid: "go-me", text: t("go_me") }))));
      } else if (S.refused) {
        drawRefused();
      } else if (!member.consent_granted) {
        if (consent) drawConsent();
        else loadConsent();
      } else {
        drawForm();
      }
    }

    // --- consent ----------------------------------------------------------------

    function loadConsent() {
      showLoading(outlet);
      get("/api/v1/consent-texts/" + CONSENT_KIND).then((text) => {
        consent = text;
        if (alive) show();
      }, (err) => alive && showError(outlet, err, loadConsent));
    }

    function drawConsent() {
      const body = String(pick(consent.body) || "").split(/\n+/).filter(Boolean);
      const check = h("input", { type: "checkbox", id: "consent-check", testid: "consent-check",
        checked: S.ticked, "aria-describedby": "consent-err" });
      const err = h("p", { class: "field-error", id: "consent-err", role: "alert", testid: "consent-error",
        hidden: !S.consentError, text: message(S.consentError) });
      const agree = h("button", { type: "button", class: "btn btn-primary btn-block btn-large",
        testid: "consent-agree", text: t(S.consentBusy ? "sending" : "consent_agree"), disabled: S.consentBusy });
      const refuse = h("button", { type: "button", class: "btn btn-secondary btn-block",
        testid: "consent-refuse", text: t("consent_refuse"), disabled: S.consentBusy });
      check.addEventListener("change", () => {
        S.ticked = check.checked;
        if (S.ticked && S.consentError && S.consentError.k) {
          S.consentError = null;
          err.hidden = true;
        }
      });
      agree.addEventListener("click", () => {
        if (!S.ticked) {
          S.consentError = { k: "err_consent_tick" };
          err.textContent = message(S.consentError);
          err.hidden = false;
          check.focus();
          return;
        }
        answer(true);
      });
      refuse.addEventListener("click", () => answer(false));
      replace(outlet, h("div", { class: "screen" },
        head(),
        h("section", { class: "card consent", testid: "consent" },
          h("h2", { class: "card-title", testid: "consent-title", text: pick(consent.title) }),
          h("div", { class: "consent-body", testid: "consent-body" },
            body.map((p) => h("p", { text: p }))),
          h("label", { class: "check-row consent-check", for: "consent-check" },
            check, h("span", { text: t("consent_read") })),
          err,
          h("div", { class: "actions" }, agree, refuse))));
    }

    function answer(granted) {
      const state = S;
      const version = consent.version;
      S.consentBusy = true;
      S.consentError = null;
      show();
      send("POST", "/api/v1/me/consents", { kind: CONSENT_KIND, terms_version: version, granted: granted })
        .then(() => {
          if (S !== state) return; // the member left meanwhile
          S.consentBusy = false;
          withConsent(granted);
          if (!granted) S.refused = true;
          if (!alive) {
            refresh(); // drawn again meanwhile (language switch)
            return;
          }
          show();
          const target = granted ? V && V.name.input : outlet.querySelector('[data-testid="consent-refused"] h2');
          if (target) target.focus();
        }, (err) => {
          if (S !== state) return;
          S.consentBusy = false;
          if (!sessionEnded(err)) {
            if (!granted) {
              S.refused = true; // refused either way: the form is not offered
            } else {
              S.consentError = { err: err };
              if (errorCode(err) === "consent_version_outdated") {
                consent = null; // the text changed: read the new one
                S.ticked = false;
              }
            }
          }
          refresh();
        });
    }

    function drawRefused() {
      replace(outlet, h("div", { class: "screen" },
        head(),
        h("section", { class: "card refused", testid: "consent-refused" },
          h("h2", { class: "card-title", tabindex: "-1", text: t("consent_refused_title") }),
          h("p", { text: t("consent_refused_text") }),
          h("div", { class: "actions" },
            h("button", { type: "button", class: "btn btn-primary btn-block", testid: "consent-again",
              text: t("consent_again"), onclick: () => {
                S.refused = false;
                S.ticked = false;
                show();
              } }),
            h("a", { class: "btn btn-secondary btn-block", href: "#/", text: t("back_home") })))));
    }

    // --- name and ID number -------------------------------------------------------

    function field(key, labelKey, hintKey, attrs) {
      const id = "v-" + key.replace(/_/g, "-");
      const hint = h("p", { class: "hint", id: id + "-hint", text: t(hintKey) });
      const err = h("p", { class: "field-error", id: id + "-err", testid: "error-" + key, hidden: true });
      const input = h("input", Object.assign({
        id: id, type: "text", class: "input", value: S[key],
        "aria-describedby": id + "-hint " + id + "-err",
      }, attrs));
      input.addEventListener("input", () => {
        S[key] = input.value;
        if (S.errors[key]) {
          delete S.errors[key];
          renderErrors();
        }
      });
      const wrap = h("div", { class: "field", testid: "field-" + key },
        h("label", { class: "field-label", for: id, text: t(labelKey) }), hint, input, err);
      return { wrap: wrap, input: input, err: err };
    }

    function drawForm() {
      V = {};
      V.name = field("name", "name_label", "name_hint", {
        testid: "verify-name", autocomplete: "name", maxlength: "50", enterkeyhint: "next",
      });
      V.id_number = field("id_number", "id_label", "id_hint", {
        testid: "verify-id-number", inputmode: "text", autocapitalize: "characters", maxlength: "18",
        autocomplete: "off", autocorrect: "off", spellcheck: "false", enterkeyhint: "done",
      });
      V.id_number.input.addEventListener("blur", () => {
        const clean = normaliseId(V.id_number.input.value);
        if (clean !== V.id_number.input.value) {
          V.id_number.input.value = clean;
          S.id_number = clean;
        }
      });
      V.formError = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error",
        hidden: true });
      V.submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large",
        testid: "verify-submit", text: t("verify_submit") });
      replace(outlet, h("form", { class: "screen", novalidate: true, testid: "verify-form",
        onsubmit: (ev) => {
          ev.preventDefault();
          submit();
        } },
      head(),
      h("section", { class: "card" },
        h("p", { class: "note consent-ok", testid: "consent-ok",
          text: t("consent_done", { title: consent ? pick(consent.title) : "" }) }),
        V.name.wrap, V.id_number.wrap, V.formError, V.submit)));
      if (!consent) {
        // the note names the text: fetch it quietly (the form does not wait for it)
        get("/api/v1/consent-texts/" + CONSENT_KIND).then((text) => {
          consent = text;
          const note = outlet.querySelector('[data-testid="consent-ok"]');
          if (alive && note) note.textContent = t("consent_done", { title: pick(text.title) });
        }, () => {});
      }
      renderErrors();
      setBusy(S.busy);
    }

    function renderErrors() {
      if (!V) return;
      FIELDS.forEach((key) => {
        const f = V[key];
        const e = S.errors[key];
        f.wrap.classList.toggle("has-error", !!e);
        f.err.hidden = !e;
        f.err.textContent = message(e);
        if (e) f.input.setAttribute("aria-invalid", "true");
        else f.input.removeAttribute("aria-invalid");
      });
      V.formError.hidden = !S.formError;
      V.formError.textContent = message(S.formError);
    }

    function setBusy(busy) {
      S.busy = busy;
      if (!V) return;
      V.submit.disabled = busy;
      V.submit.textContent = t(busy ? "verifying" : "verify_submit");
    }

    function focusProblem() {
      if (!V) return;
      const first = FIELDS.filter((key) => S.errors[key])[0];
      if (first) V[first].input.focus();
      else if (S.formError) V.formError.focus();
    }

    function submit() {
      if (S.busy) return;
      const name = S.name.trim();
      const number = normaliseId(S.id_number);
      S.errors = {};
      S.formError = null;
      if (!name) S.errors.name = { k: "err_name_required" };
      if (!ID_SHAPE.test(number)) S.errors.id_number = { k: "err_id_format" };
      if (number !== S.id_number) {
        S.id_number = number;
        V.id_number.input.value = number;
      }
      renderErrors();
      if (S.errors.name || S.errors.id_number) {
        focusProblem();
        return;
      }
      setBusy(true);
      const state = S;
      send("POST", "/api/v1/me/real-name", { name: name, id_number: number }).then((member) => {
        S = fresh(); // the typed ID number is not kept
        updateMember(member);
        if (!mounted) return;
        setFlash("verified");
        go("/me");
      }, (err) => {
        if (S !== state) return; // the member left meanwhile
        S.busy = false;
        const code = errorCode(err);
        if (sessionEnded(err)) {
          refresh();
          return;
        }
        if (code === "consent_required") {
          withConsent(false);
          S.consentError = { err: err };
          refresh();
          return;
        }
        if (err.status === 422) {
          const fields = fieldErrors(err);
          FIELDS.forEach((key) => {
            if (key in fields) S.errors[key] = { err: err };
          });
        }
        if (!S.errors.name && !S.errors.id_number) S.formError = { err: err };
        if (code === "already_bound") loadMember(true).catch(() => {});
        if (!alive || !V) {
          refresh();
          return;
        }
        setBusy(false);
        renderErrors();
        focusProblem();
      });
    }

    redraw = show;
    show();
    return () => {
      alive = false;
      mounted = false;
      if (redraw === show) redraw = null;
      // A language switch draws the screen again at once; leaving it forgets what was typed.
      setTimeout(() => {
        if (!mounted) S = null;
      }, 0);
    };
  },
};
