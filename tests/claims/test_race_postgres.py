"""Racing approvals for one person, settled by the database: run on PostgreSQL with real,
separate connections (each request commits for real), never on SQLite.

Claims of one person, all under review, are approved at once from several threads through
the API. The approval locks the person's year (the policy row) before it reads the
year-to-date accumulators, so the approvals run one after the other: the deductible is
used once in total and the year to date is the sum of the decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, or_, select
from sqlalchemy.orm import Session

from app.auth import sessions as auth_sessions
from app.auth.models import AuthSession, StaffUser
from app.claims.models import AuditEntry, Claim, ClaimDocument, ClaimEvent, YearToDate
from app.claims.service import has_duplicates
from app.core import clock
from app.core.ids import new_id
from app.enrollment.models import HealthDeclaration, InsuredPerson, Order, OrderLine, Policy
from app.identity import crypto
from app.members.models import Member
from app.notifications.models import Message
from app.plans import service as plans
from app.plans.models import Plan
from app.roster.models import RosterEntry
from tests.claims.conftest import jpeg
from tests.conftest import make_id_number

DEDUCTIBLE = 2_000_000  # the demo plan's hospital deductible, standard tier
LINE = {"liability": "in_catalog", "amount_fen": 1_500_000, "other_paid_fen": 0}


@dataclass
class Committed:
    engine: Any
    claims: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    staff_tokens: list[tuple[str, str]] = field(default_factory=list)
    member_tokens: list[tuple[str, str]] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Setup:
    claims: int = 2
    status: str = "under_review"
    staff: int = 2
    member_sessions: int = 0


@pytest.fixture
def committed(app, database_url, request):
    """One insured person with `Setup.claims` claims in `Setup.status`, `Setup.staff`
    logged-in reviewers and `Setup.member_sessions` sessions of the member, all committed
    for real; everything is removed afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("race tests need PostgreSQL (SQLite serialises writers; set TEST_DATABASE_URL)")
    setup: Setup = request.param
    made = Committed(create_engine(database_url))
    id_number = make_id_number("35020319790303123")
    now = clock.now()
    with app.test_request_context(), Session(made.engine) as db:
        published = plans.publish_samples(db)
        plan = next(r.plan for r in published if r.plan.code == "demo")
        made.ids["plans"] = [r.plan.id for r in published if r.created]
        terms = plans.terms_of(plan)
        entry = RosterEntry(
            id_index=crypto.id_index(id_number),
            name_index=crypto.name_index("赛跑者"),
            id_number=id_number,
            name="赛跑者",
            insurance_type="employee",
            status="normal",
            city_code="350203",
            account_balance_fen=0,
            updated_at=now,
        )
        member = Member(created_at=now, nickname="race", id_index="race-claims")
        db.add_all([entry, member])
        db.flush()
        person = InsuredPerson(
            member_id=member.id,
            relation="self",
            name="赛跑者",
            id_number=id_number,
            id_index=crypto.id_index(id_number),
            birth_date=date(1979, 3, 3),
            sex="male",
            id_kind="mainland",
            roster_entry_id=entry.id,
            created_at=now,
        )
        db.add(person)
        db.flush()
        declaration = HealthDeclaration(
            person_id=person.id,
            plan_id=plan.id,
            answers="{}",
            health_consent_at=now,
            tier="standard",
            reasons=[],
            created_at=now,
        )
        order = Order(
            member_id=member.id,
            plan_id=plan.id,
            status="paid",
            total_fen=12900,
            created_at=now,
            expires_at=now,
            paid_at=now,
        )
        db.add_all([declaration, order])
        db.flush()
        line = OrderLine(
            order_id=order.id,
            position=0,
            person_id=person.id,
            scheme=terms.scheme,
            plan_year=terms.plan_year,
            person_index=person.id_index,
            declaration_id=declaration.id,
            tier="standard",
            premium_fen=12900,
            premium_rule="standard",
            state="paid",
        )
        db.add(line)
        db.flush()
        today = clock.today("Asia/Shanghai")
        policy = Policy(
            policy_number=f"RACE{new_id()[-12:]}",
            order_line_id=line.id,
            member_id=member.id,
            person_id=person.id,
            plan_id=plan.id,
            scheme=terms.scheme,
            plan_year=terms.plan_year,
            person_index=person.id_index,
            tier="standard",
            premium_fen=12900,
            coverage_start=today - timedelta(days=60),
            coverage_end=today + timedelta(days=300),
            verification_code="RACE0000",
            state="issued",
            issued_at=now,
        )
        db.add(policy)
        db.flush()
        steps = {
            "draft": [],
            "under_review": [
                ("submit", "draft", "submitted"),
                ("start_review", "submitted", "under_review"),
            ],
            "need_more_info": [
                ("submit", "draft", "submitted"),
                ("start_review", "submitted", "under_review"),
                ("request_info", "under_review", "need_more_info"),
            ],
        }[setup.status]
        for i in range(setup.claims):
            claim_id = new_id()
            db.add(
                Claim(
                    id=claim_id,
                    claim_number=f"CRACE{claim_id[-10:]}",
                    member_id=member.id,
                    person_id=person.id,
                    policy_id=policy.id,
                    plan_id=plan.id,
                    claim_type="hospital",
                    status=setup.status,
                    service_start=today - timedelta(days=30 - i),
                    service_end=today - timedelta(days=25 - i),
                    hospital="",
                    expenses=[LINE],
                    claimed_fen=LINE["amount_fen"],
                    estimate_fen=0,
                    created_at=now,
                    updated_at=now,
                    submitted_at=now if steps else None,
                )
            )
            db.flush()
            for action, old, new in steps:
                db.add(
                    ClaimEvent(
                        claim_id=claim_id,
                        at=now,
                        actor_kind="member" if action == "submit" else "reviewer",
                        actor_id=None,
                        action=action,
                        from_status=old,
                        to_status=new,
                    )
                )
            made.claims.append(claim_id)
        for i in range(setup.staff):
            staff = StaffUser(
                username=f"race.rev{i}.{new_id()[-6:].lower()}",
                display_name=f"Race {i}",
                password_hash="!",  # never logs in with a password: the session is made here
                totp_secret="JBSWY3DPEHPK3PXP",
                roles="reviewer",
                active=True,
                created_at=now,
            )
            db.add(staff)
            db.flush()
            token, row = auth_sessions.create(db, "staff", staff.id)
            made.staff.append(staff.id)
            made.staff_tokens.append((token, row.csrf_token))
        for _ in range(setup.member_sessions):
            token, row = auth_sessions.create(db, "member", member.id)
            made.member_tokens.append((token, row.csrf_token))
        db.commit()
        made.ids.update(
            member=member.id, person=person.id, policy=policy.id, order=order.id, entry=entry.id
        )
    yield made
    ids = made.ids
    with Session(made.engine) as db:
        db.execute(delete(Message).where(Message.member_id == ids["member"]))
        db.execute(delete(AuditEntry).where(AuditEntry.staff_id.in_(made.staff)))
        db.execute(delete(ClaimEvent).where(ClaimEvent.claim_id.in_(made.claims)))
        db.execute(delete(ClaimDocument).where(ClaimDocument.claim_id.in_(made.claims)))
        db.execute(delete(Claim).where(Claim.id.in_(made.claims)))
        db.execute(delete(YearToDate).where(YearToDate.policy_id == ids["policy"]))
        db.execute(delete(Policy).where(Policy.id == ids["policy"]))
        db.execute(delete(OrderLine).where(OrderLine.order_id == ids["order"]))
        db.execute(delete(Order).where(Order.id == ids["order"]))
        db.execute(delete(HealthDeclaration).where(HealthDeclaration.person_id == ids["person"]))
        db.execute(delete(InsuredPerson).where(InsuredPerson.id == ids["person"]))
        db.execute(
            delete(AuthSession).where(
                or_(AuthSession.staff_id.in_(made.staff), AuthSession.member_id == ids["member"])
            )
        )
        db.execute(delete(StaffUser).where(StaffUser.id.in_(made.staff)))
        db.execute(delete(Member).where(Member.id == ids["member"]))
        db.execute(delete(RosterEntry).where(RosterEntry.id == ids["entry"]))
        db.execute(delete(Plan).where(Plan.id.in_(ids["plans"])))  # Core: bypasses the ORM guard
        db.commit()
    made.engine.dispose()


