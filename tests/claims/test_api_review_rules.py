"""Rules found by review: approvals verify (never raise) what was claimed; a claim answering a
request for documents keeps its type and policy and is not shut out by the filing
deadline; clocks a little behind never break a read; staff see who acted; one file is one
document; drafts are hidden from staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.claims.models import Claim, ClaimDocument, ClaimEvent, YearToDate
from app.claims.service import has_duplicates
from app.core import clock
from tests.claims.conftest import jpeg, stored_files, to_status


def check_refused(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["error"] == code
    assert body["message"] and body["message_zh"]
    return body


# --- approval verifies the member's figures -------------------------------------------------


def claim_under_review(insured, reviewer, **over):
    resp = insured.new(**over)
    assert resp.status_code == 201, resp.get_json()
    claim_id = resp.get_json()["id"]
    required = [i["kind"] for i in resp.get_json()["checklist"] if i["required"]]
    insured.upload_all(claim_id, required)
    assert insured.submit(claim_id).status_code == 200
    assert reviewer.act(claim_id, "start-review").status_code == 200
    return claim_id


def nothing_decided(insured, reviewer, session, claim_id):
    claim = reviewer.claim(claim_id).get_json()
    assert claim["status"] == "under_review"
    assert claim["decision"] is None and claim["payout_fen"] is None
    assert session.scalar(select(func.count()).select_from(YearToDate)) == 0
    assert insured.get(claim_id).get_json()["timeline"][-1]["action"] == "start_review"


@pytest.mark.parametrize(
    ("expenses", "code"),
    [
        # more than claimed on one line
        (
            [
                {"liability": "in_catalog", "amount_fen": 5_000_001},
                {"liability": "out_of_catalog", "amount_fen": 2_000_000},
            ],
            "verified_exceeds_claimed",
        ),
        # two lines of one liability adding up to more than claimed
        (
            [
                {"liability": "in_catalog", "amount_fen": 3_000_000},
                {"liability": "in_catalog", "amount_fen": 2_000_001},
            ],
            "verified_exceeds_claimed",
        ),
        # a liability the member did not claim
        ([{"liability": "proton_heavy_ion", "amount_fen": 100}], "verified_not_claimed"),
    ],
)
def test_approval_cannot_raise_what_was_claimed(insured, reviewer, session, expenses, code):
    """(The default claim: in_catalog 5,000,000 and out_of_catalog 2,000,000, others paid 0.)"""
    claim_id = claim_under_review(insured, reviewer)
    resp = reviewer.approve(claim_id, expenses)
    check_refused(resp, 422, code)
    nothing_decided(insured, reviewer, session, claim_id)


def test_approval_cannot_lower_what_others_paid_below_the_claim(insured, reviewer, session):
    """The member says BMI paid 4,900,000 of 5,000,000: verifying others paid less would pay
    more than the member's own figures (the engine pays on amount - other paid)."""
    claimed = [{"liability": "in_catalog", "amount_fen": 5_000_000, "other_paid_fen": 4_900_000}]
    claim_id = claim_under_review(insured, reviewer, expenses=claimed)
    for other_paid in (0, 4_899_999):
        verified = [{**claimed[0], "other_paid_fen": other_paid}]
        body = check_refused(reviewer.approve(claim_id, verified), 422, "verified_exceeds_claimed")
        assert "expenses.0.other_paid_fen" in body["errors"]["json"]
        assert "49,000.00" in body["message"] or "1,000.00" in body["message"]
    nothing_decided(insured, reviewer, session, claim_id)
    # more paid by others than verified is fine (pays less)
    fine = [{**claimed[0], "other_paid_fen": 4_950_000}]
    assert reviewer.approve(claim_id, fine).status_code == 200


def test_an_unclaimed_drug_points_at_the_drug_code(insured, reviewer):
    line = {"liability": "special_drugs", "amount_fen": 300_000, "drug_code": "olaparib"}
    claim_id = claim_under_review(insured, reviewer, claim_type="special_drug", expenses=[line])
    body = check_refused(
        reviewer.approve(claim_id, [{**line, "drug_code": "lenvatinib"}]),
        422,
        "verified_not_claimed",
    )
    assert "expenses.0.drug_code" in body["errors"]["json"]


def test_approval_may_split_and_lower_the_claimed_lines(insured, reviewer):
    claim_id = claim_under_review(insured, reviewer)
    verified = [
        {"liability": "in_catalog", "amount_fen": 3_000_000},
        {"liability": "in_catalog", "amount_fen": 2_000_000},
        {"liability": "out_of_catalog", "amount_fen": 1_500_000},
    ]
    resp = reviewer.approve(claim_id, verified)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["verified_expenses"] == [{**e, "other_paid_fen": 0} for e in verified]


