"""Policies: paying through the stand-in cashier, the e-policy certificate and its staff
check, cancellation before cover with a refund through the original provider."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from app.core import clock
from app.payments.models import Payment, Refund
from app.staff import passwords
from app.standins.transport import WSGIAdapter

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def paid_policy(app, standin_app, family, provider_transport, session):
    """The member's own policy, paid through the WeChat Pay stand-in's cashier, whose
    notice reaches the app over the in-process transport."""
    me = family.self_id()
    family.declare(me)
    order = family.order([me]).get_json()
    started = family.post(
        f"/api/v1/orders/{order['id']}/payments", {"provider": "wechatpay", "channel": "h5"}
    ).get_json()

    def to_app() -> requests.Session:
        http = requests.Session()
        http.mount("http://localhost", WSGIAdapter(app))
        return http

    standin_app.extensions["standin_http"] = to_app
    try:
        cashier = standin_app.test_client()
        url = urlsplit(started["pay_url"])
        page = cashier.get(url.path + "?" + url.query)
        assert page.status_code == 200
        fields = dict(HIDDEN.findall(page.get_data(as_text=True)))
        done = cashier.post(
            "/standins/wechatpay/cashier/pay",
            data={**{k: unescape(v) for k, v in fields.items()}, "action": "pay"},
        )
        assert done.status_code == 302
        assert "/api/v1/payments/return/" + order["id"] in done.headers["Location"]
    finally:
        standin_app.extensions.pop("standin_http", None)
    policies = family.client.get("/api/v1/me/policies").get_json()
    assert len(policies) == 1, "the stand-in's notice was applied"
    return policies[0], order, started


def test_cashier_payment_issues_the_policy(paid_policy, family):
    policy, order, _started = paid_policy
    assert family.client.get(f"/api/v1/orders/{order['id']}").get_json()["status"] == "paid"
    assert policy["status"] == "pending_start"
    assert policy["policy_number"].startswith("HMB")
    assert policy["cancellable"] is True


def test_certificate_html_and_pdf(paid_policy, family):
    import pypdf

    policy, _order, _started = paid_policy
    html = family.client.get(policy["certificate_url"])
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert policy["policy_number"] in text and policy["verification_code"] in text
    assert "3502**********" in text
    pdf = family.client.get(policy["certificate_url"] + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    assert not reader.is_encrypted
    assert policy["policy_number"] in reader.pages[0].extract_text()


def test_certificate_is_only_for_its_member(paid_policy, app, member_login):
    policy, _order, _started = paid_policy
    other = app.test_client()
    member_login(other, "别人")
    assert other.get(policy["certificate_url"]).status_code == 404
    assert app.test_client().get(policy["certificate_url"]).status_code == 401


def test_staff_verify_the_certificate(paid_policy, app, staff_user):
    policy, _order, _started = paid_policy
    _user, password, secret = staff_user("rev.verify", ["reviewer"])
    staff = app.test_client()
    code = passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp()))
    staff.post(
        "/api/v1/staff/session", json={"username": "rev.verify", "password": password, "totp": code}
    )
    ok = staff.get(
        "/api/v1/staff/policies/verify",
        query_string={
            "policy_number": policy["policy_number"],
            "code": policy["verification_code"],
        },
    )
    assert ok.get_json()["valid"] is True
    assert ok.get_json()["insured_id_masked"].startswith("3502**")
    bad = staff.get(
        "/api/v1/staff/policies/verify",
        query_string={"policy_number": policy["policy_number"], "code": "WRONG"},
    )
    assert bad.get_json() == {"valid": False, "policy_number": policy["policy_number"]}


def test_cancel_before_cover_refunds_through_the_provider(paid_policy, family, session):
    policy, _order, started = paid_policy
    resp = family.post(f"/api/v1/me/policies/{policy['id']}/cancel", {})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["amount_fen"] == policy["premium_fen"]
    refund = session.scalar(select(Refund).where(Refund.policy_id == policy["id"]))
    assert refund.status == "success"  # sent to the stand-in after the commit
    payment = session.scalar(
        select(Payment).where(Payment.out_trade_no == started["payment"]["out_trade_no"])
    )
    assert payment.status == "refunded" and payment.refunded_fen == policy["premium_fen"]
    mine = family.client.get("/api/v1/me/policies").get_json()
    assert mine[0]["status"] == "cancelled"
    # the person is free again: a new order is accepted
    assert family.order([family.self_id()]).status_code == 201
    again = family.post(f"/api/v1/me/policies/{policy['id']}/cancel", {})
    assert again.status_code == 409


def test_cancel_after_cover_started_is_refused(paid_policy, app, session, set_clock):
    from datetime import UTC, datetime

    from app.enrollment.models import Policy
    from app.members.models import Member
    from app.payments import refunds

    policy, _order, _started = paid_policy
    row = session.get(Policy, policy["id"])
    member = session.get(Member, row.member_id)
    start = datetime.fromisoformat(policy["coverage_start"]).replace(tzinfo=UTC)
    set_clock(start + timedelta(days=1))
    with app.test_request_context(), pytest.raises(refunds.RefundNotAllowed) as info:
        refunds.cancel_policy(session, member, policy["id"])
    assert "保障开始后不予退费" in info.value.message_zh
    assert session.get(Policy, policy["id"]).state == "issued"