def run_together(count: int, call: Callable[[int], Any]) -> list[Any]:
    """`call(i)` from `count` threads, started together."""
    barrier = threading.Barrier(count)

    def one(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def client_for(app, kind: str, token: str) -> Any:
    with app.test_request_context():
        name = auth_sessions.cookie_spec(kind).name
    client = app.test_client()
    client.set_cookie(name, token)
    return client


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "committed", [Setup(claims=2, staff=2), Setup(claims=4, staff=4)], indirect=True, ids=["2", "4"]
)
def test_racing_approvals_use_the_deductible_once(app, committed):
    made = committed
    count = len(made.claims)

    def approve(i: int) -> tuple[int, dict]:
        token, csrf = made.staff_tokens[i]
        resp = client_for(app, "staff", token).post(
            f"/api/v1/staff/claims/{made.claims[i]}/approve",
            json={"expenses": [LINE]},
            headers={"X-CSRF-Token": csrf},
        )
        return resp.status_code, resp.get_json()

    results = run_together(count, approve)

    assert [status for status, _ in results] == [200] * count, results
    payouts = sorted(body["payout_fen"] for _, body in results)
    # in whatever order: 1,500,000 of the deductible, then its last 500,000, then none
    assert payouts == sorted([0, 800_000] + [1_200_000] * (count - 2))
    applied = [body["decision"]["lines"][0]["deductible_applied_fen"] for _, body in results]
    assert sum(applied) == DEDUCTIBLE
    assert sorted(applied) == sorted([1_500_000, 500_000] + [0] * (count - 2))

    with Session(made.engine) as db:
        year = db.get(YearToDate, made.ids["policy"])
        assert year is not None
        assert year.deductible_used == {"hospital": DEDUCTIBLE}
        assert year.paid == {"in_catalog": sum(payouts)}
        assert year.overall_paid_fen == sum(payouts)
        assert year.approved_claims == count
        claims = db.scalars(select(Claim).where(Claim.id.in_(made.claims))).all()
        assert {c.status for c in claims} == {"approved"}
        assert sum(c.payout_fen for c in claims) == sum(payouts)
        # each decision started from what the ones before it had used
        befores = sorted(
            c.decision["year_to_date_before"]["deductible_used"].get("hospital", 0) for c in claims
        )
        assert befores == sorted([0, 1_500_000] + [DEDUCTIBLE] * (count - 2))
        approvals = db.scalars(
            select(ClaimEvent).where(
                ClaimEvent.claim_id.in_(made.claims), ClaimEvent.action == "approve"
            )
        ).all()
        assert len(approvals) == count
        messages = db.scalars(select(Message).where(Message.member_id == made.ids["member"]))
        assert len(messages.all()) == count


