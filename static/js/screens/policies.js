// My policies: one card per policy (number, person, plan, tier, premium, cover dates,
// status, verification code); the e-policy link only when the server offers one.
import { h, replace } from "../dom.js";
import { pick, t, tParts } from "../i18n.js";
import { get } from "../api.js";
import { formatDate, money } from "../format.js";
import { card, showError, showLoading } from "../ui.js";
import { gateError, personLabel, planByCode, requireVerified, tierName } from "../family.js";

const STATUS_BADGE = { active: "badge-ok", pending_start: "badge-info", expired: "badge-muted", cancelled: "badge-muted" };

function row(label, value, testid) {
  return h("div", null, h("dt", { text: label }), h("dd", { testid: testid }, value));
}

// The e-policy's address: the one given if it is on this site, else the usual one.
function certificateHref(policy) {
  const url = String(policy.certificate_url || "");
  return url.charAt(0) === "/" && url.charAt(1) !== "/" ? url
    : "/policies/" + encodeURIComponent(policy.id) + "/certificate";
}

function policyCard(policy, plans) {
  const plan = plans[policy.plan_code] || null;
  const range = tParts("period_range", {
    from: h("span", { class: "nowrap", text: formatDate(policy.coverage_start) }),
    to: h("span", { class: "nowrap", text: formatDate(policy.coverage_end) }),
  });
  return h("li", { class: "card policy", testid: "policy-" + policy.id,
    "data-relation": policy.person ? policy.person.relation : "" },
  h("div", { class: "policy-head" },
    h("h2", { class: "policy-person", testid: "policy-person", text: policy.person ? personLabel(policy.person) : "—" }),
    h("span", { class: "badge " + (STATUS_BADGE[policy.status] || "badge-muted"), testid: "policy-status",
      "data-status": policy.status, text: t("policy_status_" + policy.status) })),
  h("dl", { class: "kv" },
    row(t("policy_number"), policy.policy_number, "policy-number"),
    row(t("plan_label"), plan ? pick(plan.name) : policy.plan_code, "policy-plan"),
    row(t("tier_label"), tierName(plan, policy.tier), "policy-tier"),
    row(t("premium_label"), money(policy.premium_fen), "policy-premium"),
    row(t("coverage_period"), range, "policy-coverage"),
    row(t("verification_code"), policy.verification_code, "policy-code")),
  "certificate_url" in policy ? h("a", { class: "btn btn-secondary btn-block", href: certificateHref(policy),
    testid: "policy-certificate", text: t("view_certificate") }) : null);
}

export default {
  titleKey: "policies_title",
  render(outlet) {
    let alive = true;

    function show() {
      requireVerified(outlet, "policies_title", "/#/policies", () => alive, load);
    }

    function load() {
      showLoading(outlet);
      get("/api/v1/me/policies").then((list) => {
        const codes = list.map((p) => p.plan_code).filter((c, i, all) => c && all.indexOf(c) === i);
        return Promise.all(codes.map((c) => planByCode(c).catch(() => null))).then((found) => {
          const plans = {};
          codes.forEach((c, i) => {
            plans[c] = found[i];
          });
          if (alive) draw(list, plans);
        });
      }).catch((err) => {
        if (!alive || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function draw(list, plans) {
      replace(outlet, h("div", { class: "screen", testid: "policies" },
        h("header", { class: "screen-head" }, h("h1", { class: "screen-title", text: t("policies_title") })),
        list.length
          ? h("ul", { class: "policy-list", testid: "policy-list" }, list.map((p) => policyCard(p, plans)))
          : card(null, "policies-empty",
            h("p", { text: t("policies_empty") }),
            h("a", { class: "btn btn-primary btn-block", href: "#/enroll", testid: "policies-enroll",
              text: t("enroll_now") }))));
    }

    show();
    return () => {
      alive = false;
    };
  },
};
