"""The whole claim lifecycle through the API: file, upload, submit, review, ask for more,
resubmit, approve (the engine's lines), mark paid; the member's timeline and messages."""

from __future__ import annotations

from tests.claims.conftest import jpeg


def test_lifecycle(insured, reviewer):
    claim = insured.new().get_json()
    assert claim["status"] == "draft"
    assert claim["missing"] == [
        "id_card",
        "invoice",
        "bmi_settlement",
        "expense_itemisation",
        "discharge_summary",
        "payee_bank_card",
    ]
    estimate = claim["estimate"]["total_payout_fen"]
    resp = insured.submit(claim["id"])
    assert resp.status_code == 422 and resp.get_json()["error"] == "documents_missing"
    insured.upload_all(claim["id"])
    submitted = insured.submit(claim["id"]).get_json()
    assert submitted["status"] == "submitted"
    assert submitted["sla"]["decision_days_left"] == 30

    queue = reviewer.get("/api/v1/staff/claims").get_json()
    assert [c["id"] for c in queue["items"]] == [claim["id"]]
    r = reviewer.post(f"/api/v1/staff/claims/{claim['id']}/start-review", {})
    assert r.status_code == 200, r.get_json()
    r = reviewer.post(
        f"/api/v1/staff/claims/{claim['id']}/request-info",
        {"kinds": ["discharge_summary"], "note": "照片模糊"},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "need_more_info"
    up = insured.upload(claim["id"], "discharge_summary", jpeg(99))
    assert up.status_code == 201
    assert insured.submit(claim["id"]).get_json()["status"] == "submitted"
    reviewer.post(f"/api/v1/staff/claims/{claim['id']}/start-review", {})
    detail = reviewer.get(f"/api/v1/staff/claims/{claim['id']}").get_json()
    r = reviewer.post(
        f"/api/v1/staff/claims/{claim['id']}/approve", {"expenses": detail["expenses"]}
    )
    assert r.status_code == 200, r.get_json()
    approved = r.get_json()
    assert approved["status"] == "approved"
    assert approved["payout_fen"] == estimate
    assert approved["decision"]["total_payout_fen"] == estimate
    r = reviewer.post(
        f"/api/v1/staff/claims/{claim['id']}/mark-paid", {"bank_reference": "TRX20261123001"}
    )
    assert r.status_code == 200, r.get_json()
    mine = insured.client.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert mine["status"] == "paid"
    assert [e["action"] for e in mine["timeline"]] == [
        "submit",
        "start_review",
        "request_info",
        "submit",
        "start_review",
        "approve",
        "mark_paid",
    ]
    assert mine["decision"]["lines"][0]["liability_name"]["zh"]


def test_resubmit_needs_a_new_file_of_each_kind_asked_for(insured, reviewer):
    claim = insured.filed()
    cid = claim["id"]
    reviewer.post(f"/api/v1/staff/claims/{cid}/start-review", {})
    reviewer.post(
        f"/api/v1/staff/claims/{cid}/request-info",
        {"kinds": ["discharge_summary", "invoice"], "note": ""},
    )
    mine = insured.client.get(f"/api/v1/claims/{cid}").get_json()
    assert mine["missing"] == ["discharge_summary", "invoice"]
    assert mine["info_request"]["kinds"] == ["discharge_summary", "invoice"]
    resp = insured.submit(cid)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["missing"] == ["discharge_summary", "invoice"]
    assert insured.upload(cid, "invoice", jpeg(501)).status_code == 201
    resp = insured.submit(cid)
    assert resp.get_json()["errors"]["missing"] == ["discharge_summary"]
    assert insured.upload(cid, "discharge_summary", jpeg(502)).status_code == 201
    assert insured.submit(cid).get_json()["status"] == "submitted"
    audit = reviewer.get(f"/api/v1/staff/audit?claim_id={cid}").get_json()
    # the two action answers showed the person's data: both audited
    assert [e["action"] for e in audit["items"]] == ["view_claim", "view_claim"]
