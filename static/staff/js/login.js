// The staff login: username, password and the authenticator's 6-digit code.
import { h, replace } from "../../js/dom.js";
import { errorText } from "../../js/api.js";
import { t } from "../../js/i18n.js";
import { go } from "../../js/router.js";
import { currentStaff, login } from "./session.js";
import { field, notice, takeFlash } from "./common.js";

// Only a path of this console (never another site) may be the place to go back to.
function safeNext(next) {
  if (!next || next.charAt(0) !== "/" || next.charAt(1) === "/" || next.indexOf("/login") === 0) {
    return "/queue";
  }
  return next;
}

export default {
  titleKey: "s_login_title",
  render(outlet, current) {
    const next = safeNext(current.query.next);
    if (currentStaff()) {
      go(next);
      return;
    }
    const flash = takeFlash();
    const username = field(t("s_username"), h("input", {
      type: "text", name: "username", autocomplete: "username", autocapitalize: "none",
      spellcheck: "false", required: true, testid: "login-username",
    }));
    const password = field(t("s_password"), h("input", {
      type: "password", name: "password", autocomplete: "current-password", required: true,
      testid: "login-password",
    }));
    const totp = field(t("s_totp"), h("input", {
      type: "text", name: "totp", inputmode: "numeric", autocomplete: "one-time-code",
      maxlength: "6", pattern: "[0-9]{6}", required: true, testid: "login-totp", class: "input-code",
    }), t("s_totp_hint"));
    const status = h("div", { class: "form-status", "aria-live": "polite" });
    const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", testid: "login-submit",
      text: t("s_login_submit") });

    async function onSubmit(ev) {
      ev.preventDefault();
      const u = username.control.value.trim();
      const p = password.control.value;
      const code = totp.control.value.replace(/\s/g, "");
      username.setError(u ? "" : t("s_err_required"));
      password.setError(p ? "" : t("s_err_required"));
      totp.setError(/^\d{6}$/.test(code) ? "" : t("s_err_totp_format"));
      if (!u || !p || !/^\d{6}$/.test(code)) {
        replace(status);
        return;
      }
      submit.disabled = true;
      submit.textContent = t("s_logging_in");
      replace(status);
      try {
        await login(u, p, code);
        go(next);
      } catch (err) {
        submit.disabled = false;
        submit.textContent = t("s_login_submit");
        password.control.value = "";
        totp.control.value = "";
        replace(status, notice("error", errorText(err), "login-error"));
        password.control.focus();
      }
    }

    replace(outlet, h("section", { class: "card login-card", testid: "login" },
      h("h1", { class: "screen-title", text: t("s_login_title") }),
      h("p", { class: "muted", text: t("s_login_intro") }),
      flash ? notice(flash.kind, flash.text, "login-flash") : null,
      h("form", { testid: "login-form", novalidate: true, onsubmit: onSubmit },
        username.el, password.el, totp.el, status, submit)));
    username.control.focus();
  },
};
