// My claims: newest first, each with its status badge, the person, the dates, what was
// claimed and what it pays: the estimate while open, the payout once approved, "not
// payable" once rejected, nothing once withdrawn; a dot when there is news; a button to
// start a new claim.
import { h, replace } from "../dom.js";
import { pick, t } from "../i18n.js";
import { get } from "../api.js";
import { money } from "../format.js";
import { card, showError, showLoading } from "../ui.js";
import { gateError, personLabel, requireVerified } from "../family.js";
import { dateRange, statusBadge } from "../claims-common.js";

const DECIDED = ["approved", "paid"];

// The second figure of a claim: its payout, "not payable", its estimate, or none.
function payFigure(c) {
  if (c.status === "withdrawn") return null;
  if (c.status === "rejected") {
    return h("div", { class: "is-none" }, h("dt", { text: t("payout_label") }),
      h("dd", { testid: "claim-payout-none", text: t("payout_none") }));
  }
  const decided = DECIDED.indexOf(c.status) >= 0 && typeof c.payout_fen === "number";
  return h("div", { class: decided ? "is-payout" : null },
    h("dt", { text: t(decided ? "payout_label" : "estimate_label") }),
    h("dd", { testid: decided ? "claim-payout" : "claim-estimate", text: money(decided ? c.payout_fen : c.estimate_fen) }));
}

function claimItem(c) {
  const href = "#/claims/" + encodeURIComponent(c.id);
  return h("li", null, h("a", { class: "card claim-item" + (c.unread ? " is-unread" : ""), href: href,
    testid: "claim-" + c.id, "data-status": c.status },
  h("div", { class: "claim-item-head" },
    h("strong", { class: "claim-item-type", text: pick(c.claim_type_name) || c.claim_type }),
    c.unread ? h("span", { class: "unread-dot", testid: "claim-unread", title: t("claim_unread") },
      h("span", { class: "visually-hidden", text: t("claim_unread") })) : null,
    statusBadge(c)),
  h("p", { class: "claim-item-who", testid: "claim-person", text: c.person ? personLabel(c.person) : "—" }),
  h("p", { class: "muted small", testid: "claim-dates", text: dateRange(c.service_start, c.service_end) }),
  h("dl", { class: "claim-item-figures" },
    h("div", null, h("dt", { text: t("claimed_label") }),
      h("dd", { testid: "claim-claimed", text: money(c.claimed_fen) })),
    payFigure(c)),
  h("p", { class: "muted small claim-item-number", text: t("claim_number") + " " + c.claim_number })));
}

export default {
  titleKey: "claims_title",
  render(outlet) {
    let alive = true;

    function show() {
      requireVerified(outlet, "claims_title", "/#/claims", () => alive, load);
    }

    function load() {
      showLoading(outlet);
      get("/api/v1/claims").then((answer) => {
        if (alive) draw(answer.items || []);
      }, (err) => {
        if (!alive || gateError(err, show)) return;
        showError(outlet, err, load);
      });
    }

    function draw(items) {
      replace(outlet, h("div", { class: "screen", testid: "claims" },
        h("header", { class: "screen-head" },
          h("h1", { class: "screen-title", text: t("claims_title") }),
          h("p", { class: "muted small", text: t("claims_intro") })),
        h("a", { class: "btn btn-primary btn-block btn-large", href: "#/claims/new", testid: "claims-new",
          text: t("claim_new_cta") }),
        items.length
          ? h("ul", { class: "claim-list", testid: "claim-list" }, items.map(claimItem))
          : card(null, "claims-empty", h("p", { text: t("claims_empty") }))));
    }

    show();
    return () => {
      alive = false;
    };
  },
};
