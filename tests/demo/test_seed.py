"""The demo of `make run`: a plan with cover running today, the demo family's policies and
claims in several states (made through the real services at past clock times), the
reviewer account with its published credentials; running it again changes nothing."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from app.claims.models import Claim, ClaimEvent, YearToDate
from app.core import clock
from app.demo import seed as demo
from app.enrollment.models import Policy
from app.plans import service as plans
from app.roster.fake import DEMO_PEOPLE
from app.staff import passwords
from app.staff import service as staff_service


def _seed(app, session, standin_db):
    with app.app_context():
        return demo.seed(session, app.extensions["document_storage"], standin_db, lambda _: None)


def test_seed_builds_the_demo_once(app, session, samples, roster_person, standin_db):
    for person in DEMO_PEOPLE[:3]:
        roster_person(person.name, person.id_number, balance_fen=person.account_balance_fen)
    first = _seed(app, session, standin_db)
    assert first.created is True and first.plan_code == "demo-running" and first.claims == 6

    plan = plans.latest_version(session, "demo-running")
    cov = plans.terms_of(plan).coverage
    today = clock.today("Asia/Shanghai")
    assert cov.start < today < cov.end, "the demo plan's cover runs today"

    policies = session.scalars(select(Policy).where(Policy.plan_id == plan.id)).all()
    assert sorted(p.tier for p in policies) == ["pre_existing", "standard", "standard"]
    statuses = Counter(session.scalars(select(Claim.status)).all())
    assert statuses == Counter(
        {
            "paid": 1,
            "rejected": 1,
            "under_review": 1,
            "need_more_info": 1,
            "submitted": 1,
            "draft": 1,
        }
    )
    paid = session.scalar(select(Claim).where(Claim.status == "paid"))
    ytd = session.get(YearToDate, paid.policy_id)
    assert ytd.overall_paid_fen == paid.payout_fen == paid.estimate_fen
    assert ytd.deductible_used == {"hospital": 2_000_000}
    # events happened over the year, not all now
    first_event = session.scalar(select(func.min(ClaimEvent.at)))
    assert (clock.now() - first_event).days > 200

    reviewer = staff_service.authenticate(
        session,
        demo.REVIEWER,
        demo.REVIEWER_PASSWORD,
        passwords.totp_at(demo.REVIEWER_TOTP_SECRET, passwords.totp_step(clock.now().timestamp())),
    )
    assert sorted(reviewer.role_list) == ["admin", "reviewer"]

    again = _seed(app, session, standin_db)
    assert again.created is False and again.claims == 6
    assert session.scalar(select(func.count()).select_from(Claim)) == 6
