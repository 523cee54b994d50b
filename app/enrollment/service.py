"""Enrollment: the member's family, health declarations, orders, policies.

Money figures come from the rules engine (premium, tier); the window and expiry from the
app clock; one policy per person per plan year is a partial unique index, not a check.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.enrollment.models import (
    HealthDeclaration,
    InsuredPerson,
    Order,
    OrderLine,
    Policy,
)
from app.identity import crypto
from app.identity.resident_id import InvalidResidentId, parse_resident_id
from app.members.models import Member
from app.plans import service as plans
from app.plans.models import Plan
from app.roster import service as roster
from app.rules import calendar, pricing
from app.rules.errors import RuleInputError
from app.rules.terms import Terms
from app.rules.tier import PriorYear, determine_tier

GUARDIAN_CONSENT_UNDER = 14  # PIPL art. 31: under 14 needs the guardian's consent
ADULT_AGE = 18
NEWBORN_REGISTRATION_DAYS = 90


def _field(field: str, code: str, en: str, zh: str, status: int = 422) -> ValidationFailed:
    return ValidationFailed(en, zh, code=code, http_status=status, errors={"json": {field: [en]}})


def age_on(birth: date, day: date) -> int:
    """Whole years of age on `day` (a 29 February birthday counts on 1 March)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


class NotVerified(DomainError):
    http_status = 403
    code = "real_name_required"
    message_en = "Verify your real name first."
    message_zh = "请先完成实名认证。"


class WindowClosed(DomainError):
    http_status = 409
    code = "window_closed"
    message_en = "Enrollment for this plan is closed."
    message_zh = "本计划投保期已结束。"


class WindowNotOpen(DomainError):
    http_status = 409
    code = "window_not_open"
    message_en = "Enrollment for this plan has not opened yet."
    message_zh = "本计划尚未开放投保。"


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    message_en = "This person already has a policy or an unpaid order in this plan year."
    message_zh = "此人在本保障年度已有保单或待支付订单。"


# --- persons ----------------------------------------------------------------------------


def ensure_self(db: Session, member: Member) -> InsuredPerson:
    """The member's own person row, made from the real-name binding."""
    if member.id_index is None or member.real_name is None or member.id_number is None:
        raise NotVerified()
    person = db.scalar(
        select(InsuredPerson).where(
            InsuredPerson.member_id == member.id, InsuredPerson.id_index == member.id_index
        )
    )
    if person is None:
        assert member.birth_date and member.sex and member.id_kind and member.roster_entry_id
        person = InsuredPerson(
            member_id=member.id,
            relation="self",
            name=member.real_name,
            id_number=member.id_number,
            id_index=member.id_index,
            birth_date=member.birth_date,
            sex=member.sex,
            id_kind=member.id_kind,
            roster_entry_id=member.roster_entry_id,
            created_at=clock.now(),
        )
        db.add(person)
        db.flush()
    return person


def list_persons(db: Session, member: Member) -> list[InsuredPerson]:
    if member.id_index is not None:
        ensure_self(db, member)
    persons = db.scalars(
        select(InsuredPerson)
        .where(InsuredPerson.member_id == member.id)
        .order_by(InsuredPerson.created_at, InsuredPerson.id)
    )
    return sorted(persons, key=lambda p: p.relation != "self")  # the member first


def get_person(db: Session, member: Member, person_id: str) -> InsuredPerson:
    person = db.get(InsuredPerson, person_id)
    if person is None or person.member_id != member.id:
        raise NotFound("No such family member.", "未找到该家庭成员。", code="person_not_found")
    return person