@pytest.mark.postgres_only
@pytest.mark.parametrize("committed", [Setup(claims=1, staff=3)], indirect=True)
def test_one_claim_approved_by_two_reviewers_at_once_is_approved_once(app, committed):
    made = committed

    def approve(i: int) -> int:
        token, csrf = made.staff_tokens[i]
        return (
            client_for(app, "staff", token)
            .post(
                f"/api/v1/staff/claims/{made.claims[0]}/approve",
                json={"expenses": [LINE]},
                headers={"X-CSRF-Token": csrf},
            )
            .status_code
        )

    statuses = run_together(len(made.staff), approve)
    assert sorted(statuses) == [200, 409, 409]
    with Session(made.engine) as db:
        year = db.get(YearToDate, made.ids["policy"])
        assert year.approved_claims == 1
        assert year.deductible_used == {"hospital": LINE["amount_fen"]}
        events = db.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == made.claims[0]))
        assert [e.action for e in events].count("approve") == 1


PHOTO = jpeg(424242, size=(40, 30))


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "committed",
    [Setup(claims=2, status="need_more_info", staff=0, member_sessions=2)],
    indirect=True,
)
def test_the_same_photo_uploaded_to_two_claims_at_once_flags_both(app, committed):
    made = committed

    def upload(i: int) -> int:
        token, csrf = made.member_tokens[i]
        return (
            client_for(app, "member", token)
            .post(
                f"/api/v1/claims/{made.claims[i]}/documents?kind=invoice",
                data=PHOTO,
                content_type="image/jpeg",
                headers={"X-CSRF-Token": csrf},
            )
            .status_code
        )

    assert run_together(2, upload) == [201, 201]
    with Session(made.engine) as db:
        assert [has_duplicates(db, c) for c in made.claims] == [True, True]


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "committed", [Setup(claims=1, status="draft", staff=0, member_sessions=3)], indirect=True
)
def test_a_double_tapped_upload_is_one_document(app, committed):
    made = committed

    def upload(i: int) -> tuple[int, str]:
        token, csrf = made.member_tokens[i]
        resp = client_for(app, "member", token).post(
            f"/api/v1/claims/{made.claims[0]}/documents?kind=invoice",
            data=PHOTO,
            content_type="image/jpeg",
            headers={"X-CSRF-Token": csrf},
        )
        return resp.status_code, resp.get_json()["id"]

    results = run_together(3, upload)
    assert sorted(status for status, _ in results) == [200, 200, 201]
    assert len({doc for _, doc in results}) == 1
    with Session(made.engine) as db:
        docs = db.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == made.claims[0]))
        assert len(docs.all()) == 1
