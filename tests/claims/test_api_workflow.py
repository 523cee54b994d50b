"""The status machine through the API: withdrawing, illegal transitions (409), who may act
(members are not staff, only admins mark paid), reject reasons, and the member's messages
on every status change."""

from __future__ import annotations

import pytest

from app.claims.workflow import REJECT_REASON_TEXTS, RejectReason
from tests.claims.conftest import jpeg, to_status

ALL_STATUSES = [
    "draft",
    "submitted",
    "under_review",
    "need_more_info",
    "approved",
    "paid",
    "rejected",
    "withdrawn",
]
WITHDRAWABLE = ["draft", "submitted", "under_review", "need_more_info"]


@pytest.mark.parametrize("status", WITHDRAWABLE)
def test_member_withdraws_before_a_decision(insured, reviewer, status):
    claim_id = to_status(insured, reviewer, status)
    resp = insured.withdraw(claim_id)
    assert resp.status_code == 200, resp.get_json()
    claim = resp.get_json()
    assert claim["status"] == "withdrawn"
    assert claim["allowed_actions"] == []
    assert claim["timeline"][-1]["action"] == "withdraw"
    assert claim["timeline"][-1]["from_status"] == status
    assert claim["sla"]["decision_state"] == "stopped"
    assert claim["sla"]["decision_due_at"] is None
    if status == "draft":  # never filed: staff never see it
        assert reviewer.claim(claim_id).status_code == 404
        assert reviewer.queue("?status=withdrawn").get_json()["total"] == 0
        return
    # the reviewer's queue shows it withdrawn, with no SLA running
    assert reviewer.claim(claim_id).get_json()["status"] == "withdrawn"
    assert reviewer.queue("?status=withdrawn").get_json()["total"] == 1


@pytest.mark.parametrize("status", ["approved", "paid", "rejected", "withdrawn"])
def test_no_withdrawing_after_a_decision(insured, reviewer, status):
    claim_id = to_status(insured, reviewer, status)
    before = insured.get(claim_id).get_json()
    resp = insured.withdraw(claim_id)
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "illegal_transition"
    after = insured.get(claim_id).get_json()
    assert after["status"] == status
    assert after["timeline"] == before["timeline"]


# (status, who, action path) -> 409 illegal_transition; nothing changes
ILLEGAL = [
    ("draft", "staff", "approve"),
    ("draft", "staff", "start-review"),
    ("draft", "staff", "reject"),
    ("draft", "staff", "request-info"),
    ("draft", "staff", "mark-paid"),
    ("submitted", "staff", "approve"),
    ("submitted", "staff", "reject"),
    ("submitted", "staff", "request-info"),
    ("submitted", "staff", "mark-paid"),
    ("submitted", "member", "submit"),
    ("under_review", "staff", "start-review"),
    ("under_review", "staff", "mark-paid"),
    ("under_review", "member", "submit"),
    ("need_more_info", "staff", "approve"),
    ("need_more_info", "staff", "start-review"),
    ("approved", "staff", "approve"),
    ("approved", "staff", "reject"),
    ("approved", "member", "submit"),
    ("paid", "member", "submit"),
    ("paid", "staff", "mark-paid"),
    ("paid", "staff", "approve"),
    ("rejected", "staff", "approve"),
    ("rejected", "member", "submit"),
    ("withdrawn", "member", "submit"),
    ("withdrawn", "staff", "start-review"),
]

BODIES = {
    "approve": None,  # the claim's own expenses
    "reject": {"reason": "not_covered"},
    "request-info": {"kinds": ["invoice"], "note": ""},
    "mark-paid": {"bank_reference": "TRX0002"},
    "start-review": {},
}


@pytest.mark.parametrize(("status", "who", "action"), ILLEGAL)
def test_illegal_transitions_are_409(insured, reviewer, status, who, action):
    claim_id = to_status(insured, reviewer, status)
    before = insured.get(claim_id).get_json()
    unread = insured.unread()
    if who == "member":
        resp = insured.family.post(f"/api/v1/claims/{claim_id}/{action}", {})
    elif action == "approve":
        resp = reviewer.approve(claim_id, before["expenses"])
    else:
        resp = reviewer.act(claim_id, action, BODIES[action])
    body = resp.get_json()
    if status in ("draft", "withdrawn") and who == "staff":
        # never filed (a draft, or a draft withdrawn): hidden from staff altogether
        assert (resp.status_code, body["error"]) == (404, "claim_not_found")
    else:
        assert (resp.status_code, body["error"]) == (409, "illegal_transition"), body
    assert body["message_zh"]
    after = insured.get(claim_id).get_json()
    assert after["status"] == status
    assert after["timeline"] == before["timeline"]
    assert after["payout_fen"] == before["payout_fen"]
    assert insured.unread() == unread


def test_staff_allowed_actions_follow_the_status(insured, reviewer):
    claim_id = to_status(insured, reviewer, "under_review")
    staff = reviewer.claim(claim_id).get_json()
    assert set(staff["allowed_actions"]) == {"request_info", "approve", "reject"}
    mine = insured.get(claim_id).get_json()
    assert mine["allowed_actions"] == ["withdraw"]