def add_person(
    db: Session, member: Member, relation: str, name: str, id_number: str, guardian_consent: bool
) -> InsuredPerson:
    """A family member, checked like the member's own binding: ID, roster, status."""
    if member.id_index is None:
        raise NotVerified()
    if relation == "self":
        return ensure_self(db, member)
    today = clock.today("Asia/Shanghai")
    clean = crypto.normalise_name(name)
    if not clean:
        raise _field("name", "name_required", "Enter the name.", "请输入姓名。")
    try:
        rid = parse_resident_id(id_number, today=today)
    except InvalidResidentId as exc:
        raise _field("id_number", exc.code, exc.message_en, exc.message_zh) from exc
    index = crypto.id_index(rid.number)
    if index == member.id_index:
        raise _field(
            "id_number", "is_self", "This is your own ID number.", "这是您本人的身份证号。"
        )
    age = age_on(rid.birth_date, today)
    if age < ADULT_AGE and relation != "child":
        raise _field(
            "relation",
            "minor_needs_parent",
            "Only a parent may enroll a minor: choose 'child'.",
            "未成年人只能由父母作为子女投保，请选择“子女”。",
        )
    if relation == "parent" and rid.birth_date >= member.birth_date:  # type: ignore[operator]
        raise _field(
            "relation",
            "relation_implausible",
            "A parent is older than you.",
            "父母的出生日期应早于您。",
        )
    entry = roster.find_by_id_number(db, rid.number)
    if entry is None or crypto.normalise_name(entry.name) != clean:
        if entry is None and (today - rid.birth_date).days < 365:
            raise _field(
                "id_number",
                "newborn_not_registered",
                "This baby is not on the basic medical insurance roster yet. Register the "
                f"baby for basic medical insurance first (within {NEWBORN_REGISTRATION_DAYS} "
                "days of birth), then come back to enroll.",
                f"宝宝尚未登记基本医保。请先为宝宝办理基本医保参保登记（出生后 "
                f"{NEWBORN_REGISTRATION_DAYS} 天内），登记后再来投保。",
            )
        raise _field(
            "id_number",
            "roster_mismatch",
            "No one with this name and ID number is on the city's basic medical insurance roster.",
            "本市基本医保参保名单中没有该姓名和身份证号。",
        )
    if entry.status != "normal":
        raise _field(
            "id_number",
            "roster_status_not_normal",
            "This person's basic medical insurance status is not normal.",
            "此人的基本医保参保状态不是“正常”，暂不能投保。",
        )
    existing = db.scalar(
        select(InsuredPerson).where(
            InsuredPerson.member_id == member.id, InsuredPerson.id_index == index
        )
    )
    if existing is not None:
        raise Conflict(
            "This person is already in your family list.",
            "此人已在您的家庭成员中。",
            code="person_exists",
        )
    person = InsuredPerson(
        member_id=member.id,
        relation=relation,
        name=clean,
        id_number=rid.number,
        id_index=index,
        birth_date=rid.birth_date,
        sex=rid.sex,
        id_kind=rid.kind,
        roster_entry_id=entry.id,
        guardian_consent_at=clock.now() if guardian_consent else None,
        created_at=clock.now(),
    )
    db.add(person)
    db.flush()
    return person


# --- declarations and tiers ------------------------------------------------------------


def history(db: Session, person_index: str, scheme: str) -> list[PriorYear]:
    """Earlier plan years of the scheme in which this person held a policy."""
    rows = db.execute(
        select(Policy.plan_year, Policy.tier).where(
            Policy.person_index == person_index, Policy.scheme == scheme, Policy.state == "issued"
        )
    ).all()
    return [PriorYear(year, tier) for year, tier in rows]  # type: ignore[arg-type]