# --- answering a request for documents -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("claim_type", "special_drug"), ("policy_id", "01NOSUCHPOLICY000000000000")],
)
def test_a_filed_claim_keeps_its_type_and_policy(insured, reviewer, field, value):
    claim_id = to_status(insured, reviewer, "need_more_info")
    before = insured.get(claim_id).get_json()
    body = check_refused(insured.patch(claim_id, {field: value}), 409, "claim_field_locked")
    assert field in body["errors"]["json"]
    after = insured.get(claim_id).get_json()
    assert (after["claim_type"], after["policy_id"]) == (before["claim_type"], before["policy_id"])
    # the same value is no change, and amounts may still be corrected
    same = insured.patch(
        claim_id,
        {field: before[field], "expenses": [{"liability": "in_catalog", "amount_fen": 4_000_000}]},
    )
    assert same.status_code == 200, same.get_json()
    assert same.get_json()["claimed_fen"] == 4_000_000


def test_a_draft_may_change_its_type(insured):
    claim_id = insured.new().get_json()["id"]
    resp = insured.patch(
        claim_id,
        {
            "claim_type": "special_drug",
            "expenses": [
                {"liability": "special_drugs", "amount_fen": 100_000, "drug_code": "olaparib"}
            ],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["claim_type"] == "special_drug"


def test_a_claim_filed_in_time_can_be_resubmitted_after_the_deadline(insured, reviewer, move_clock):
    claim_id = to_status(insured, reviewer, "need_more_info")  # asked for an invoice
    end = date.fromisoformat(insured.get(claim_id).get_json()["service_end"])
    closed = datetime.combine(end.replace(year=end.year + 2), time(16, 0), UTC)  # local midnight
    move_clock(closed + timedelta(days=1), insured, reviewer)
    # dates may still be corrected inside the cover
    start = date.fromisoformat(insured.get(claim_id).get_json()["service_start"])
    moved = insured.patch(claim_id, {"service_start": (start - timedelta(days=1)).isoformat()})
    assert moved.status_code == 200, moved.get_json()
    assert insured.upload(claim_id, "invoice", jpeg(777)).status_code == 201
    resp = insured.submit(claim_id)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "submitted"
    # a new claim for the same stay is refused: filing has closed
    check_refused(
        insured.new(service_start=start.isoformat(), service_end=end.isoformat()),
        422,
        "filing_closed",
    )


def test_re_dating_a_filed_claim_cannot_reach_back_past_the_deadline(insured, reviewer, move_clock):
    """Filed on the last day for a stay at the end of the cover; after a request for
    documents the member moves the stay to the start of the cover, whose deadline had
    already passed on the day of filing."""
    policy = insured.by_relation["self"]
    cover_start = date.fromisoformat(policy["coverage_start"])
    cover_end = date.fromisoformat(policy["coverage_end"])
    last_day = cover_end.replace(year=cover_end.year + 2)
    move_clock(datetime.combine(last_day, time(1, 0), UTC), insured, reviewer)  # 09:00 local
    resp = insured.new(
        service_start=(cover_end - timedelta(days=2)).isoformat(),
        service_end=cover_end.isoformat(),
    )
    assert resp.status_code == 201, resp.get_json()
    claim_id = resp.get_json()["id"]
    insured.upload_all(claim_id)
    assert insured.submit(claim_id).status_code == 200
    assert reviewer.act(claim_id, "start-review").status_code == 200
    asked = reviewer.act(claim_id, "request-info", {"kinds": ["invoice"], "note": ""})
    assert asked.status_code == 200
    early = {
        "service_start": (cover_start + timedelta(days=3)).isoformat(),
        "service_end": (cover_start + timedelta(days=4)).isoformat(),
    }
    check_refused(insured.patch(claim_id, early), 422, "filing_closed")
    assert insured.get(claim_id).get_json()["service_end"] == cover_end.isoformat()


# --- clocks ----------------------------------------------------------------------------------


def test_a_clock_a_little_behind_the_last_event_breaks_no_read(insured, reviewer, set_clock):
    claim_id = to_status(insured, reviewer, "under_review")
    now = clock.now()
    set_clock(now - timedelta(milliseconds=5))
    member = insured.get(claim_id)
    assert member.status_code == 200, member.get_json()
    assert member.get_json()["sla"]["decision_state"] == "running"
    assert reviewer.queue().status_code == 200
    assert reviewer.claim(claim_id).status_code == 200


def test_a_late_decision_stays_late(insured, reviewer, move_clock):
    claim_id = to_status(insured, reviewer, "under_review")
    move_clock(clock.now() + timedelta(days=31), insured, reviewer)
    running = insured.get(claim_id).get_json()["sla"]
    assert running["decision_overdue"] is True and running["decided_late"] is False
    assert reviewer.approve(claim_id).status_code == 200
    stopped = insured.get(claim_id).get_json()["sla"]
    assert stopped["decision_state"] == "stopped"
    assert (stopped["decision_overdue"], stopped["decided_late"]) == (False, True)
    assert stopped["paid_late"] is False


# --- who acted ---------------------------------------------------------------------------


def test_staff_see_which_staff_user_acted_and_the_member_does_not(
    insured, reviewer, staff_login, session
):
    other = staff_login("rev.named", ["reviewer"])
    claim_id = insured.filed()["id"]
    assert other.act(claim_id, "start-review").status_code == 200
    assert reviewer.approve(claim_id).status_code == 200

    timeline = reviewer.claim(claim_id).get_json()["timeline"]
    by_action = {e["action"]: e for e in timeline}
    assert by_action["submit"]["actor_id"] is None and by_action["submit"]["actor_name"] is None
    assert by_action["start_review"]["actor_id"] == other.user.id
    assert by_action["start_review"]["actor_name"] == "Rev.Named"
    assert by_action["start_review"]["text"]["zh"] == "审核员 Rev.Named：开始审核（→审核中）"
    assert by_action["approve"]["actor_name"] == "Rev1"
    assert by_action["approve"]["text"]["en"].startswith("A staff member (Rev1): approve")

    member = insured.get(claim_id).get_json()["timeline"]
    assert all("actor_id" not in e and "actor_name" not in e for e in member)
    assert not any("Rev" in e["text"]["zh"] + e["text"]["en"] for e in member)
    stored = session.scalars(select(ClaimEvent.actor_id).where(ClaimEvent.claim_id == claim_id))
    submitter, *staff_ids = list(stored)
    assert submitter is not None and staff_ids == [other.user.id, reviewer.user.id]


# --- one file, one document -------------------------------------------------------------------


def test_the_same_file_as_another_kind_is_refused(insured, session, document_dir):
    claim_id = insured.new().get_json()["id"]
    photo = jpeg(4242)
    first = insured.upload(claim_id, "invoice", photo)
    assert first.status_code == 201
    files = stored_files(document_dir)
    body = check_refused(
        insured.upload(claim_id, "expense_itemisation", photo), 409, "already_uploaded"
    )
    assert body["errors"]["existing"] == {"id": first.get_json()["id"], "kind": "invoice"}
    assert stored_files(document_dir) == files
    count = select(func.count()).where(ClaimDocument.claim_id == claim_id)
    assert session.scalar(count) == 1
    # the same kind again is the same document (a retry)
    again = insured.upload(claim_id, "invoice", photo)
    assert (again.status_code, again.get_json()["id"]) == (200, first.get_json()["id"])


# --- drafts are the member's own business ----------------------------------------------------


def test_staff_cannot_open_a_draft(insured, reviewer, session):
    claim_id = insured.new().get_json()["id"]
    doc = insured.upload(claim_id, "invoice", jpeg(31)).get_json()
    for url in (
        f"/api/v1/staff/claims/{claim_id}",
        f"/api/v1/staff/claims/{claim_id}/documents/{doc['id']}/file",
    ):
        check_refused(reviewer.get(url), 404, "claim_not_found")
    assert reviewer.queue().get_json()["items"] == []


# --- an approval that pays nothing -------------------------------------------------------------


def test_an_approval_inside_the_deductible_ends_with_nothing_to_pay(insured, reviewer, session):
    claim_id = claim_under_review(insured, reviewer)
    small = [{"liability": "in_catalog", "amount_fen": 100_000}]  # inside the deductible
    resp = reviewer.approve(claim_id, small)
    assert resp.status_code == 200, resp.get_json()
    staff_view = resp.get_json()
    assert staff_view["payout_fen"] == 0
    assert "mark_paid" not in staff_view["allowed_actions"]
    assert staff_view["sla"]["payment_state"] == "not_started"
    assert staff_view["sla"]["payment_due_at"] is None
    assert session.get(Claim, claim_id).sla_due_at is None
    year = session.scalar(select(YearToDate))
    assert year.deductible_used == {"hospital": 100_000} and year.overall_paid_fen == 0

    body = check_refused(
        reviewer.act(claim_id, "mark-paid", {"bank_reference": "TRX9"}), 409, "nothing_to_pay"
    )
    assert "0" in body["message"]
    member = insured.get(claim_id).get_json()
    assert (member["status"], member["payout_fen"]) == ("approved", 0)
    assert member["decision"]["total_payout_fen"] == 0
    assert member["sla"]["payment_state"] == "not_started"


def test_a_paying_approval_still_has_to_be_marked_paid(insured, reviewer):
    claim_id = claim_under_review(insured, reviewer)
    resp = reviewer.approve(claim_id)
    assert resp.get_json()["payout_fen"] > 0
    assert "mark_paid" in resp.get_json()["allowed_actions"]
    assert resp.get_json()["sla"]["payment_state"] == "running"


# --- the member's estimate stays beside the decision -------------------------------------------


def test_staff_compare_the_decision_with_the_members_estimate(insured, reviewer):
    claim_id = claim_under_review(insured, reviewer)
    before = reviewer.claim(claim_id).get_json()["member_estimate"]
    lower = [
        {"liability": "in_catalog", "amount_fen": 4_000_000},
        {"liability": "out_of_catalog", "amount_fen": 1_000_000},
    ]
    approved = reviewer.approve(claim_id, lower).get_json()
    assert approved["payout_fen"] < before["total_payout_fen"]
    kept = approved["member_estimate"]
    assert kept["total_payout_fen"] == before["total_payout_fen"]
    assert [ln["payout_fen"] for ln in kept["lines"]] == [
        ln["payout_fen"] for ln in before["lines"]
    ]
    assert kept["claimed_fen"] == 7_000_000
    # after payment too; and the member's own view shows the decision, not a second estimate
    assert reviewer.act(claim_id, "mark-paid", {"bank_reference": "TRX7"}).status_code == 200
    paid = reviewer.claim(claim_id).get_json()
    assert paid["member_estimate"]["total_payout_fen"] == before["total_payout_fen"]
    mine = insured.get(claim_id).get_json()
    assert mine["estimate"] is None
    assert mine["decision"]["total_payout_fen"] == approved["payout_fen"]
    assert "member_estimate" not in mine["decision"]


def test_a_rejected_claim_still_shows_staff_the_members_estimate(insured, reviewer):
    claim_id = claim_under_review(insured, reviewer)
    before = reviewer.claim(claim_id).get_json()["member_estimate"]
    rejected = reviewer.act(claim_id, "reject", {"reason": "bmi_not_used"}).get_json()
    assert rejected["member_estimate"]["total_payout_fen"] == before["total_payout_fen"]


def test_an_action_on_a_clock_a_little_behind_keeps_the_timeline_in_order(
    insured, reviewer, set_clock
):
    claim_id = to_status(insured, reviewer, "submitted")
    submitted = insured.get(claim_id).get_json()["timeline"][-1]["at"]
    set_clock(clock.now() - timedelta(milliseconds=40))
    assert reviewer.act(claim_id, "start-review").status_code == 200
    timeline = insured.get(claim_id).get_json()["timeline"]
    assert [e["action"] for e in timeline] == ["submit", "start_review"]
    assert datetime.fromisoformat(timeline[-1]["at"]) == datetime.fromisoformat(
        submitted
    ) + timedelta(microseconds=1)


def test_a_withdrawn_draft_flags_nothing(insured, reviewer, session):
    """A draft withdrawn was never filed: its files are nobody's duplicate."""
    filed = insured.filed(seed=5)["id"]  # holds jpeg(500) as its id_card
    draft = insured.new("spouse").get_json()["id"]
    assert insured.upload(draft, "id_card", jpeg(500)).status_code == 201
    assert insured.withdraw(draft).status_code == 200
    assert has_duplicates(session, filed) is False
    assert reviewer.queue("?duplicate=true").get_json()["total"] == 0
    sha = session.scalar(select(ClaimDocument.sha256).where(ClaimDocument.claim_id == draft))
    rows = session.execute(
        select(ClaimDocument.claim_id, ClaimDocument.shared).where(ClaimDocument.sha256 == sha)
    )
    # the draft's own row says a filed claim has its file (staff never see the draft)
    assert dict(rows.all()) == {filed: False, draft: True}


def test_a_file_added_to_a_filed_claim_flags_both_at_once(insured, reviewer, session):
    """Answering a request for documents with a file another filed claim holds: both are
    flagged on the upload itself (no further submission needed)."""
    first = insured.filed(seed=5)["id"]  # holds jpeg(500) as its id_card
    second = to_status(insured, reviewer, "need_more_info", relation="spouse")
    assert not has_duplicates(session, first) and not has_duplicates(session, second)
    assert insured.upload(second, "invoice", jpeg(500)).status_code == 201
    assert has_duplicates(session, first) and has_duplicates(session, second)
    flagged = reviewer.queue("?duplicate=true").get_json()["items"]
    assert {i["id"] for i in flagged} == {first, second}
