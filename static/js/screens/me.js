// "Me": login buttons when logged out; else the member, real-name status (masked
// details once verified), the linked logins with a button to link the other
// provider, and logout.
import { h, icon, replace } from "../dom.js";
import { addStrings, t } from "../i18n.js";
import { PROVIDERS, cachedMember, loadMember, loginUrl, logout, takeFlash } from "../account.js";
import { formatDate, formatInstantDate } from "../format.js";
import { card, errorBox, showError, showLoading } from "../ui.js";

const TZ = "Asia/Shanghai";
const PROVIDER_ICONS = {
  wechat: "M4 5h16v11H10l-4 4v-4H4z",
  alipay: "M3 7h18v12H3zM3 7l3-3h12l3 3M15 13h3",
};

addStrings({
  zh: { me_services_title: "理赔与消息" },
  en: { me_services_title: "Claims and messages" },
});

let notice = null; // "verified" | "logged_out": shown until the member leaves the screen
let mounted = false;

// The two login buttons: plain links, the server does the rest (`next`: where to come back).
export function loginButtons(next) {
  return h("div", { class: "login-buttons" }, PROVIDERS.map((p) => h("a", {
    class: "btn btn-block btn-large btn-" + p, href: loginUrl(p, next), testid: "login-" + p,
  }, icon(PROVIDER_ICONS[p]), h("span", { text: t("login_" + p) }))));
}

// `main`: the card is the screen's main content (its title is the page's h1).
export function loginCard(titleKey, textKey, next, testid, main) {
  return card(null, testid,
    h(main ? "h1" : "h2", { class: "card-title", text: t(titleKey) }),
    h("p", { class: "muted", text: t(textKey) }),
    loginButtons(next));
}

function statusBadge(member) {
  return h("span", {
    class: "badge " + (member.verified ? "badge-ok" : "badge-warn"), testid: "me-verified",
    "data-verified": member.verified ? "true" : "false",
    text: t(member.verified ? "verified" : "not_verified"),
  });
}

export function greetingName(member) {
  return member.nickname ? t("greeting", { name: member.nickname }) : t("greeting_anon");
}

function profile(member) {
  const initial = (member.nickname || "").trim().charAt(0) || "惠";
  return h("section", { class: "card profile", testid: "me-profile" },
    h("span", { class: "avatar", "aria-hidden": "true", text: initial }),
    h("div", { class: "profile-text" },
      h("h1", { class: "profile-name", testid: "me-nickname", text: member.nickname || t("greeting_anon") }),
      statusBadge(member)));
}

function row(label, value, testid) {
  return h("div", null, h("dt", { text: label }), h("dd", { testid: testid, text: value || "—" }));
}

function realName(member) {
  if (!member.verified) {
    return card(t("verify_title"), "me-verify",
      h("p", { text: t("verify_cta_text") }),
      h("a", { class: "btn btn-primary btn-block btn-large", href: "#/verify", testid: "me-verify-cta",
        text: t("verify_cta") }));
  }
  const sex = member.sex === "male" ? t("sex_male") : member.sex === "female" ? t("sex_female") : null;
  return card(t("my_info"), "me-details",
    h("dl", { class: "kv" },
      row(t("real_name"), member.real_name_masked, "me-real-name"),
      row(t("id_number"), member.id_number_masked, "me-id-number"),
      row(t("birth_date"), member.birth_date ? formatDate(member.birth_date) : null, "me-birth-date"),
      row(t("sex"), sex, "me-sex")),
    h("p", { class: "note", text: t("masked_note") }));
}

// Verified: the way to the family, enrollment and the policies.
function enrollLinks(member) {
  if (!member.verified) return null;
  const link = (href, key, testid, primary) => h("a", {
    class: "btn btn-block " + (primary ? "btn-primary" : "btn-secondary"), href: href, testid: testid, text: t(key),
  });
  return card(t("me_enroll_title"), "me-enroll",
    h("div", { class: "actions" },
      link("#/enroll", "enroll_now", "me-enroll-cta", true),
      link("#/family", "family_title", "me-family", false),
      link("#/policies", "policies_title", "me-policies", false)));
}

