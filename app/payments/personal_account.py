"""Paying premiums from an employee's BMI personal account (医保个人账户家庭共济).

An employee on the roster (insurance type `employee`, status `normal`) pays, from their
own personal-account balance, for themself and the close relatives bound to their
account (spouse, parents, children: every family relation an insured person can have).
The payer confirms the relatives' consent. When the balance does not cover everyone,
the payer chooses whom to pay for: the chosen lines move to a new order paid at once
from the account, and the original order keeps the other lines, with its total
recomputed, to be paid with WeChat Pay or Alipay.

The bureau's deduction is an interface (`BureauClient`) with the payment providers'
idempotency rules: the same `request_no` with the same body is the same deduction
(answered again, never deducted twice); the same `request_no` with another body is
refused. Development and tests use `app.standins.bureau.BureauStandin`, which deducts
from the roster's `account_balance_fen` in the request's own transaction, so the
deduction, the payment and the policies commit (or roll back) together. A production
client is plugged in as `app.extensions["bureau_client"]` (a factory taking the
session); with neither it nor the stand-in (DEV_STANDINS=1 or APP_ENV=test), the method
is not offered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.errors import Conflict, DomainError, ValidationFailed
from app.core.ids import new_id
from app.core.money import fen_to_yuan_str
from app.enrollment import service as enrollment
from app.enrollment.models import InsuredPerson, Order, OrderLine
from app.members.models import Member
from app.payments import service as payments
from app.payments.models import Payment
from app.payments.providers.base import PaymentNotice
from app.roster.models import RosterEntry

log = logging.getLogger(__name__)

PROVIDER = "personal_account"
CHANNEL = "account"
SOURCE = "deduction"  # PaymentEvent.source of what this method records
# every relation an insured person can have is a close relative the account may pay for
CLOSE_RELATIONS = frozenset({"self", "spouse", "child", "parent"})


# --- the bureau's interface -------------------------------------------------------------


@dataclass(frozen=True)
class DeductResult:
    request_no: str  # ours, unique: the Payment's out_trade_no
    deduction_no: str  # the bureau's
    balance_after_fen: int


@dataclass(frozen=True)
class RefundResult:
    refund_no: str
    balance_after_fen: int


BUREAU_ERROR_KINDS = (
    "payer_not_found",  # no such insured person at the bureau
    "account_not_available",  # not an employee, status not normal, no personal account
    "beneficiary_not_found",  # a beneficiary is not insured at the bureau
    "invalid_amount",  # zero or negative
    "insufficient_balance",  # the balance does not cover the amount
    "request_mismatch",  # the request_no (or refund_no) was used with another body
    "deduction_not_found",  # a refund of a request_no that deducted nothing
    "refund_exceeds_deduction",  # refunds of a deduction would come to more than it
    "unavailable",  # the bureau did not answer
)


class BureauError(Exception):
    """The bureau refused or failed a call; `balance_fen` is set with insufficient_balance."""

    def __init__(self, kind: str, detail: str = "", balance_fen: int | None = None) -> None:
        if kind not in BUREAU_ERROR_KINDS:
            raise ValueError(f"unknown bureau error kind {kind!r}")
        self.kind = kind
        self.detail = detail
        self.balance_fen = balance_fen
        super().__init__(f"bureau {kind}" + (f": {detail}" if detail else ""))


class BureauClient(Protocol):
    def balance(self, payer_id_number: str) -> int:
        """The payer's personal-account balance (fen); BureauError if there is none."""
        ...

    def deduct(
        self, request_no: str, payer_id_number: str, amount_fen: int, beneficiaries: list[str]
    ) -> DeductResult:
        """Deduct `amount_fen` from the payer's account for the beneficiaries (ID numbers).
        Same request_no + same body: the first result again, nothing deducted twice;
        same request_no, other body: BureauError("request_mismatch")."""
        ...

    def refund(self, request_no: str, refund_no: str, amount_fen: int) -> RefundResult:
        """Put `amount_fen` of the deduction `request_no` back on the payer's account.
        Same refund_no + same body: the first result again; refunds of one deduction
        never come to more than it."""
        ...


