"""Claims, staff side: the review queue, the actions, adjudication with the year-to-date
accumulators, and the audit log of staff views.

Approval locks the policy row (the person's year) before reading the accumulators, so two
approvals for the same person run one after the other: the second sees what the first
used of the deductible and the caps. Every action locks the claim row first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.claims import service, workflow
from app.claims.models import AuditEntry, Claim, YearToDate
from app.claims.workflow import Action, ActorKind, RejectReason, Status
from app.core import clock, money
from app.core.errors import Conflict, ValidationFailed
from app.enrollment.models import Policy
from app.plans.models import Plan
from app.rules.payout import PayoutResult, net_fen
from app.rules.terms import Text

LOCAL = ZoneInfo("Asia/Shanghai")


def actor_kind(staff: StaffUser) -> ActorKind:
    return ActorKind.ADMIN if "admin" in staff.role_list else ActorKind.REVIEWER  # type: ignore[attr-defined]


# --- audit -------------------------------------------------------------------------------


def audit(
    db: Session,
    staff: StaffUser,
    action: str,
    object_type: str,
    object_id: str,
    claim_id: str | None,
    ip: str = "",
    user_agent: str = "",
) -> None:
    """A staff user saw a document or personal data: written in the request's transaction
    (a view that fails to answer writes nothing, a view that answers is always logged).
    Flushed with the request's other writes (a queue page adds one entry per claim)."""
    db.add(
        AuditEntry(
            at=clock.now(),
            staff_id=staff.id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            claim_id=claim_id,
            ip=ip[:64],
            user_agent=user_agent[:256],
        )
    )


def audit_log(
    db: Session, claim_id: str | None, staff_id: str | None, page: int, per_page: int
) -> tuple[list[AuditEntry], int]:
    stmt = select(AuditEntry)
    if claim_id:
        stmt = stmt.where(AuditEntry.claim_id == claim_id)
    if staff_id:
        stmt = stmt.where(AuditEntry.staff_id == staff_id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


# --- queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    plan: str | None = None
    claim_type: str | None = None
    sla_due_before: date | None = None
    overdue: bool | None = None
    duplicate: bool | None = None


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL).astimezone(ZoneInfo("UTC"))


