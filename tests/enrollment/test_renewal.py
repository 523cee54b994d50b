"""Renewal: last year's persons in one step; the tier chain holds only without a gap."""

from __future__ import annotations

import json

import pytest

from app.core import clock
from app.enrollment.models import HealthDeclaration, OrderLine, Policy
from app.plans import service as plans


def last_year(session, samples, family, person_id, year_offset, tier, diabetes):
    """A policy and declaration of an earlier plan year of the demo's scheme."""
    demo = samples["demo"]
    terms = plans.terms_of(demo)
    answers = {c.code: (c.code == "diabetes" and diabetes) for c in terms.conditions}
    session.add(
        HealthDeclaration(
            person_id=person_id,
            plan_id=demo.id,
            answers=json.dumps(answers),
            health_consent_at=clock.now(),
            tier=tier,
            reasons=[],
            created_at=clock.now().replace(year=clock.now().year - 1),
        )
    )
    session.flush()
    from app.enrollment.models import InsuredPerson, Order

    person = session.get(InsuredPerson, person_id)
    order = Order(
        member_id=person.member_id,
        plan_id=demo.id,
        status="paid",
        total_fen=12900,
        created_at=clock.now(),
        expires_at=clock.now(),
        paid_at=clock.now(),
    )
    session.add(order)
    session.flush()
    line = OrderLine(
        order_id=order.id,
        position=0,
        person_id=person_id,
        scheme=terms.scheme,
        plan_year=terms.plan_year - year_offset,
        person_index=person.id_index,
        declaration_id=session.query(HealthDeclaration).filter_by(person_id=person_id).first().id,
        tier=tier,
        premium_fen=12900,
        premium_rule="standard",
        state="paid",
    )
    session.add(line)
    session.flush()
    start = terms.coverage.start.replace(year=terms.coverage.start.year - year_offset)
    session.add(
        Policy(
            policy_number=f"HMBOLD{year_offset}",
            order_line_id=line.id,
            member_id=person.member_id,
            person_id=person_id,
            plan_id=demo.id,
            scheme=terms.scheme,
            plan_year=terms.plan_year - year_offset,
            person_index=person.id_index,
            tier=tier,
            premium_fen=12900,
            coverage_start=start,
            coverage_end=start.replace(year=start.year + 1),
            verification_code="OLD",
            state="issued",
            issued_at=clock.now(),
        )
    )
    session.flush()


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(1, "standard"), (2, "pre_existing")],
    ids=["no-gap-keeps-standard", "gap-breaks-chain"],
)
def test_renewal_and_the_chain(family, session, samples, gap, expected):
    me = family.self_id()
    # last year standard; this year's answers (carried over) include diabetes
    last_year(session, samples, family, me, gap, "standard", diabetes=True)
    resp = family.post("/api/v1/renewals", {"plan_code": "demo"})
    if gap == 2:
        assert resp.status_code == 404  # nobody insured LAST year: a new enrollment
        assert resp.get_json()["error"] == "nothing_to_renew"
        tier = family.declare(me, diabetes=True).get_json()["tier"]
        assert tier == expected
        return
    assert resp.status_code == 201, resp.get_json()
    assert [line["tier"] for line in resp.get_json()["lines"]] == [expected]


def test_nothing_to_renew(family):
    resp = family.post("/api/v1/renewals", {"plan_code": "demo"})
    assert resp.status_code == 404