BureauFactory = Callable[[Session], BureauClient]


def bureau_client(db: Session) -> BureauClient | None:
    """The configured bureau client, the stand-in in development and tests, else None."""
    factory: BureauFactory | None = current_app.extensions.get("bureau_client")
    if factory is not None:
        return factory(db)
    settings = current_app.extensions["settings"]
    if settings.dev_standins or settings.app_env == "test":
        from app.standins.bureau import BureauStandin

        return BureauStandin(db)
    return None


# --- refusals ---------------------------------------------------------------------------


class MethodNotAvailable(DomainError):
    http_status = 422
    code = "personal_account_not_available"
    message_en = "Paying from the medical insurance personal account is not available."
    message_zh = "暂不支持使用医保个人账户支付。"


class NotAnEmployee(DomainError):
    http_status = 422
    code = "not_an_employee"
    message_en = (
        "Only employees' basic medical insurance has a personal account that can pay "
        "for the family."
    )
    message_zh = "仅职工基本医疗保险参保人可使用个人账户为家庭成员支付。"


class RosterStatusNotNormal(DomainError):
    http_status = 422
    code = "roster_status_not_normal"
    message_en = "Your basic medical insurance status is not normal."
    message_zh = "您的基本医保参保状态不是“正常”，暂不能使用个人账户支付。"


class RelativesConsentRequired(DomainError):
    http_status = 422
    code = "relatives_consent_required"
    message_en = "Confirm that your relatives agree to be paid for from your personal account."
    message_zh = "请确认家庭成员已同意使用您的医保个人账户为其支付保费。"


class LineNotInOrder(DomainError):
    http_status = 422
    code = "line_not_in_order"
    message_en = "A chosen person is not in this order (or is listed twice)."
    message_zh = "所选人员不在本订单中（或重复选择）。"


class InsufficientBalance(DomainError):
    http_status = 422
    code = "insufficient_balance"

    def __init__(self, balance_fen: int, amount_fen: int) -> None:
        balance = fen_to_yuan_str(balance_fen, always_decimals=True)
        amount = fen_to_yuan_str(amount_fen, always_decimals=True)
        super().__init__(
            f"Your personal-account balance is {balance} yuan; the chosen persons' premiums "
            f"come to {amount} yuan. Choose fewer persons and pay the rest another way.",
            f"您的个人账户余额为 {balance} 元，所选人员保费合计 {amount} 元，余额不足。"
            "请减少所选人员，其余保费使用其他方式支付。",
            errors={"json": {"persons": ["insufficient balance"]}},
        )
        self.balance_fen = balance_fen
        self.amount_fen = amount_fen


class BureauUnavailable(DomainError):
    http_status = 502
    code = "bureau_unavailable"
    message_en = "The medical insurance bureau did not answer; try again in a moment."
    message_zh = "医保系统暂时无法连接，请稍后重试。"


def _bureau_refusal(exc: BureauError, amount_fen: int) -> DomainError:
    if exc.kind == "insufficient_balance":
        return InsufficientBalance(exc.balance_fen or 0, amount_fen)
    if exc.kind in ("payer_not_found", "account_not_available"):
        return NotAnEmployee()
    if exc.kind == "beneficiary_not_found":
        return ValidationFailed(
            "A chosen person is not insured at the medical insurance bureau.",
            "所选人员未在医保系统中参保。",
            code="beneficiary_not_insured",
        )
    if exc.kind == "request_mismatch":
        return Conflict(
            "This deduction was already requested with other details.",
            "该扣款请求已以不同内容提交过。",
            code="deduction_request_mismatch",
        )
    return BureauUnavailable()


# --- eligibility ------------------------------------------------------------------------