def declare(
    db: Session,
    member: Member,
    person_id: str,
    plan_code: str,
    answers: dict[str, bool],
    health_consent: bool,
) -> HealthDeclaration:
    person = get_person(db, member, person_id)
    plan = plans.get_plan(db, plan_code)
    terms = plans.terms_of(plan)
    if not health_consent:
        raise _field(
            "health_consent",
            "health_consent_required",
            "Agree to the processing of health information to declare.",
            "请同意处理健康信息后再进行健康告知。",
        )
    codes = [c.code for c in terms.conditions]
    unknown = sorted(set(answers) - set(codes))
    missing = [c for c in codes if c not in answers]
    if unknown or missing:
        raise ValidationFailed(
            "Answer every condition of the list, and only those.",
            "请逐项回答清单中的每一种疾病。",
            errors={
                "json": {
                    "answers": {c: ["unknown condition"] for c in unknown}
                    | {c: ["missing answer"] for c in missing}
                }
            },
        )
    declared = [c for c in codes if answers[c]]
    try:
        result = determine_tier(terms, declared, history(db, person.id_index, terms.scheme))
    except RuleInputError as exc:  # cannot happen after the check above; kept for safety
        raise plans.rule_error(exc) from exc
    row = HealthDeclaration(
        person_id=person.id,
        plan_id=plan.id,
        answers=json.dumps({c: bool(answers[c]) for c in codes}, sort_keys=True),
        health_consent_at=clock.now(),
        tier=result.tier.value,
        reasons=[s.as_dict() for s in result.reasons],
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    return row


def latest_declaration(db: Session, person_id: str, plan_id: str) -> HealthDeclaration | None:
    return db.scalar(
        select(HealthDeclaration)
        .where(HealthDeclaration.person_id == person_id, HealthDeclaration.plan_id == plan_id)
        .order_by(HealthDeclaration.created_at.desc(), HealthDeclaration.id.desc())
        .limit(1)
    )


# --- orders ----------------------------------------------------------------------------


def order_ttl() -> timedelta:
    from flask import current_app

    return timedelta(minutes=current_app.extensions["settings"].order_ttl_minutes)


def expire_stale(db: Session, now: datetime | None = None, member_id: str | None = None) -> int:
    """Unpaid orders past their time expire and release their persons. Called on every
    read and write that depends on it, so no background process is needed to be correct."""
    now = now or clock.now()
    query = select(Order.id).where(Order.status == "pending", Order.expires_at <= now)
    if member_id is not None:
        query = query.where(Order.member_id == member_id)
    ids = list(db.scalars(query))
    if not ids:
        return 0
    db.execute(
        update(OrderLine)
        .where(OrderLine.order_id.in_(ids), OrderLine.state == "pending")
        .values(state="released")
    )
    db.execute(
        update(Order).where(Order.id.in_(ids), Order.status == "pending").values(status="expired")
    )
    db.flush()
    return len(ids)


def _release_stale_for(db: Session, scheme: str, plan_year: int, indexes: list[str]) -> None:
    now = clock.now()
    stale = list(
        db.scalars(
            select(OrderLine.order_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.scheme == scheme,
                OrderLine.plan_year == plan_year,
                OrderLine.person_index.in_(indexes),
                OrderLine.state == "pending",
                Order.expires_at <= now,
            )
        )
    )
    if stale:
        db.execute(
            update(OrderLine)
            .where(OrderLine.order_id.in_(stale), OrderLine.state == "pending")
            .values(state="released")
        )
        db.execute(
            update(Order)
            .where(Order.id.in_(stale), Order.status == "pending")
            .values(status="expired")
        )


def check_window(terms: Terms) -> None:
    state = calendar.window_state(terms, clock.now())
    if state == "upcoming":
        raise WindowNotOpen()
    if state == "closed":
        raise WindowClosed()


@dataclass(frozen=True)
class LineRequest:
    person_id: str


def create_order(db: Session, member: Member, plan_code: str, person_ids: list[str]) -> Order:
    plan = plans.get_plan(db, plan_code)
    terms = plans.terms_of(plan)
    check_window(terms)
    if not person_ids:
        raise _field(
            "persons", "no_persons", "Choose at least one person.", "请至少选择一位被保险人。"
        )
    if len(set(person_ids)) != len(person_ids):
        raise _field(
            "persons", "duplicate_person", "A person is listed twice.", "同一人不能重复选择。"
        )
    persons = [get_person(db, member, pid) for pid in person_ids]
    coverage_start, _end = calendar.coverage_period(terms, clock.today(terms.timezone))
    lines = []
    for index, person in enumerate(persons):
        where = f"persons.{index}"
        if person.relation not in terms.relations:
            raise ValidationFailed(
                f"This plan does not cover a member's {person.relation}.",
                "本计划不接受该关系的家庭成员投保。",
                code="relation_not_allowed",
                errors={"json": {"persons": {str(index): ["relation"]}}},
            )
        if age_on(person.birth_date, coverage_start) < GUARDIAN_CONSENT_UNDER and (
            person.guardian_consent_at is None
        ):
            raise ValidationFailed(
                "A child under 14 at the start of cover needs the guardian's consent.",
                "未满 14 周岁的儿童投保需监护人同意。",
                code="guardian_consent_required",
                errors={"json": {"persons": {str(index): ["guardian consent"]}}},
            )
        declaration = latest_declaration(db, person.id, plan.id)
        if declaration is None:
            raise ValidationFailed(
                "Complete the health declaration for every person first.",
                "请先为每位被保险人完成健康告知。",
                code="declaration_required",
                errors={"json": {"persons": {str(index): ["declaration"]}}},
            )
        try:
            quote = pricing.quote_premium(terms, person.birth_date, field=where)
        except RuleInputError as exc:
            raise plans.rule_error(exc) from exc
        lines.append((person, declaration, quote))

    _release_stale_for(db, terms.scheme, terms.plan_year, [p.id_index for p in persons])
    now = clock.now()
    order = Order(
        member_id=member.id,
        plan_id=plan.id,
        status="pending",
        total_fen=sum(q.premium_fen for _p, _d, q in lines),
        created_at=now,
        expires_at=now + order_ttl(),
    )
    db.add(order)
    db.flush()
    for position, (person, declaration, quote) in enumerate(lines):
        db.add(
            OrderLine(
                order_id=order.id,
                position=position,
                person_id=person.id,
                scheme=terms.scheme,
                plan_year=terms.plan_year,
                person_index=person.id_index,
                declaration_id=declaration.id,
                tier=declaration.tier,
                premium_fen=quote.premium_fen,
                premium_rule=quote.rule,
                state="pending",
            )
        )
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise AlreadyEnrolled() from exc
    db.refresh(order)
    return order


def get_order(db: Session, member: Member, order_id: str) -> Order:
    expire_stale(db, member_id=member.id)
    order = db.get(Order, order_id)
    if order is None or order.member_id != member.id:
        raise NotFound("No such order.", "未找到该订单。", code="order_not_found")
    return order


# --- policies --------------------------------------------------------------------------


def _policy_number(terms: Terms) -> str:
    return f"HMB{terms.plan_year}{secrets.randbelow(10**10):010d}"


def issue_policies(db: Session, order: Order) -> list[Policy]:
    """Paid: one policy per line, in the same transaction as the payment."""
    plan = db.get(Plan, order.plan_id)
    assert plan is not None
    terms = plans.terms_of(plan)
    paid_day = (order.paid_at or clock.now()).astimezone(ZoneInfo(terms.timezone)).date()
    start, end = calendar.coverage_period(terms, paid_day)
    issued = []
    for line in order.lines:
        line.state = "paid"
        policy = Policy(
            policy_number=_policy_number(terms),
            order_line_id=line.id,
            member_id=order.member_id,
            person_id=line.person_id,
            plan_id=plan.id,
            scheme=line.scheme,
            plan_year=line.plan_year,
            person_index=line.person_index,
            tier=line.tier,
            premium_fen=line.premium_fen,
            coverage_start=start,
            coverage_end=end,
            verification_code=secrets.token_hex(4).upper(),
            state="issued",
            issued_at=clock.now(),
        )
        db.add(policy)
        issued.append(policy)
    db.flush()
    return issued


def policy_status(policy: Policy, today: date) -> str:
    """pending_start → active → expired, derived from the clock; or cancelled."""
    if policy.state == "cancelled":
        return "cancelled"
    if today < policy.coverage_start:
        return "pending_start"
    if today > policy.coverage_end:
        return "expired"
    return "active"


def list_policies(db: Session, member: Member) -> list[Policy]:
    return list(
        db.scalars(
            select(Policy).where(Policy.member_id == member.id).order_by(Policy.issued_at.desc())
        )
    )


def grant_guardian_consent(db: Session, member: Member, person_id: str) -> InsuredPerson:
    """The member, as the child's guardian, consents later (recorded with the time)."""
    person = get_person(db, member, person_id)
    if person.relation != "child":
        raise _field("relation", "not_a_child", "Only for a child.", "仅适用于子女。")
    if person.guardian_consent_at is None:
        person.guardian_consent_at = clock.now()
        db.flush()
    return person


def person_view(person: InsuredPerson) -> dict[str, Any]:
    from sqlalchemy.orm import object_session

    from app.identity.masking import mask_id_number, mask_name
    from app.roster.models import RosterEntry

    db = object_session(person)
    entry = db.get(RosterEntry, person.roster_entry_id) if db is not None else None

    return {
        "id": person.id,
        "relation": person.relation,
        "name_masked": mask_name(person.name),
        "id_number_masked": mask_id_number(person.id_number),
        "birth_date": person.birth_date,
        "sex": person.sex,
        "guardian_consent": person.guardian_consent_at is not None,
        # the roster status today (it was normal when the person was added)
        "roster_check": entry.status if entry is not None else "unknown",
    }


# --- renewal ---------------------------------------------------------------------------


def renew(db: Session, member: Member, plan_code: str) -> Order:
    """Re-enroll last year's persons in one step: everyone of the member who held a policy
    in the previous plan year of the same scheme, with last year's health answers carried
    over (the tier is judged again, with the continuous-enrollment chain)."""
    plan = plans.get_plan(db, plan_code)
    terms = plans.terms_of(plan)
    check_window(terms)
    previous = list(
        db.scalars(
            select(Policy).where(
                Policy.member_id == member.id,
                Policy.scheme == terms.scheme,
                Policy.plan_year == terms.plan_year - 1,
                Policy.state == "issued",
            )
        )
    )
    if not previous:
        raise NotFound(
            "Nobody of yours was insured last plan year: enroll them as new.",
            "您的家庭成员上一年度没有保单，请按新投保办理。",
            code="nothing_to_renew",
        )
    codes = [c.code for c in terms.conditions]
    person_ids = []
    for policy in previous:
        last = latest_declaration(db, policy.person_id, policy.plan_id)
        answers = json.loads(last.answers) if last else None
        if answers is None or sorted(answers) != sorted(codes):
            raise ValidationFailed(
                "This year's health questions differ from last year's: declare again.",
                "今年的健康告知问题与去年不同，请重新进行健康告知。",
                code="declaration_required",
                errors={"json": {"persons": {policy.person_id: ["declaration"]}}},
            )
        if latest_declaration(db, policy.person_id, plan.id) is None:
            declare(db, member, policy.person_id, plan_code, answers, health_consent=True)
        person_ids.append(policy.person_id)
    return create_order(db, member, plan_code, person_ids)
