"""The figures follow the real enrollment flow: a family orders through the API, pays from
the employee's personal account, and cancels the baby's policy before cover starts."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.members.consent_texts import SENSITIVE_PI
from tests.enrollment.conftest import FATHER, Family, baby_id


def test_figures_after_ordering_paying_and_cancelling(
    app, client, member_login, roster_person, samples, staff_login
):
    today = clock.today("Asia/Shanghai")
    roster_person(*FATHER)
    baby = ("陈小满", baby_id(today - timedelta(days=180)))
    roster_person(*baby, insurance_type="resident")
    _member, csrf = member_login(client, "陈爸爸")
    family = Family(client, csrf)
    family.post(
        "/api/v1/me/consents",
        {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
    )
    assert (
        family.post("/api/v1/me/real-name", {"name": FATHER[0], "id_number": FATHER[1]}).status_code
        == 200
    )
    baby_pid = family.add("child", baby, guardian_consent=True).get_json()["id"]
    me = family.self_id()
    for pid in (me, baby_pid):
        assert family.declare(pid).status_code == 201
    order = family.order([me, baby_pid]).get_json()
    assert order["total_fen"] == 12900 + 9900
    paid = family.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me, baby_pid], "relatives_consent": True},
    )
    assert paid.status_code == 201, paid.get_json()

    admin = app.test_client()
    staff_login(admin, "admin.flow", ["admin"])
    before = admin.get("/api/v1/staff/figures?plan=demo").get_json()["plans"][0]
    assert (before["policies_issued"], before["premium_fen"]) == (2, 22800)
    assert before["policies_by_premium_rule"] == {"newborn": 1, "standard": 1}
    assert (before["roster_normal"], before["insured_rate_bp"]) == (2, 10000)

    policies = client.get("/api/v1/me/policies").get_json()
    baby_policy = next(p for p in policies if p["person"]["id"] == baby_pid)
    cancelled = family.post(f"/api/v1/me/policies/{baby_policy['id']}/cancel", {})
    assert cancelled.status_code == 200, cancelled.get_json()
    # the personal account is credited back through the bureau within the request
    assert cancelled.get_json()["status"] == "success"

    after = admin.get("/api/v1/staff/figures?plan=demo").get_json()["plans"][0]
    assert (after["policies_issued"], after["policies_cancelled"]) == (1, 1)
    assert (after["enrolled_persons"], after["insured_rate_bp"]) == (1, 5000)
    assert after["premium_fen"] == 12900
    assert after["policies_by_premium_rule"] == {"newborn": 0, "standard": 1}
    assert (after["refunded_fen"], after["refund_pending_fen"]) == (9900, 0)
    untouched = admin.get("/api/v1/staff/figures?plan=xm-2023").get_json()["plans"][0]
    assert untouched["policies_issued"] == 0
