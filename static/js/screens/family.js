// Family members: the list (masked, with the roster check) and the form to add a spouse,
// child or parent (name + ID number, checked by the server against the BMI roster; the
// guardian's consent for a child under 14). What was typed lives in `S` (a language
// switch keeps it) and is dropped on success or when the member leaves.
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { errorCode, errorText, fieldErrors } from "../api.js";
import { formatDate } from "../format.js";
import { card, showError, showLoading } from "../ui.js";
import {
  addPerson, birthFromId, gateError, loadPersons, needsGuardian, personLabel, relationName,
  requireVerified, todayIn,
} from "../family.js";
import { normaliseId } from "./verify.js";

const TZ = "Asia/Shanghai";
const ADDABLE = ["spouse", "child", "parent"];
const ID_SHAPE = /^\d{17}[\dX]$/;
const FIELDS = ["relation", "name", "id_number", "guardian_consent"];

let S = null;
let mounted = false;
let redraw = null;

function fresh() {
  return {
    relation: "", name: "", id_number: "", guardian: false,
    errors: {}, formError: null, newborn: null, busy: false, added: null,
  };
}

function message(e) {
  if (!e) return "";
  return e.k ? t(e.k) : errorText(e.err);
}

function rosterText(check) {
  return check === "normal" ? t("roster_normal") : t("roster_other", { status: check || "—" });
}

function personItem(person, today) {
  const guardian = person.relation === "child" && needsGuardian(person, today);
  return h("li", { class: "person", testid: "person-" + person.id, "data-relation": person.relation },
    h("div", { class: "person-head" },
      h("span", { class: "rel-badge", text: relationName(person.relation) }),
      h("strong", { class: "person-name", testid: "person-name", text: person.name_masked })),
    h("p", { class: "person-meta" },
      h("span", { class: "nowrap", testid: "person-id", text: person.id_number_masked }),
      h("span", { class: "nowrap", text: formatDate(person.birth_date) })),
    h("p", { class: "person-flags" },
      h("span", { class: "badge " + (person.roster_check === "normal" ? "badge-ok" : "badge-warn"),
        testid: "roster-check", "data-check": person.roster_check, text: rosterText(person.roster_check) }),
      guardian ? h("span", {
        class: "badge " + (person.guardian_consent ? "badge-ok" : "badge-warn"), testid: "guardian",
        text: t(person.guardian_consent ? "guardian_ok" : "guardian_missing"),
      }) : null));
}