// Claims (for a verified member: claims need the family's policies) and the message centre.
function services(member) {
  const link = (href, key, testid) => h("a", {
    class: "btn btn-block btn-secondary", href: href, testid: testid, text: t(key),
  });
  return card(t("me_services_title"), "me-services",
    h("div", { class: "actions" },
      member.verified ? link("#/claims", "claims_title", "me-claims") : null,
      link("#/messages", "messages_title", "me-messages")));
}

function identities(member) {
  const list = member.identities || [];
  const have = {};
  list.forEach((i) => {
    have[i.provider] = true;
  });
  const missing = PROVIDERS.filter((p) => !have[p]);
  return card(t("identities_title"), "me-identities",
    h("ul", { class: "identity-list" }, list.map((i) => {
      const at = Date.parse(i.linked_at);
      return h("li", { class: "identity", testid: "identity-" + i.provider },
        h("span", { class: "identity-mark identity-" + i.provider, "aria-hidden": "true" },
          icon(PROVIDER_ICONS[i.provider] || PROVIDER_ICONS.wechat)),
        h("span", { class: "identity-name", text: t("provider_" + i.provider) }),
        h("small", { class: "muted", text: isNaN(at) ? "" : t("linked_on", { date: formatInstantDate(at, TZ) }) }));
    })),
    missing.length ? h("p", { class: "note", text: t("link_hint") }) : null,
    missing.map((p) => h("a", {
      class: "btn btn-secondary btn-block link-provider", href: loginUrl(p, "/#/me"), testid: "link-" + p,
      text: t("link_" + p),
    })));
}

function noticeBox() {
  if (!notice) return null;
  return h("p", { class: "notice notice-" + (notice === "verified" ? "ok" : "info"), role: "status",
    tabindex: "-1", testid: "me-notice", text: t(notice === "verified" ? "verified_notice" : "logged_out") });
}

export default {
  titleKey: "me_title",
  render(outlet) {
    mounted = true;
    let alive = true;
    const flash = takeFlash();
    if (flash) notice = flash;

    function drawLoggedOut() {
      replace(outlet, h("div", { class: "screen", testid: "me-logged-out" },
        noticeBox(),
        loginCard("me_title", "me_logged_out", "/#/me", "me-login", true)));
    }

    function draw(member) {
      if (!member) {
        drawLoggedOut();
        return;
      }
      const problem = h("div", { testid: "logout-error" });
      const out = h("button", { type: "button", class: "btn btn-secondary btn-block logout", testid: "logout",
        text: t("logout") });
      out.addEventListener("click", () => {
        out.disabled = true;
        out.textContent = t("logging_out");
        replace(problem);
        logout().then(() => {
          notice = "logged_out";
          if (!alive) return;
          drawLoggedOut();
          const note = outlet.querySelector('[data-testid="me-notice"]');
          if (note) note.focus();
        }, (err) => {
          out.disabled = false;
          out.textContent = t("logout");
          if (alive) replace(problem, errorBox(err));
        });
      });
      replace(outlet, h("div", { class: "screen", testid: "me" },
        noticeBox(), profile(member), realName(member), enrollLinks(member), services(member), identities(member),
        problem,
        out));
    }

    function load() {
      const known = cachedMember();
      if (known !== undefined) {
        draw(known);
        return;
      }
      showLoading(outlet);
      loadMember().then((m) => alive && draw(m), (err) => alive && showError(outlet, err, load));
    }

    load();
    return () => {
      alive = false;
      mounted = false;
      // A language switch draws the screen again at once; leaving it drops the notice.
      setTimeout(() => {
        if (!mounted) notice = null;
      }, 0);
    };
  },
};