def _payer_problem(db: Session, member: Member, client: BureauClient | None) -> DomainError | None:
    """Why this member cannot pay from a personal account (None: they can)."""
    if client is None:
        return MethodNotAvailable()
    if member.roster_entry_id is None or member.id_number is None:
        return enrollment.NotVerified()
    entry = db.get(RosterEntry, member.roster_entry_id)
    if entry is None or entry.insurance_type != "employee":
        return NotAnEmployee()
    if entry.status != "normal":
        return RosterStatusNotNormal()
    return None


def _reason(problem: DomainError) -> dict[str, str]:
    return {"code": problem.code, "zh": problem.message_zh, "en": problem.message_en}


def _persons(db: Session, lines: list[OrderLine]) -> dict[str, InsuredPerson]:
    found = db.scalars(
        select(InsuredPerson).where(InsuredPerson.id.in_([line.person_id for line in lines]))
    )
    return {p.id: p for p in found}


def eligibility(db: Session, member: Member, order_id: str) -> dict[str, Any]:
    """What the member may pay from their personal account on this order."""
    order = enrollment.get_order(db, member, order_id)  # expires stale orders first
    client = bureau_client(db)
    problem = _payer_problem(db, member, client)
    if problem is None and order.status != "pending":
        problem = payments.OrderNotPayable()
    balance = 0
    if problem is None:
        assert client is not None and member.id_number is not None
        try:
            balance = client.balance(member.id_number)
        except BureauError as exc:
            problem = _bureau_refusal(exc, 0)
    lines = list(order.lines)
    persons = _persons(db, lines)
    out_lines = [
        {
            "person_id": line.person_id,
            "relation": persons[line.person_id].relation,
            "premium_fen": line.premium_fen,
            "payable": problem is None
            and line.state == "pending"
            and persons[line.person_id].relation in CLOSE_RELATIONS,
        }
        for line in lines
    ]
    view: dict[str, Any] = {
        "eligible": problem is None,
        "balance_fen": balance,
        "lines": out_lines,
        "covers_all": problem is None and balance >= order.total_fen,
    }
    if problem is not None:
        view["reason"] = _reason(problem)
    return view


# --- paying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paid:
    paid_order: Order
    remaining_order: Order | None
    deduction: DeductResult


def _lock_order(db: Session, order_id: str) -> Order:
    order = db.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert order is not None
    return order


def _chosen_lines(order: Order, person_ids: list[str]) -> list[OrderLine]:
    by_person = {line.person_id: line for line in order.lines if line.state == "pending"}
    bad = {
        str(i): ["not in this order"]
        for i, pid in enumerate(person_ids)
        if pid not in by_person or pid in person_ids[:i]
    }
    if not person_ids or bad:
        raise LineNotInOrder(errors={"json": {"persons": bad or ["choose at least one person"]}})
    return [by_person[pid] for pid in person_ids]


def split(db: Session, order: Order, chosen: list[OrderLine]) -> Order:
    """Move the chosen lines of a pending order to a new pending order (same member, plan
    and expiry) and recompute the original's total for the lines it keeps. The original
    order's unfinished provider payments were for the old total: they are closed (a new
    payment is started for the new total)."""
    now = clock.now()
    moved = {line.id for line in chosen}
    kept = [line for line in order.lines if line.id not in moved]
    assert kept, "a split keeps at least one line in the original order"
    new = Order(
        member_id=order.member_id,
        plan_id=order.plan_id,
        status="pending",
        total_fen=sum(line.premium_fen for line in chosen),
        created_at=now,
        expires_at=order.expires_at,
    )
    db.add(new)
    db.flush()
    for position, line in enumerate(chosen):
        line.order = new  # the backref moves it out of order.lines too
        line.position = position
    for position, line in enumerate(kept):
        line.position = position
    order.total_fen = sum(line.premium_fen for line in kept)
    for stale in db.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "created")
    ):
        stale.status = "closed"
    db.flush()
    payments.log_event(
        PROVIDER, SOURCE, "order_split", out_trade_no=None, detail=f"{order.id}>{new.id}", db=db
    )
    return new


