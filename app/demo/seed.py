"""The demo a newcomer finds after `make run` (development with the stand-ins only).

- A demo plan whose cover is running today: last year's demo (`demo-running`), the
  sample terms shifted one year back, so its cover started ~10 months ago.
- A demo family (陈建国, his wife 林秀英 and their son 陈思远, all on the fake roster) who
  log in through the WeChat stand-in as the test person "陈建国（演示家庭）", insured on
  that plan, with claims in several states.
- A reviewer account (reviewer + admin) with fixed, printed credentials.

Nothing here writes rows by hand: the seed drives the real services with the app's clock
set back to the moment each step happened (enrolment during last year's window, claims
filed and reviewed over the year), so every row, event, SLA date and message is what the
service would have written then. Running it again changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.claims import review
from app.claims import service as claims
from app.claims.models import Claim
from app.core import clock
from app.enrollment import service as enrollment
from app.enrollment.models import Policy
from app.members import service as members
from app.members.consent_texts import SENSITIVE_PI
from app.members.models import Member, MemberIdentity
from app.payments import personal_account
from app.plans import service as plans
from app.plans.terms_schema import load_terms_file
from app.roster.fake import DEMO_PEOPLE
from app.rules.calendar import add_months
from app.staff import service as staff_service

LOCAL = ZoneInfo("Asia/Shanghai")
RUNNING_CODE = "demo-running"
NICKNAME = "陈建国（演示家庭）"
REVIEWER = "demo-reviewer"
REVIEWER_PASSWORD = "demo-review-2026"  # noqa: S105 - a published demo credential
# a fixed TOTP secret so that the README can show it (development only)
REVIEWER_TOTP_SECRET = "JBSWY3DPEHPK3PXPHMBDEMOREVIEWER2"  # noqa: S105


@dataclass(frozen=True)
class Seeded:
    created: bool
    plan_code: str
    member_nickname: str
    claims: int


def running_document(sample: dict[str, Any], today: date) -> dict[str, Any]:
    """Last year's demo plan: the demo document built for one year ago."""
    doc = plans.demo_document(sample, add_months(today, -12))
    year = doc["plan_year"]
    doc["code"] = RUNNING_CODE
    doc["name"] = {
        "zh": f"【演示】惠厦保（{year}年度，保障中）",
        "en": f"[Demo] Huixia Bao {year} (cover running)",
    }
    return doc


def publish_running_plan(db: Session) -> Any:
    """Publish the running demo plan unless a version whose cover contains today exists."""
    existing = plans.latest_version(db, RUNNING_CODE)
    today = clock.today("Asia/Shanghai")
    if existing is not None:
        cov = plans.terms_of(existing).coverage
        if cov.start and cov.end and cov.start <= today <= cov.end:
            return existing
    sample, _ = load_terms_file(plans.SAMPLE_FILE)
    return plans.publish(db, running_document(sample, today), source="demo-running").plan


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL).astimezone(UTC)


