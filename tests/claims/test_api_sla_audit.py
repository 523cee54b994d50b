"""SLA clocks through the API (the decision clock pauses while documents are asked for; the
payment clock runs from approval), the queue's SLA filters and order, and the audit log
of staff views."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.claims.models import AuditEntry
from app.core import clock
from tests.claims.conftest import jpeg

DAY = timedelta(days=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_day(value: datetime) -> str:
    return value.astimezone(SHANGHAI).date().isoformat()


def test_decision_clock_pauses_while_documents_are_asked_for(insured, reviewer, move_clock):
    t0 = clock.now()
    claim_id = insured.filed()["id"]
    submitted = insured.get(claim_id).get_json()["sla"]
    assert submitted["decision_state"] == "running"
    assert at(submitted["decision_due_at"]) == t0 + 30 * DAY
    assert submitted["payment_state"] == "not_started"

    move_clock(t0 + 5 * DAY, insured, reviewer)
    assert reviewer.act(claim_id, "start-review").status_code == 200
    r = reviewer.act(claim_id, "request-info", {"kinds": ["invoice"], "note": "模糊"})
    assert r.status_code == 200
    paused = r.get_json()["sla"]
    assert paused["decision_state"] == "paused"
    assert paused["decision_due_at"] is None
    assert paused["decision_days_left"] == 25

    move_clock(t0 + 9 * DAY, insured, reviewer)
    mine = insured.get(claim_id).get_json()["sla"]
    assert mine["decision_state"] == "paused"
    assert mine["decision_days_left"] == 25  # frozen
    queued = reviewer.queue("?status=need_more_info").get_json()["items"]
    assert [q["id"] for q in queued] == [claim_id]
    assert queued[0]["sla_due_at"] is None

    move_clock(t0 + 12 * DAY, insured, reviewer)
    assert insured.upload(claim_id, "invoice", jpeg(4245)).status_code == 201
    resubmitted = insured.submit(claim_id).get_json()["sla"]
    assert resubmitted["decision_state"] == "running"
    assert at(resubmitted["decision_due_at"]) == t0 + 37 * DAY
    assert resubmitted["decision_days_left"] == 25
    queued = reviewer.queue().get_json()["items"][0]
    assert at(queued["sla_due_at"]) == t0 + 37 * DAY
    assert at(queued["sla"]["decision_due_at"]) == t0 + 37 * DAY

    move_clock(t0 + 20 * DAY, insured, reviewer)
    assert reviewer.act(claim_id, "start-review").status_code == 200
    approved = reviewer.approve(claim_id).get_json()
    sla = approved["sla"]
    assert sla["decision_state"] == "stopped"
    assert sla["decision_overdue"] is False
    assert sla["payment_state"] == "running"
    assert at(sla["payment_due_at"]) == t0 + 30 * DAY
    assert sla["payment_days_left"] == 10
    assert at(reviewer.queue().get_json()["items"][0]["sla_due_at"]) == t0 + 30 * DAY

    move_clock(t0 + 31 * DAY, insured, reviewer)
    late = insured.get(claim_id).get_json()["sla"]
    assert late["payment_overdue"] is True
    assert late["payment_days_left"] == -1
    assert [q["id"] for q in reviewer.queue("?overdue=true").get_json()["items"]] == [claim_id]
    paid = reviewer.act(claim_id, "mark-paid", {"bank_reference": "TRX0009"}).get_json()
    assert paid["sla"]["payment_state"] == "stopped"
    assert paid["sla"]["payment_days_left"] is None
    assert reviewer.queue("?overdue=true").get_json()["items"] == []
    assert reviewer.queue().get_json()["items"][0]["sla_due_at"] is None


def test_queue_filters_by_sla_date_and_overdue(insured, reviewer, move_clock):
    t0 = clock.now()
    early = insured.filed()["id"]  # due t0 + 30
    move_clock(t0 + 10 * DAY, insured, reviewer)
    late = insured.filed("spouse", seed=1)["id"]  # due t0 + 40
    draft = insured.new().get_json()["id"]  # drafts are never in the queue

    def ids(query=""):
        resp = reviewer.queue(query)
        assert resp.status_code == 200, resp.get_json()
        return [c["id"] for c in resp.get_json()["items"]]

    assert ids() == [early, late]  # the most urgent first
    assert draft not in ids()
    due_early = t0 + 30 * DAY
    assert ids(f"?sla_due_before={local_day(due_early)}") == [early]
    assert ids(f"?sla_due_before={local_day(due_early - DAY)}") == []
    assert ids(f"?sla_due_before={local_day(t0 + 40 * DAY)}") == [early, late]
    assert ids("?overdue=true") == []
    assert ids("?overdue=false") == [early, late]

    move_clock(t0 + 35 * DAY, insured, reviewer)
    assert ids("?overdue=true") == [early]
    assert ids("?overdue=false") == [late]
    queued = reviewer.queue("?overdue=true").get_json()["items"][0]
    assert queued["sla"]["decision_overdue"] is True
    assert queued["sla"]["decision_days_left"] == -5
    assert ids("?overdue=true&status=submitted") == [early]
    assert ids("?overdue=true&status=under_review") == []
    assert ids("?claim_type=special_drug") == []
    assert ids("?plan=demo") == [early, late]
    assert ids("?plan=xm-2023") == []


def test_queue_pages(insured, reviewer):
    filed = [insured.filed(seed=i)["id"] for i in range(3)]
    page = reviewer.queue("?per_page=2").get_json()
    assert (page["total"], page["page"], page["per_page"]) == (3, 1, 2)
    second = reviewer.queue("?per_page=2&page=2").get_json()
    assert [c["id"] for c in page["items"] + second["items"]] == filed
    assert reviewer.queue("?per_page=101").status_code == 422


def test_the_queue_shows_the_persons_name(insured, reviewer):
    insured.filed()
    item = reviewer.queue().get_json()["items"][0]
    assert item["person"]["name"] == "陈建国"
    assert item["person"]["name_masked"] != "陈建国"


def audit_count(session):
    return session.scalar(select(func.count()).select_from(AuditEntry))


def test_staff_views_are_audited_and_member_views_are_not(insured, reviewer, staff_login, session):
    claim = insured.filed()
    claim_id = claim["id"]
    doc_id = claim["documents"][0]["id"]
    assert audit_count(session) == 0

    # the member looking at their own claim and files: not audited
    insured.get(claim_id)
    insured.file(claim_id, doc_id)
    insured.file(claim_id, doc_id, "thumbnail")
    assert audit_count(session) == 0
    # the queue shows the person's name: one entry per claim listed
    assert [i["id"] for i in reviewer.queue().get_json()["items"]] == [claim_id]
    assert audit_count(session) == 1

    plain = staff_login("rev.audit", ["reviewer"])
    assert plain.claim(claim_id).status_code == 200
    url = f"/api/v1/staff/claims/{claim_id}/documents/{doc_id}/file"
    assert plain.get(url).status_code == 200
    assert plain.get(url + "?variant=thumbnail").status_code == 200
    assert reviewer.claim(claim_id).status_code == 200
    # a refused view is not a view
    nope = f"/api/v1/staff/claims/{claim_id}/documents/01NOPE000000000000000000/file"
    assert plain.get(nope).status_code == 404
    assert audit_count(session) == 5

    resp = reviewer.get("/api/v1/staff/audit")
    assert resp.status_code == 200
    log = resp.get_json()
    assert log["total"] == 5
    entries = [
        (e["staff_username"], e["action"], e["object_type"], e["object_id"], e["claim_id"])
        for e in log["items"]
    ]
    assert entries == [  # newest first
        ("rev1", "view_claim", "claim", claim_id, claim_id),
        ("rev.audit", "view_document", "document", doc_id, claim_id),
        ("rev.audit", "view_document", "document", doc_id, claim_id),
        ("rev.audit", "view_claim", "claim", claim_id, claim_id),
        ("rev1", "list_claim", "claim", claim_id, claim_id),
    ]
    assert all(e["staff_id"] and e["at"] for e in log["items"])

    mine = reviewer.get(f"/api/v1/staff/audit?staff_id={plain.user.id}").get_json()
    assert mine["total"] == 3
    other = insured.new().get_json()["id"]
    assert reviewer.get(f"/api/v1/staff/audit?claim_id={other}").get_json()["total"] == 0
    assert reviewer.get(f"/api/v1/staff/audit?claim_id={claim_id}").get_json()["total"] == 5
    paged = reviewer.get("/api/v1/staff/audit?per_page=3&page=2").get_json()
    assert (paged["total"], len(paged["items"])) == (5, 2)
    assert [e["action"] for e in paged["items"]] == ["view_claim", "list_claim"]


def test_staff_actions_record_who_acted(insured, reviewer, staff_login, session):
    plain = staff_login("rev.actor", ["reviewer"])
    claim_id = insured.filed()["id"]
    plain.act(claim_id, "start-review")
    reviewer.approve(claim_id)
    from app.claims.models import Claim, ClaimEvent

    events = session.scalars(
        select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.at)
    ).all()
    member_id = session.get(Claim, claim_id).member_id
    assert [(e.action, e.actor_kind, e.actor_id) for e in events] == [
        ("submit", "member", member_id),
        ("start_review", "reviewer", plain.user.id),
        ("approve", "admin", reviewer.user.id),
    ]
    timeline = insured.get(claim_id).get_json()["timeline"]
    assert [t["text"]["en"] for t in timeline] == [
        "You submitted the claim",
        "A reviewer started reviewing your claim",
        "A staff member approved your claim",
    ]