def pay(
    db: Session, member: Member, order_id: str, person_ids: list[str], relatives_consent: bool
) -> Paid:
    """Pay the chosen persons' lines of a pending order from the member's personal
    account: all of them → the order itself is paid; some → they are split off into a
    new order paid at once, the rest stays pending. Deduction, payment and policies are
    written in the request's one transaction."""
    order = enrollment.get_order(db, member, order_id)  # 404 if not the member's
    order = _lock_order(db, order.id)  # a concurrent payment of the same order waits here
    if order.status != "pending":
        raise payments.OrderNotPayable()
    client = bureau_client(db)
    problem = _payer_problem(db, member, client)
    if problem is not None:
        raise problem
    assert client is not None and member.id_number is not None
    chosen = _chosen_lines(order, person_ids)
    persons = _persons(db, chosen)
    if any(persons[line.person_id].relation not in CLOSE_RELATIONS for line in chosen):
        raise NotAnEmployee()  # cannot happen today: every relation is a close one
    if not relatives_consent and any(persons[line.person_id].relation != "self" for line in chosen):
        raise RelativesConsentRequired(
            errors={"json": {"relatives_consent": ["required when paying for relatives"]}}
        )
    amount = sum(line.premium_fen for line in chosen)
    if amount <= 0:
        raise ValidationFailed(
            "There is nothing to pay for the chosen persons.",
            "所选人员无需支付保费。",
            code="nothing_to_pay",
        )
    try:  # a friendly answer before touching anything; the bureau checks again, locked
        balance = client.balance(member.id_number)
    except BureauError as exc:
        raise _bureau_refusal(exc, amount) from exc
    if balance < amount:
        raise InsufficientBalance(balance, amount)

    whole = len(chosen) == len(order.lines)
    target = order if whole else split(db, order, chosen)
    request_no = "B" + new_id()
    payment = Payment(
        order_id=target.id,
        provider=PROVIDER,
        channel=CHANNEL,
        out_trade_no=request_no,
        amount_fen=amount,
        refunded_fen=0,
        status="created",
        created_at=clock.now(),
    )
    db.add(payment)
    db.flush()  # the unique out_trade_no claims the request_no before the bureau sees it
    try:
        result = client.deduct(
            request_no,
            member.id_number,
            amount,
            [persons[line.person_id].id_number for line in chosen],
        )
    except BureauError as exc:
        log.warning("personal-account deduction %s refused: %s", request_no, exc.kind)
        payments.log_event(
            PROVIDER, SOURCE, f"refused:{exc.kind}", out_trade_no=request_no, separate=True
        )
        raise _bureau_refusal(exc, amount) from exc
    relatives = [line.person_id for line in chosen if persons[line.person_id].relation != "self"]
    if relatives:  # the payer's confirmation, on record with the payment (opaque ids only)
        payments.log_event(
            PROVIDER,
            SOURCE,
            "relatives_consent",
            event_id=result.deduction_no,
            out_trade_no=request_no,
            detail="confirmed by payer for persons " + ",".join(relatives),
            db=db,
        )
    applied = payments.apply(
        db,
        PaymentNotice(
            provider=PROVIDER,
            out_trade_no=request_no,
            provider_trade_no=result.deduction_no,
            amount_fen=amount,
            paid=True,
            app_id="",
            mch_id=None,
            event_id=result.deduction_no,
        ),
        source=SOURCE,
    )
    if applied.outcome != "applied":  # the whole request rolls back, the deduction with it
        log.error("personal-account payment %s not applied: %s", request_no, applied.outcome)
        raise Conflict(
            "The payment could not be completed; nothing was deducted. Try again.",
            "支付未能完成，未扣款，请重试。",
            code="personal_account_payment_failed",
        )
    db.refresh(target)
    remaining = None
    if not whole:
        db.refresh(order)
        remaining = order
    return Paid(target, remaining, result)