def test_only_admins_are_offered_mark_paid(insured, reviewer, staff_login):
    plain = staff_login("rev.offer", ["reviewer"])
    claim_id = to_status(insured, reviewer, "approved")
    assert reviewer.claim(claim_id).get_json()["allowed_actions"] == ["mark_paid"]
    assert plain.claim(claim_id).get_json()["allowed_actions"] == []
    assert insured.get(claim_id).get_json()["allowed_actions"] == []
    under = to_status(insured, reviewer, "submitted")
    started = plain.act(under, "start-review").get_json()
    assert set(started["allowed_actions"]) == {"request_info", "approve", "reject"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/staff/claims", None),
        ("GET", "/api/v1/staff/claims/{id}", None),
        ("POST", "/api/v1/staff/claims/{id}/start-review", {}),
        ("POST", "/api/v1/staff/claims/{id}/approve", {"expenses": []}),
        ("POST", "/api/v1/staff/claims/{id}/reject", {"reason": "not_covered"}),
        ("POST", "/api/v1/staff/claims/{id}/mark-paid", {"bank_reference": "TRX0003"}),
        ("GET", "/api/v1/staff/reject-reasons", None),
        ("GET", "/api/v1/staff/audit", None),
    ],
)
def test_a_member_cannot_act_as_staff(insured, reviewer, method, path, body):
    claim_id = to_status(insured, reviewer, "submitted")
    resp = insured.client.open(
        path.format(id=claim_id),
        method=method,
        json=body,
        headers={"X-CSRF-Token": insured.family.csrf},
    )
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "staff_login_required"
    assert insured.get(claim_id).get_json()["status"] == "submitted"


@pytest.mark.parametrize("action", ["submit", "withdraw"])
def test_staff_cannot_act_as_the_member(insured, reviewer, action):
    claim_id = to_status(insured, reviewer, "draft")
    insured.upload_all(claim_id)
    resp = reviewer.post(f"/api/v1/claims/{claim_id}/{action}", {})
    assert resp.status_code == 401
    assert insured.get(claim_id).get_json()["status"] == "draft"


def test_a_reviewer_without_admin_cannot_mark_paid(insured, reviewer, staff_login):
    plain = staff_login("rev.plain", ["reviewer"])
    claim_id = to_status(insured, reviewer, "submitted")
    assert plain.act(claim_id, "start-review").status_code == 200
    resp = plain.approve(claim_id)
    assert resp.status_code == 200, resp.get_json()
    approved = resp.get_json()
    assert approved["timeline"][-1]["actor_kind"] == "reviewer"
    resp = plain.act(claim_id, "mark-paid", {"bank_reference": "TRX0004"})
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "role_forbidden"
    assert insured.get(claim_id).get_json()["status"] == "approved"
    assert plain.get("/api/v1/staff/audit").status_code == 403
    # an admin may
    resp = reviewer.act(claim_id, "mark-paid", {"bank_reference": "TRX0004"})
    assert resp.status_code == 200
    paid = resp.get_json()
    assert paid["status"] == "paid"
    assert paid["bank_reference"] == "TRX0004"
    assert paid["timeline"][-1]["actor_kind"] == "admin"


REASONS = [r.value for r in RejectReason if r is not RejectReason.OTHER]


@pytest.mark.parametrize("reason", REASONS)
def test_reject_with_each_reason(insured, reviewer, reason):
    claim_id = to_status(insured, reviewer, "under_review")
    resp = reviewer.act(claim_id, "reject", {"reason": reason})
    assert resp.status_code == 200, resp.get_json()
    text = REJECT_REASON_TEXTS[RejectReason(reason)]
    mine = insured.get(claim_id).get_json()
    assert mine["status"] == "rejected"
    assert mine["reject_reason"] == {"code": reason, "text": {"zh": text.zh, "en": text.en}}
    assert mine["timeline"][-1]["reason"] == {"zh": text.zh, "en": text.en}
    assert mine["payout_fen"] is None
    assert mine["decision"] is None
    assert mine["sla"]["decision_state"] == "stopped"


def test_reject_reasons_are_listed(reviewer):
    resp = reviewer.get("/api/v1/staff/reject-reasons")
    assert resp.status_code == 200
    assert [r["code"] for r in resp.get_json()] == [r.value for r in RejectReason]


def test_reject_with_a_detail(insured, reviewer):
    claim_id = to_status(insured, reviewer, "under_review")
    resp = reviewer.act(claim_id, "reject", {"reason": "other", "detail": "  发票重复报销  "})
    assert resp.status_code == 200, resp.get_json()
    reason = insured.get(claim_id).get_json()["reject_reason"]
    assert reason["code"] == "other"
    assert reason["text"]["zh"] == "其他原因：发票重复报销"
    assert reason["text"]["en"] == "Other reason: 发票重复报销"


@pytest.mark.parametrize("detail", [None, "", "   "])
def test_reject_other_needs_a_detail(insured, reviewer, detail):
    claim_id = to_status(insured, reviewer, "under_review")
    body = {"reason": "other"} if detail is None else {"reason": "other", "detail": detail}
    resp = reviewer.act(claim_id, "reject", body)
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "reason_required"
    mine = insured.get(claim_id).get_json()
    assert mine["status"] == "under_review"
    assert mine["reject_reason"] is None


