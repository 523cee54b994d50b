"""Cancelling a policy before its cover starts, and refunding through the original provider.

The cancellation (policy cancelled, the person's place released, a `refunds` row) is one
transaction; the provider is called after it commits (never inside a transaction that
could still roll back), and `flask payments refunds` retries what is still `requested`.
After cover has started the terms allow no refund: refused with the terms' reason.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import after_commit
from app.core.errors import Conflict, NotFound
from app.enrollment.models import OrderLine, Policy
from app.members.models import Member
from app.payments.models import Payment, Refund
from app.payments.providers.base import PaymentProviderError
from app.plans import service as plans
from app.plans.models import Plan

log = logging.getLogger(__name__)


class RefundNotAllowed(Conflict):
    code = "refund_not_allowed"
    message_en = (
        "Cover has started: under the terms a policy can be cancelled with a full refund only "
        "before its cover starts."
    )
    message_zh = "保障已开始：依据条款，仅在保障开始前可退保并全额退费，保障开始后不予退费。"


def cancel_policy(db: Session, member: Member, policy_id: str) -> Refund:
    policy = db.scalar(select(Policy).where(Policy.id == policy_id).with_for_update())
    if policy is None or policy.member_id != member.id:
        raise NotFound("No such policy.", "未找到该保单。", code="policy_not_found")
    if policy.state == "cancelled":
        raise Conflict(
            "This policy is already cancelled.", "该保单已退保。", code="already_cancelled"
        )
    plan = db.get(Plan, policy.plan_id)
    assert plan is not None
    terms = plans.terms_of(plan)
    today: date = clock.today(terms.timezone)
    if terms.refund_rule == "full_before_coverage_start" and today >= policy.coverage_start:
        raise RefundNotAllowed()
    line = db.get(OrderLine, policy.order_line_id)
    assert line is not None
    payment = db.scalar(
        select(Payment)
        .where(Payment.order_id == line.order_id, Payment.status == "paid")
        .with_for_update()
    )
    if payment is None:
        raise Conflict("No payment to refund.", "没有可退款的支付记录。", code="no_payment")
    now = clock.now()
    policy.state = "cancelled"
    policy.cancelled_at = now
    line.state = "released"
    payment.refunded_fen += policy.premium_fen
    refund = Refund(
        payment_id=payment.id,
        policy_id=policy.id,
        out_refund_no=f"R{policy.id}",
        amount_fen=policy.premium_fen,
        status="requested",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.add(refund)
    db.flush()
    if payment.provider == "personal_account":
        _credit_personal_account(db, payment, refund)
    else:
        refund_id = refund.id
        after_commit(lambda own: send(own, refund_id))
    return refund


def _credit_personal_account(db: Session, payment: Payment, refund: Refund) -> None:
    """Back onto the payer's personal account through the bureau interface (the stand-in
    works inside this transaction; a production bureau client replaces it)."""
    from app.payments.personal_account import BureauError, bureau_client

    bureau = bureau_client(db)
    if bureau is None:
        refund.status = "requested"  # retried by `flask payments refunds` once configured
        return
    try:
        result = bureau.refund(payment.out_trade_no, refund.out_refund_no, refund.amount_fen)
    except BureauError as exc:
        log.warning("bureau refund %s failed: %s", refund.id, exc)
        refund.status = "failed"
        return
    refund.status = "success"
    refund.provider_refund_id = result.refund_no
    if payment.refunded_fen >= payment.amount_fen:
        payment.status = "refunded"
    db.flush()


def send(db: Session, refund_id: str) -> str:
    """Ask the provider to refund; idempotent (the out_refund_no is fixed)."""
    from app.payments import service

    refund = db.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None or refund.status not in ("requested", "processing"):
        return refund.status if refund else "missing"
    payment = db.get(Payment, refund.payment_id)
    assert payment is not None
    client = service.client_for(payment.provider)
    refund.attempts += 1
    refund.updated_at = clock.now()
    if client is None:
        return refund.status
    try:
        result = client.refund(
            payment.out_trade_no,
            refund.out_refund_no,
            refund.amount_fen,
            payment.amount_fen,
            "退保退费",
        )
    except PaymentProviderError as exc:
        log.warning("refund %s at %s failed: %s", refund.id, payment.provider, exc.kind)
        if exc.kind == "rejected":
            refund.status = "failed"
        return refund.status
    finally:
        client.http.close()
    refund.status = result.status
    refund.provider_refund_id = result.provider_refund_id
    if payment.refunded_fen >= payment.amount_fen and result.status == "success":
        payment.status = "refunded"
    db.flush()
    return refund.status


def pending_refunds(db: Session) -> list[str]:
    return list(db.scalars(select(Refund.id).where(Refund.status.in_(["requested", "processing"]))))


__all__ = ["RefundNotAllowed", "cancel_policy", "pending_refunds", "send"]