def queue(db: Session, flt: QueueFilter, page: int, per_page: int) -> tuple[list[Claim], int]:
    """Filed claims (never-submitted ones are the member's own business), the most urgent
    first."""
    stmt: Select[Any] = select(Claim).where(Claim.submitted_at.is_not(None))
    if flt.status:
        stmt = stmt.where(Claim.status == flt.status)
    if flt.plan:
        stmt = stmt.where(Claim.plan_id.in_(select(Plan.id).where(Plan.code == flt.plan)))
    if flt.claim_type:
        stmt = stmt.where(Claim.claim_type == flt.claim_type)
    if flt.sla_due_before is not None:
        # due before the end of that local day
        stmt = stmt.where(
            Claim.sla_due_at < _local_midnight_utc(flt.sla_due_before + timedelta(days=1))
        )
    if flt.overdue is True:
        stmt = stmt.where(Claim.sla_due_at < clock.now())
    elif flt.overdue is False:
        stmt = stmt.where((Claim.sla_due_at.is_(None)) | (Claim.sla_due_at >= clock.now()))
    if flt.duplicate is True:
        stmt = stmt.where(service.duplicate_clause(Claim.id))
    elif flt.duplicate is False:
        stmt = stmt.where(~service.duplicate_clause(Claim.id))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(Claim.sla_due_at.asc().nulls_last(), Claim.submitted_at, Claim.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def get_claim(db: Session, claim_id: str, *, lock: bool = False) -> Claim:
    """A filed claim: one never submitted (a draft, or a draft withdrawn) is the member's own
    business (404 to staff, as in the queue)."""
    claim = service.lock_claim(db, claim_id) if lock else db.get(Claim, claim_id)
    if claim is None or claim.submitted_at is None:
        raise service.ClaimNotFound()
    return claim


# --- actions -----------------------------------------------------------------------------


def start_review(db: Session, staff: StaffUser, claim_id: str) -> Claim:
    claim = get_claim(db, claim_id, lock=True)
    service.change_status(db, claim, Action.START_REVIEW, actor_kind(staff), staff.id)
    return claim


def request_info(
    db: Session, staff: StaffUser, claim_id: str, kinds: list[str], note: str
) -> Claim:
    claim = get_claim(db, claim_id, lock=True)
    workflow.transition(Status(claim.status), Action.REQUEST_INFO, actor_kind(staff))
    _, terms = service.plan_terms(db, claim.plan_id)
    claim_type = service.claim_type_of(terms, claim.claim_type)
    names = {item.kind: item.name for item in claim_type.documents}
    unknown = [k for k in kinds if k not in names]
    if unknown or not kinds:
        raise ValidationFailed(
            f"Name the documents from this claim's checklist: {', '.join(sorted(names))}.",
            f"请从本理赔的材料清单中选择需要补充的材料：{'、'.join(sorted(names))}。",
            code="unknown_kind",
            errors={"json": {"kinds": unknown or ["at least one"]}},
        )
    note = note.strip()
    wanted = list(dict.fromkeys(kinds))
    reason = Text(
        "请补充：" + "、".join(names[k].zh for k in wanted) + (f"（{note}）" if note else ""),
        "Please add: " + ", ".join(names[k].en for k in wanted) + (f" ({note})" if note else ""),
    )
    claim.info_request = {
        "kinds": wanted,
        "note": note,
        # the files there already: each kind asked for needs a new one before resubmitting
        "documents_before": [d.id for d in service.documents_of(db, claim.id)],
    }
    service.change_status(
        db,
        claim,
        Action.REQUEST_INFO,
        actor_kind(staff),
        staff.id,
        reason=reason,
        data={"kinds": wanted, "note": note},
    )
    return claim


def lock_year(db: Session, policy_id: str) -> YearToDate:
    """Lock the person's year (the policy row) and return its accumulators row."""
    fresh = {"populate_existing": True}
    db.scalar(
        select(Policy).where(Policy.id == policy_id).with_for_update().execution_options(**fresh)
    )
    row = db.scalar(
        select(YearToDate)
        .where(YearToDate.policy_id == policy_id)
        .with_for_update()
        .execution_options(**fresh)
    )
    if row is None:
        row = YearToDate(
            policy_id=policy_id,
            deductible_used={},
            paid={},
            overall_paid_fen=0,
            approved_claims=0,
            updated_at=clock.now(),
        )
        db.add(row)
        db.flush()
    return row


def adjudicate(
    db: Session, claim: Claim, *expense_sets: list[dict[str, Any]]
) -> tuple[list[PayoutResult], dict[str, Any]]:
    """The engine's result for each set of expenses with the person's year to date now
    (exactly the estimate's call); also returns the year to date they started from."""
    policy = db.get(Policy, claim.policy_id)
    assert policy is not None
    _, terms = service.plan_terms(db, claim.plan_id)
    claim_type = service.claim_type_of(terms, claim.claim_type)
    ytd = service.year_to_date(db, policy.id)
    results = [
        service.run_engine(terms, claim_type, policy.tier, expenses, ytd)
        for expenses in expense_sets
    ]
    return results, service.ytd_view(ytd)


def _line_key(item: dict[str, Any]) -> tuple[str, str | None]:
    return item["liability"], item.get("drug_code")


def check_verified(claimed: list[dict[str, Any]], verified: list[dict[str, Any]]) -> None:
    """The reviewer verifies what the member claimed: per liability (and drug), the verified
    amount, and the amount left after what others paid, may be lower than claimed, never
    higher; nothing unclaimed may be added (a larger figure goes back to the member with a
    request for documents)."""
    limits: dict[tuple[str, str | None], list[int]] = {}
    for item in claimed:
        limit = limits.setdefault(_line_key(item), [0, 0])
        limit[0] += item["amount_fen"]
        limit[1] += net_fen(item["amount_fen"], item.get("other_paid_fen", 0))
    claimed_liabilities = {key[0] for key in limits}
    used: dict[tuple[str, str | None], list[int]] = {}
    for index, item in enumerate(verified):
        key = _line_key(item)
        what = key[0] + (f" ({key[1]})" if key[1] else "")
        if key not in limits:
            field = "drug_code" if key[0] in claimed_liabilities else "liability"
            raise ValidationFailed(
                f"The member did not claim {what}; only claimed lines can be approved.",
                f"会员未申请该项费用（{what}），只能核定已申请的费用。",
                code="verified_not_claimed",
                errors={"json": {f"expenses.{index}.{field}": ["not claimed"]}},
            )
        total = used.setdefault(key, [0, 0])
        total[0] += item["amount_fen"]
        total[1] += net_fen(item["amount_fen"], item.get("other_paid_fen", 0))
        gross, net = limits[key]
        if total[0] > gross or total[1] > net:
            field = "amount_fen" if total[0] > gross else "other_paid_fen"
            raise ValidationFailed(
                f"Verified figures for {what} exceed what was claimed (amount "
                f"{money.fen_to_yuan_str(gross, always_decimals=True)} yuan, of which "
                f"{money.fen_to_yuan_str(net, always_decimals=True)} yuan not paid by others).",
                f"{what} 的核定金额超过会员申请的金额（费用 "
                f"{money.fen_to_yuan_str(gross, always_decimals=True)} 元，其中他方未支付 "
                f"{money.fen_to_yuan_str(net, always_decimals=True)} 元）。",
                code="verified_exceeds_claimed",
                errors={"json": {f"expenses.{index}.{field}": ["exceeds claimed"]}},
            )


def approve(db: Session, staff: StaffUser, claim_id: str, expenses: list[dict[str, Any]]) -> Claim:
    claim = get_claim(db, claim_id, lock=True)
    workflow.transition(Status(claim.status), Action.APPROVE, actor_kind(staff))
    expenses = service.clean_expenses(expenses)
    check_verified(claim.expenses, expenses)
    year = lock_year(db, claim.policy_id)
    # the verified figures, and what the member's own gave at this moment (kept for the
    # reviewers' comparison)
    (result, members), before = adjudicate(db, claim, expenses, claim.expenses)
    from app.plans import presenters

    after = result.year_to_date_after
    year.deductible_used = dict(after.deductible_used_fen)
    year.paid = dict(after.paid_fen)
    year.overall_paid_fen = after.overall_paid_fen
    year.approved_claims = year.approved_claims + 1
    year.updated_at = clock.now()
    claim.verified_expenses = expenses
    claim.decision = {
        **presenters.payout_result(result),
        "year_to_date_before": before,
        "member_estimate": {**presenters.payout_result(members), "year_to_date": before},
    }
    claim.payout_fen = result.total_payout_fen
    service.change_status(
        db,
        claim,
        Action.APPROVE,
        actor_kind(staff),
        staff.id,
        data={"payout_fen": result.total_payout_fen},
    )
    return claim


def reject(
    db: Session, staff: StaffUser, claim_id: str, reason_code: str, detail: str | None
) -> Claim:
    claim = get_claim(db, claim_id, lock=True)
    workflow.transition(Status(claim.status), Action.REJECT, actor_kind(staff))
    code = RejectReason(reason_code)
    reason = workflow.reject_reason_text(code, detail)
    claim.reject_reason = code.value
    claim.reject_detail = (detail or "").strip() or None
    service.change_status(db, claim, Action.REJECT, actor_kind(staff), staff.id, reason=reason)
    return claim


def mark_paid(db: Session, staff: StaffUser, claim_id: str, bank_reference: str) -> Claim:
    claim = get_claim(db, claim_id, lock=True)
    workflow.transition(Status(claim.status), Action.MARK_PAID, actor_kind(staff))
    if service.pays_nothing(claim):
        raise Conflict(
            "This claim was approved with a payout of 0: there is nothing to pay.",
            "该理赔核定赔付金额为 0 元，无需支付。",
            code="nothing_to_pay",
        )
    claim.bank_reference = bank_reference.strip()
    service.change_status(
        db,
        claim,
        Action.MARK_PAID,
        actor_kind(staff),
        staff.id,
        data={"bank_reference": claim.bank_reference},
    )
    return claim