def test_reject_with_an_unknown_reason_is_422(insured, reviewer):
    claim_id = to_status(insured, reviewer, "under_review")
    resp = reviewer.act(claim_id, "reject", {"reason": "because"})
    assert resp.status_code == 422
    assert "reason" in resp.get_json()["errors"]["json"]
    assert insured.get(claim_id).get_json()["status"] == "under_review"


@pytest.mark.parametrize("kinds", [[], ["tax_return"], ["invoice", "tax_return"]])
def test_request_info_names_kinds_of_the_checklist(insured, reviewer, kinds):
    claim_id = to_status(insured, reviewer, "under_review")
    resp = reviewer.act(claim_id, "request-info", {"kinds": kinds, "note": ""})
    assert resp.status_code == 422
    assert insured.get(claim_id).get_json()["status"] == "under_review"


def test_request_info_tells_the_member_what_to_add(insured, reviewer):
    claim_id = to_status(insured, reviewer, "under_review")
    resp = reviewer.act(
        claim_id, "request-info", {"kinds": ["invoice", "invoice", "discharge_summary"]}
    )
    assert resp.status_code == 200, resp.get_json()
    mine = insured.get(claim_id).get_json()
    assert mine["info_request"] == {"kinds": ["invoice", "discharge_summary"], "note": ""}
    assert mine["allowed_actions"] == ["submit", "withdraw"]
    assert "医疗费用发票" in mine["timeline"][-1]["reason"]["zh"]


@pytest.mark.parametrize("action", ["start-review", "approve", "reject", "request-info"])
def test_staff_action_on_an_unknown_claim_is_404(reviewer, action):
    body = BODIES[action] or {"expenses": [{"liability": "in_catalog", "amount_fen": 1}]}
    resp = reviewer.act("01NOSUCHCLAIM0000000000000", action, body)
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "claim_not_found"


@pytest.mark.parametrize("status", ["submitted", "under_review", "approved", "rejected"])
def test_a_filed_claim_is_locked(insured, reviewer, status):
    claim_id = to_status(insured, reviewer, status)
    doc_id = insured.get(claim_id).get_json()["documents"][0]["id"]
    for resp in (
        insured.patch(claim_id, {"hospital": "别的医院"}),
        insured.upload(claim_id, "invoice", jpeg(4242)),
        insured.delete_document(claim_id, doc_id),
    ):
        assert resp.status_code == 409
        assert resp.get_json()["error"] == "claim_locked"
    mine = insured.get(claim_id).get_json()
    assert mine["hospital"] == "厦门大学附属第一医院"
    assert len(mine["documents"]) == 6


def test_need_more_info_opens_the_claim_again(insured, reviewer):
    claim_id = to_status(insured, reviewer, "need_more_info")
    resp = insured.patch(claim_id, {"hospital": "厦门市中医院"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["hospital"] == "厦门市中医院"
    assert insured.upload(claim_id, "invoice", jpeg(4243)).status_code == 201
    resubmitted = insured.submit(claim_id).get_json()
    assert resubmitted["status"] == "submitted"
    assert resubmitted["timeline"][-1]["text"]["en"] == "You resubmitted the claim"


def test_every_status_change_puts_a_message_in_the_members_centre(insured, reviewer):
    claim = insured.new().get_json()
    claim_id = claim["id"]
    assert insured.unread() == 0
    insured.upload_all(claim_id)
    assert insured.unread() == 0  # drafts and uploads are not status changes
    steps = [
        ("submitted", lambda: insured.submit(claim_id)),
        ("under_review", lambda: reviewer.act(claim_id, "start-review")),
        (
            "need_more_info",
            lambda: reviewer.act(claim_id, "request-info", {"kinds": ["invoice"], "note": "x"}),
        ),
        (
            "submitted",
            lambda: (insured.upload(claim_id, "invoice", jpeg(4244)), insured.submit(claim_id))[1],
        ),
        ("under_review", lambda: reviewer.act(claim_id, "start-review")),
        ("approved", lambda: reviewer.approve(claim_id)),
        ("paid", lambda: reviewer.act(claim_id, "mark-paid", {"bank_reference": "TRX0005"})),
    ]
    for count, (status, step) in enumerate(steps, start=1):
        resp = step()
        assert resp.status_code == 200, (status, resp.get_json())
        assert resp.get_json()["status"] == status
        assert insured.unread() == count, status
        newest = insured.messages()[0]
        assert newest["claim_id"] == claim_id
        assert newest["kind"] == "claim_status"
        assert claim["claim_number"] in newest["title"]["en"]
        assert newest["read_at"] is None
    assert len(insured.messages()) == len(steps)


def test_withdraw_puts_a_message_too(insured, reviewer):
    claim_id = to_status(insured, reviewer, "draft")
    assert insured.withdraw(claim_id).status_code == 200
    assert insured.unread() == 1
    assert insured.messages()[0]["title"]["en"].endswith("withdrawn")
