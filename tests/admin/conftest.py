"""Admin figures: a small known dataset written row by row (policies, refunds, claims),
and staff logins by role."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.claims.models import Claim
from app.core import clock
from app.enrollment.models import HealthDeclaration, InsuredPerson, Order, OrderLine, Policy
from app.members.models import Member
from app.payments.models import Payment, Refund
from app.plans.models import Plan
from app.roster.models import RosterEntry
from app.staff import passwords
from tests.conftest import make_id_number

_serial = itertools.count(1)


def person_id_number(n: int) -> str:
    """A valid resident ID for test person n (born 1 January 1980 + n days)."""
    born = date(1980, 1, 1) + timedelta(days=n)
    return make_id_number(f"350203{born:%Y%m%d}{n % 1000:03d}")


@pytest.fixture
def insure(session: Session) -> Callable[..., Policy]:
    """insure(plan, roster_entry, tier=, premium_fen=, rule=, cancelled=, refund=) -> Policy.

    Writes what a paid order leaves behind: member, insured person, declaration, paid
    order and line, payment, policy; a cancelled policy's line is released and, with
    `refund="success"|"requested"|...`, it has a refund of its premium.
    """

    def _insure(
        plan: Plan,
        entry: RosterEntry,
        *,
        tier: str = "standard",
        premium_fen: int = 12900,
        rule: str = "standard",
        cancelled: bool = False,
        refund: str | None = None,
    ) -> Policy:
        n = next(_serial)
        now = clock.now()
        member = Member(created_at=now, nickname=f"member {n}")
        session.add(member)
        session.flush()
        person = InsuredPerson(
            member_id=member.id,
            relation="self",
            name=entry.name,
            id_number=entry.id_number,
            id_index=entry.id_index,
            birth_date=date(1980, 1, 1),
            sex="male",
            id_kind="resident",
            roster_entry_id=entry.id,
            created_at=now,
        )
        session.add(person)
        session.flush()
        declaration = HealthDeclaration(
            person_id=person.id,
            plan_id=plan.id,
            answers="{}",
            health_consent_at=now,
            tier=tier,
            reasons=[],
            created_at=now,
        )
        order = Order(
            member_id=member.id,
            plan_id=plan.id,
            status="paid",
            total_fen=premium_fen,
            created_at=now,
            expires_at=now + timedelta(minutes=30),
            paid_at=now,
        )
        session.add_all([declaration, order])
        session.flush()
        line = OrderLine(
            order_id=order.id,
            position=0,
            person_id=person.id,
            scheme=plan.scheme,
            plan_year=plan.plan_year,
            person_index=entry.id_index,
            declaration_id=declaration.id,
            tier=tier,
            premium_fen=premium_fen,
            premium_rule=rule,
            state="released" if cancelled else "paid",
        )
        session.add(line)
        session.flush()
        policy = Policy(
            policy_number=f"HMBTEST{n:08d}",
            order_line_id=line.id,
            member_id=member.id,
            person_id=person.id,
            plan_id=plan.id,
            scheme=plan.scheme,
            plan_year=plan.plan_year,
            person_index=entry.id_index,
            tier=tier,
            premium_fen=premium_fen,
            coverage_start=date(plan.plan_year, 7, 1),
            coverage_end=date(plan.plan_year + 1, 6, 30),
            verification_code="ABCD1234",
            state="cancelled" if cancelled else "issued",
            issued_at=now,
            cancelled_at=now if cancelled else None,
        )
        session.add(policy)
        session.flush()
        if premium_fen > 0:
            payment = Payment(
                order_id=order.id,
                provider="wechatpay",
                channel="h5",
                out_trade_no=f"T{n:020d}",
                amount_fen=premium_fen,
                refunded_fen=premium_fen if refund else 0,
                status="paid",
                created_at=now,
                paid_at=now,
            )
            session.add(payment)
            session.flush()
            if refund:
                session.add(
                    Refund(
                        payment_id=payment.id,
                        policy_id=policy.id,
                        out_refund_no=f"R{policy.id}",
                        amount_fen=premium_fen,
                        status=refund,
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.flush()
        return policy

    return _insure


@pytest.fixture
def add_claim(session: Session) -> Callable[..., Claim]:
    """add_claim(policy, status, claimed_fen, payout_fen=None) -> Claim (a row, as the
    claims workflow would have left it)."""

    def _add(policy: Policy, status: str, claimed_fen: int, payout_fen: int | None = None) -> Claim:
        n = next(_serial)
        now = clock.now()
        claim = Claim(
            claim_number=f"CLTEST{n:08d}",
            member_id=policy.member_id,
            person_id=policy.person_id,
            policy_id=policy.id,
            plan_id=policy.plan_id,
            claim_type="inpatient",
            status=status,
            service_start=date(policy.plan_year, 9, 1),
            service_end=date(policy.plan_year, 9, 5),
            hospital="",
            expenses=[{"liability": "in_scope", "amount_fen": claimed_fen, "other_paid_fen": 0}],
            claimed_fen=claimed_fen,
            estimate_fen=payout_fen or 0,
            payout_fen=payout_fen,
            created_at=now,
            updated_at=now,
            submitted_at=None if status == "draft" else now,
        )
        session.add(claim)
        session.flush()
        return claim

    return _add


@pytest.fixture
def staff_login(staff_user: Callable[..., Any]) -> Callable[..., str]:
    """staff_login(client, "name", ["admin"]) logs the client in (password + TOTP) and
    returns the CSRF token."""

    def _login(client: FlaskClient, username: str, roles: list[str]) -> str:
        _user, password, secret = staff_user(username, roles)
        code = passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp()))
        resp = client.post(
            "/api/v1/staff/session",
            json={"username": username, "password": password, "totp": code},
        )
        assert resp.status_code == 201, resp.get_json()
        token: str = resp.get_json()["csrf_token"]
        return token

    return _login


@pytest.fixture
def admin_client(client: FlaskClient, staff_login: Callable[..., str]) -> FlaskClient:
    staff_login(client, "admin.figures", ["admin"])
    return client


@pytest.fixture
def roster(roster_person: Callable[..., RosterEntry]) -> dict[str, RosterEntry]:
    """Six persons with status normal (a–f), one suspended (g), one terminated (h)."""
    statuses = {"a": "normal", "b": "normal", "c": "normal", "d": "normal", "e": "normal"}
    statuses |= {"f": "normal", "g": "suspended", "h": "terminated"}
    return {
        key: roster_person(f"测试{key}", person_id_number(i), status=status)
        for i, (key, status) in enumerate(statuses.items(), start=1)
    }


@pytest.fixture
def dataset(
    samples: dict[str, Plan],
    roster: dict[str, RosterEntry],
    insure: Callable[..., Policy],
    add_claim: Callable[..., Claim],
) -> dict[str, Any]:
    """The known dataset; its figures are worked by hand in test_figures.EXPECTED.

    xm-2023: a standard, b pre-existing, c newborn (99.00), g (roster suspended since)
    standard; d cancelled and refunded; e cancelled with the refund still owed, then
    insured again. Claims on a's policy in every status (two paid).
    demo: a standard, f pre-existing; no claims.
    """
    xm, demo = samples["xm-2023"], samples["demo"]
    policy_a = insure(xm, roster["a"])
    insure(xm, roster["b"], tier="pre_existing")
    insure(xm, roster["c"], premium_fen=9900, rule="newborn")
    insure(xm, roster["g"])
    insure(xm, roster["d"], cancelled=True, refund="success")
    insure(xm, roster["e"], cancelled=True, refund="requested")
    insure(xm, roster["e"])
    for status, claimed, payout in [
        ("draft", 1000, None),
        ("submitted", 20000, None),
        ("under_review", 30000, None),
        ("need_more_info", 5000, None),
        ("approved", 40000, 25000),
        ("paid", 50000, 33333),
        ("paid", 10000, 7000),
        ("rejected", 8000, None),
        ("withdrawn", 9000, None),
    ]:
        add_claim(policy_a, status, claimed, payout)
    insure(demo, roster["a"])
    insure(demo, roster["f"], tier="pre_existing")
    return {"xm": xm, "demo": demo, "roster": roster}