export default {
  titleKey: "family_title",
  render(outlet) {
    mounted = true;
    let alive = true;
    if (!S) S = fresh();
    let V = null;

    function show() {
      V = null;
      requireVerified(outlet, "family_title", "/#/family", () => alive, load);
    }

    function load() {
      showLoading(outlet);
      loadPersons().then((list) => alive && draw(list), (err) => {
        if (!alive || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function field(key, labelKey, hintKey, attrs) {
      const id = "fam-" + key.replace(/_/g, "-");
      const err = h("p", { class: "field-error", id: id + "-err", testid: "error-" + key, hidden: true });
      const input = h("input", Object.assign({
        id: id, type: "text", class: "input", value: S[key],
        "aria-describedby": id + "-hint " + id + "-err",
      }, attrs));
      input.addEventListener("input", () => {
        S[key] = input.value;
        clearError(key);
      });
      const wrap = h("div", { class: "field", testid: "field-" + key },
        h("label", { class: "field-label", for: id, text: t(labelKey) }),
        h("p", { class: "hint", id: id + "-hint", text: t(hintKey) }), input, err);
      return { wrap: wrap, input: input, err: err };
    }

    function clearError(key) {
      if (!S.errors[key] && !(key === "id_number" && S.newborn)) return;
      delete S.errors[key];
      if (key === "id_number") S.newborn = null;
      renderErrors();
    }

    function relationField() {
      const err = h("p", { class: "field-error", id: "fam-relation-err", testid: "error-relation", hidden: true });
      const group = h("div", { class: "options options-row", role: "radiogroup", "aria-labelledby": "fam-relation-label",
        "aria-describedby": "fam-relation-err" },
      ADDABLE.map((rel) => h("label", { class: "option" },
        h("input", { type: "radio", name: "relation", value: rel, testid: "relation-" + rel,
          checked: S.relation === rel,
          onchange: () => {
            S.relation = rel;
            clearError("relation");
            V.guardianBox.hidden = rel !== "child";
          } }),
        h("span", { text: relationName(rel) }))));
      const wrap = h("div", { class: "field", testid: "field-relation" },
        h("p", { class: "field-label", id: "fam-relation-label", text: t("relation_label") }), group, err);
      return { wrap: wrap, input: group.querySelector("input"), err: err };
    }

    function guardianField() {
      const err = h("p", { class: "field-error", id: "fam-guardian-err", testid: "error-guardian_consent",
        hidden: true });
      const input = h("input", { type: "checkbox", id: "fam-guardian", testid: "guardian-consent",
        checked: S.guardian, "aria-describedby": "fam-guardian-hint fam-guardian-err" });
      input.addEventListener("change", () => {
        S.guardian = input.checked;
        clearError("guardian_consent");
      });
      const wrap = h("div", { class: "field", testid: "field-guardian_consent", hidden: S.relation !== "child" },
        h("label", { class: "check-row", for: "fam-guardian" }, input, h("span", { text: t("guardian_label") })),
        h("p", { class: "hint", id: "fam-guardian-hint", text: t("guardian_hint") }), err);
      return { wrap: wrap, input: input, err: err };
    }

    function draw(list) {
      const today = todayIn(TZ);
      V = {};
      V.relation = relationField();
      V.name = field("name", "name_label", "name_hint", {
        testid: "person-name-input", autocomplete: "off", maxlength: "50", enterkeyhint: "next",
      });
      V.id_number = field("id_number", "id_label", "id_hint", {
        testid: "person-id-input", inputmode: "text", autocapitalize: "characters", maxlength: "18",
        autocomplete: "off", autocorrect: "off", spellcheck: "false", enterkeyhint: "done",
      });
      V.id_number.input.addEventListener("blur", () => {
        const clean = normaliseId(V.id_number.input.value);
        if (clean !== V.id_number.input.value) {
          V.id_number.input.value = clean;
          S.id_number = clean;
        }
      });
      V.guardian_consent = guardianField();
      V.guardianBox = V.guardian_consent.wrap;
      V.newborn = h("div", { class: "notice notice-warn", role: "alert", tabindex: "-1", testid: "newborn-notice",
        hidden: true });
      V.formError = h("p", { class: "form-error", role: "alert", tabindex: "-1", testid: "form-error", hidden: true });
      V.submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large",
        testid: "add-person-submit", text: t("add_person_submit") });
      V.added = S.added ? h("p", { class: "notice notice-ok", role: "status", tabindex: "-1", testid: "family-notice",
        text: t("person_added", { person: personLabel(S.added) }) }) : null;
      const canEnroll = list.length > 0;
      replace(outlet, h("div", { class: "screen", testid: "family" },
        h("header", { class: "screen-head" },
          h("h1", { class: "screen-title", text: t("family_title") }),
          h("p", { class: "muted", text: t("family_intro") })),
        V.added,
        card(null, "family-list",
          h("ul", { class: "person-list" }, list.map((p) => personItem(p, today))),
          canEnroll ? h("a", { class: "btn btn-secondary btn-block family-enroll", href: "#/enroll",
            testid: "family-enroll", text: t("go_enroll") }) : null),
        h("form", { class: "card", novalidate: true, testid: "add-person-form",
          onsubmit: (ev) => {
            ev.preventDefault();
            submit();
          } },
        h("h2", { class: "card-title", text: t("add_person_title") }),
        V.newborn, V.relation.wrap, V.name.wrap, V.id_number.wrap, V.guardian_consent.wrap,
        V.formError, V.submit)));
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
        if (key !== "relation") {
          if (e) f.input.setAttribute("aria-invalid", "true");
          else f.input.removeAttribute("aria-invalid");
        }
      });
      V.formError.hidden = !S.formError;
      V.formError.textContent = message(S.formError);
      V.newborn.hidden = !S.newborn;
      replace(V.newborn, S.newborn ? [
        h("strong", { class: "notice-title", text: t("newborn_title") }),
        h("p", { testid: "newborn-text", text: message(S.newborn) }),
      ] : []);
    }

    function setBusy(busy) {
      S.busy = busy;
      if (!V) return;
      V.submit.disabled = busy;
      V.submit.textContent = t(busy ? "verifying" : "add_person_submit");
    }

    function focusProblem() {
      if (!V) return;
      const first = FIELDS.filter((key) => S.errors[key])[0];
      if (first) V[first].input.focus();
      else if (S.newborn) V.newborn.focus();
      else if (S.formError) V.formError.focus();
    }

    function submit() {
      if (S.busy) return;
      const name = S.name.trim();
      const number = normaliseId(S.id_number);
      if (number !== S.id_number) {
        S.id_number = number;
        V.id_number.input.value = number;
      }
      S.errors = {};
      S.formError = null;
      S.newborn = null;
      S.added = null;
      if (V.added) V.added.hidden = true;
      if (ADDABLE.indexOf(S.relation) < 0) S.errors.relation = { k: "err_relation_required" };
      if (!name) S.errors.name = { k: "err_name_required" };
      if (!ID_SHAPE.test(number)) S.errors.id_number = { k: "err_id_format" };
      const born = birthFromId(number);
      if (S.relation === "child" && !S.guardian && !S.errors.id_number && born
          && needsGuardian({ relation: "child", birth_date: born }, todayIn(TZ))) {
        S.errors.guardian_consent = { k: "err_guardian_required" };
      }
      renderErrors();
      if (Object.keys(S.errors).length) {
        focusProblem();
        return;
      }
      setBusy(true);
      const state = S;
      addPerson({
        relation: S.relation, name: name, id_number: number,
        guardian_consent: S.relation === "child" && S.guardian,
      }).then((person) => {
        if (S !== state) return;
        S = fresh();
        S.added = person;
        if (!mounted) return;
        refresh();
        const note = outlet.querySelector('[data-testid="family-notice"]');
        if (note) note.focus();
      }, (err) => {
        if (S !== state) return;
        S.busy = false;
        if (gateError(err, refresh)) return;
        const code = errorCode(err);
        if (err.status === 422) {
          const fields = fieldErrors(err);
          FIELDS.forEach((key) => {
            if (key in fields) S.errors[key] = { err: err };
          });
        }
        if (code === "newborn_not_registered") {
          S.newborn = { err: err };
          delete S.errors.id_number; // the notice above the form says it all
        }
        if (!Object.keys(S.errors).length && !S.newborn) S.formError = { err: err };
        if (!alive || !V) {
          refresh();
          return;
        }
        setBusy(false);
        renderErrors();
        focusProblem();
      });
    }

    function refresh() {
      if (redraw) redraw();
    }

    redraw = show;
    show();
    return () => {
      alive = false;
      mounted = false;
      if (redraw === show) redraw = null;
      setTimeout(() => {
        if (!mounted) S = null;
      }, 0);
    };
  },
};
