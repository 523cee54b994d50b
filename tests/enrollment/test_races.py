"""Races settled by the database: run on PostgreSQL with real, separate connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.enrollment import service
from app.enrollment.models import HealthDeclaration, InsuredPerson, Order, OrderLine
from app.identity import crypto
from app.members.models import Member
from app.plans import service as plans
from app.plans.models import Plan
from app.roster.models import RosterEntry
from tests.conftest import make_id_number

THREADS = 8


@pytest.fixture
def committed(app, database_url):
    """Committed rows (members, one shared person, declarations), removed afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("race tests need PostgreSQL (SQLite serialises writers; set TEST_DATABASE_URL)")
    engine = create_engine(database_url)
    id_number = make_id_number("35020319800101123")
    made: dict[str, list[str] | str] = {}
    with app.app_context(), Session(engine) as db:
        published = plans.publish_samples(db)
        plan = published[1].plan
        made["plans"] = [r.plan.id for r in published if r.created]
        entry = RosterEntry(
            id_index=crypto.id_index(id_number),
            name_index=crypto.name_index("赛跑者"),
            id_number=id_number,
            name="赛跑者",
            insurance_type="employee",
            status="normal",
            city_code="350203",
            account_balance_fen=0,
            updated_at=clock.now(),
        )
        db.add(entry)
        db.flush()
        members, persons = [], []
        for i in range(THREADS):  # eight accounts each listing the same relative
            member = Member(
                created_at=clock.now(),
                nickname=f"m{i}",
                id_index=f"race-{i}",
                birth_date=date(1950, 1, 1),
            )
            db.add(member)
            db.flush()
            person = InsuredPerson(
                member_id=member.id,
                relation="parent",
                name="赛跑者",
                id_number=id_number,
                id_index=crypto.id_index(id_number),
                birth_date=date(1980, 1, 1),
                sex="male",
                id_kind="mainland",
                roster_entry_id=entry.id,
                created_at=clock.now(),
            )
            db.add(person)
            db.flush()
            db.add(
                HealthDeclaration(
                    person_id=person.id,
                    plan_id=plan.id,
                    answers="{}",
                    health_consent_at=clock.now(),
                    tier="standard",
                    reasons=[],
                    created_at=clock.now(),
                )
            )
            members.append(member.id)
            persons.append(person.id)
        db.commit()
        made.update(members=members, persons=persons, entry=entry.id)
    yield engine, made
    with Session(engine) as db:
        orders = select(Order.id).where(Order.member_id.in_(made["members"]))
        db.execute(delete(OrderLine).where(OrderLine.order_id.in_(orders)))
        db.execute(delete(Order).where(Order.member_id.in_(made["members"])))
        db.execute(
            delete(HealthDeclaration).where(HealthDeclaration.person_id.in_(made["persons"]))
        )
        db.execute(delete(InsuredPerson).where(InsuredPerson.id.in_(made["persons"])))
        db.execute(delete(Member).where(Member.id.in_(made["members"])))
        db.execute(delete(RosterEntry).where(RosterEntry.id == made["entry"]))
        db.execute(delete(Plan).where(Plan.id.in_(made["plans"])))  # Core: bypasses the ORM guard
        db.commit()
    engine.dispose()


def test_racing_orders_for_one_person_make_exactly_one(app, committed):
    engine, made = committed
    barrier = threading.Barrier(THREADS)

    def attempt(i: int) -> str:
        with app.test_request_context(), Session(engine) as db:
            member = db.get(Member, made["members"][i])
            barrier.wait()
            try:
                service.create_order(db, member, "demo", [made["persons"][i]])
                db.commit()
                return "ok"
            except service.AlreadyEnrolled:
                db.rollback()
                return "409"

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(attempt, range(THREADS)))
    assert results.count("ok") == 1, results
    assert results.count("409") == THREADS - 1
    with Session(engine) as db:
        active = db.scalar(
            select(func.count())
            .select_from(OrderLine)
            .where(
                OrderLine.person_id.in_(made["persons"]), OrderLine.state.in_(["pending", "paid"])
            )
        )
    assert active == 1