def _page(label: str, seed: int) -> bytes:
    """A small, distinct JPEG standing in for a photo of a paper document."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 640), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 460, 80), outline=(40, 90, 160), width=3)
    draw.text((32, 40), f"DEMO - {label}", fill=(40, 90, 160))
    for row in range(12):
        y = 110 + row * 40
        width = 120 + ((seed * 37 + row * 53) % 300)
        draw.rectangle((32, y, 32 + width, y + 14), fill=(180, 180, 180))
    draw.text((32, 600), f"#{seed:04d}", fill=(120, 120, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


class _Demo:
    def __init__(self, db: Session, storage: Any, member: Member) -> None:
        self.db = db
        self.storage = storage
        self.member = member
        self.seed = 0

    def travel(self, when: datetime) -> None:
        clock.set_clock(when)

    def file(
        self,
        person_id: str,
        claim_type: str,
        start: date,
        end: date,
        expenses: list[dict[str, Any]],
        hospital: str,
        skip: tuple[str, ...] = (),
    ) -> Claim:
        claim = claims.create_claim(
            self.db,
            self.member,
            {
                "person_id": person_id,
                "claim_type": claim_type,
                "service_start": start,
                "service_end": end,
                "hospital": hospital,
                "expenses": expenses,
            },
        )
        _, terms = claims.plan_terms(self.db, claim.plan_id)
        person = enrollment.get_person(self.db, self.member, person_id)
        ct = claims.claim_type_of(terms, claim_type)
        for kind in claims.required_kinds(ct, claims.is_minor(person, start)):
            if kind not in skip:
                self.upload(claim, kind)
        return claim

    def upload(self, claim: Claim, kind: str) -> None:
        self.seed += 1
        data = _page(kind, self.seed)
        claims.add_document(
            self.db,
            self.storage,
            claim,
            kind=kind,
            filename=f"{kind}.jpg",
            stream=io.BytesIO(data),
            declared_length=len(data),
            max_bytes=15 * 1024 * 1024,
            max_documents=50,
            uploaded_by="member",
        )


def _reviewer(db: Session) -> StaffUser:
    user = db.scalar(select(StaffUser).where(StaffUser.username == REVIEWER))
    if user is None:
        user = staff_service.create_staff(
            db, REVIEWER, "演示审核员 Demo reviewer", REVIEWER_PASSWORD, ["reviewer", "admin"]
        ).user
        user.totp_secret = REVIEWER_TOTP_SECRET
        db.flush()
    return user


def _member(db: Session, standin_db: str) -> tuple[Member, bool]:
    from app.standins import registry
    from app.standins.store import StandinStore

    store = StandinStore(standin_db)
    person = next((p for p in store.persons() if p.nickname == NICKNAME), None)
    if person is None:
        person = store.create_person(NICKNAME)
    found = db.scalar(
        select(MemberIdentity).where(
            MemberIdentity.provider == "wechat",
            MemberIdentity.app_id == registry.WECHAT_APP_ID,
            MemberIdentity.subject == person.wechat_openid,
        )
    )
    if found is not None:
        return found.member, False
    ident = members.LoginIdentity(
        provider="wechat",
        app_id=registry.WECHAT_APP_ID,
        subject=person.wechat_openid,
        user_id=None,
        unionid=person.wechat_unionid,
        nickname=NICKNAME,
        avatar_url=None,
    )
    return members.login_with_identity(db, ident), True


def seed(db: Session, storage: Any, standin_db: str, log: Callable[[str], None]) -> Seeded:
    """Set up the demo (idempotent). The caller commits."""
    real_now = clock.now()
    today = clock.today("Asia/Shanghai")
    plan = publish_running_plan(db)
    terms = plans.terms_of(plan)
    reviewer = _reviewer(db)
    member, _new = _member(db, standin_db)
    if db.scalar(select(Policy).where(Policy.member_id == member.id, Policy.plan_id == plan.id)):
        count = len(claims.list_claims(db, member))
        return Seeded(False, plan.code, NICKNAME, count)
    father, mother, son = (p for p in DEMO_PEOPLE[:3])
    window_open = terms.window.opens.replace(tzinfo=LOCAL).astimezone(UTC)
    try:
        # last year, the day after the window opened: consent, real name, family, declare, pay
        clock.set_clock(window_open + timedelta(days=1, hours=2))
        if member.id_index is None:
            members.record_consent(db, member, SENSITIVE_PI.kind, SENSITIVE_PI.version, True)
            members.bind_real_name(db, member, father.name, father.id_number)
        me = enrollment.ensure_self(db, member)
        persons = {p.id_index: p for p in enrollment.list_persons(db, member)}
        wife = _person(db, member, persons, "spouse", mother)
        child = _person(db, member, persons, "child", son)
        everyone = [me.id, wife.id, child.id]
        no = {c.code: False for c in terms.conditions}
        for pid in everyone:
            answers = dict(no)
            if pid == wife.id:
                answers["diabetes"] = True  # she is in the pre-existing-condition tier
            enrollment.declare(db, member, pid, plan.code, answers, True)
        order = enrollment.create_order(db, member, plan.code, everyone)
        personal_account.pay(db, member, order.id, everyone, True)
        start = terms.coverage.start
        assert start is not None
        demo = _Demo(db, storage, member)
        _claims(demo, reviewer, me.id, wife.id, child.id, start, today)
        db.flush()
        count = len(claims.list_claims(db, member))
        log(f"demo: {count} claims for {NICKNAME} on {plan.code}")
        return Seeded(True, plan.code, NICKNAME, count)
    finally:
        clock.set_clock(None)
        del real_now


def _person(db: Session, member: Member, persons: dict[str, Any], relation: str, who: Any) -> Any:
    from app.identity import crypto

    existing = persons.get(crypto.id_index(who.id_number))
    if existing is not None:
        return existing
    return enrollment.add_person(db, member, relation, who.name, who.id_number, False)


def _hospital(in_catalog: int, out_of_catalog: int) -> list[dict[str, Any]]:
    return [
        {"liability": "in_catalog", "amount_fen": in_catalog, "other_paid_fen": 0},
        {"liability": "out_of_catalog", "amount_fen": out_of_catalog, "other_paid_fen": 0},
    ]


def _claims(
    demo: _Demo, reviewer: StaffUser, me: str, wife: str, child: str, start: date, today: date
) -> None:
    db, member = demo.db, demo.member
    hospital = "厦门大学附属第一医院"
    # 1. paid: his stay a month into the cover, reviewed and paid within the SLA
    d = start + timedelta(days=30)
    demo.travel(_at(d + timedelta(days=10)))
    c1 = demo.file(
        me, "hospital", d, d + timedelta(days=9), _hospital(6_800_000, 1_500_000), hospital
    )
    claims.submit(db, member, c1.id)
    demo.travel(_at(d + timedelta(days=12)))
    review.start_review(db, reviewer, c1.id)
    demo.travel(_at(d + timedelta(days=16)))
    review.approve(db, reviewer, c1.id, c1.expenses)
    demo.travel(_at(d + timedelta(days=20)))
    review.mark_paid(db, reviewer, c1.id, "DEMO20260001")
    # 2. rejected: a stay settled without the basic medical insurance
    d = start + timedelta(days=80)
    demo.travel(_at(d + timedelta(days=5)))
    c2 = demo.file(me, "hospital", d, d + timedelta(days=2), _hospital(0, 900_000), "厦门长庚医院")
    claims.submit(db, member, c2.id)
    demo.travel(_at(d + timedelta(days=7)))
    review.start_review(db, reviewer, c2.id)
    review.reject(db, reviewer, c2.id, "bmi_not_used", "结算单显示为自费结算")
    # 3. under review: her special drug, recent
    d = today - timedelta(days=40)
    demo.travel(_at(today - timedelta(days=20)))
    drug = [
        {
            "liability": "special_drugs",
            "amount_fen": 1_860_000,
            "other_paid_fen": 0,
            "drug_code": "pembrolizumab",
        }
    ]
    c3 = demo.file(wife, "special_drug", d, d, drug, "厦门大学附属中山医院")
    claims.submit(db, member, c3.id)
    demo.travel(_at(today - timedelta(days=18)))
    review.start_review(db, reviewer, c3.id)
    # 4. need more information: his second stay, the discharge summary was unreadable
    d = today - timedelta(days=30)
    demo.travel(_at(today - timedelta(days=12)))
    c4 = demo.file(
        me, "hospital", d, d + timedelta(days=6), _hospital(3_200_000, 400_000), hospital
    )
    claims.submit(db, member, c4.id)
    demo.travel(_at(today - timedelta(days=10)))
    review.start_review(db, reviewer, c4.id)
    demo.travel(_at(today - timedelta(days=9)))
    review.request_info(db, reviewer, c4.id, ["discharge_summary"], "照片不清晰，请重新拍摄")
    # 5. submitted: the son's stay (a minor: guardian's ID and proof of relationship too)
    d = today - timedelta(days=15)
    demo.travel(_at(today - timedelta(days=2)))
    c5 = demo.file(
        child, "hospital", d, d + timedelta(days=4), _hospital(2_600_000, 300_000), "厦门市儿童医院"
    )
    claims.submit(db, member, c5.id)
    # 6. a draft with a missing document: her proton therapy, started yesterday
    d = today - timedelta(days=5)
    demo.travel(_at(today - timedelta(days=1)))
    demo.file(
        wife,
        "proton_heavy_ion",
        d,
        d + timedelta(days=2),
        [{"liability": "proton_heavy_ion", "amount_fen": 2_400_000, "other_paid_fen": 0}],
        "上海市质子重离子医院",
        skip=("pathology_report", "payee_bank_card"),
    )
