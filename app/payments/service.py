"""Paying an order: start a payment at a provider, apply notices, reconcile by query.

A notice is applied once: the payment row is locked (SELECT … FOR UPDATE) and a paid
payment is never paid again, so a replayed notice changes nothing and still gets the
success reply. Payment, order and policies change state in one transaction. An amount
that differs from the order never marks it paid. Every notice is logged, rejected ones
in a transaction of their own so that the log survives the rejection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import write_after_request
from app.core.errors import Conflict, DomainError
from app.core.http import provider_session
from app.core.ids import new_id
from app.enrollment import service as enrollment
from app.enrollment.models import Order, OrderLine
from app.members.models import Member
from app.payments.models import Payment, PaymentEvent
from app.payments.providers.base import (
    PaymentNotice,
    PaymentProviderError,
    PrepayRequest,
    PrepayResult,
)

log = logging.getLogger(__name__)
PROVIDERS = ("wechatpay", "alipay")


class ProviderUnavailable(DomainError):
    http_status = 502
    code = "payment_provider_unavailable"
    message_en = "The payment service did not answer; try again in a moment."
    message_zh = "支付服务暂时无法连接，请稍后重试。"


class ProviderNotConfigured(DomainError):
    http_status = 503
    code = "payment_provider_not_configured"
    message_en = "This payment method is not available."
    message_zh = "暂不支持该支付方式。"


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    message_en = "This order can no longer be paid (paid, expired or cancelled)."
    message_zh = "该订单已支付、已过期或已取消，无法支付。"


def client_for(provider: str) -> Any:
    settings = current_app.extensions["settings"]
    if provider == "wechatpay":
        from app.payments.providers.wechatpay import WeChatPayClient
        from app.payments.providers.wechatpay_config import wechatpay_config

        config = wechatpay_config(settings)
        return WeChatPayClient(config, provider_session()) if config else None
    from app.auth.providers.config import alipay_config
    from app.payments.providers.alipay_pay import AlipayPayClient

    config = alipay_config(settings)
    return AlipayPayClient(config, provider_session()) if config else None


def _base_url() -> str:
    from flask import request

    return current_app.extensions["settings"].public_base_url or request.host_url.rstrip("/")


@dataclass(frozen=True)
class Started:
    payment: Payment
    prepay: PrepayResult


def start(
    db: Session,
    member: Member,
    order_id: str,
    provider: str,
    channel: str,
    payer_openid: str | None = None,
    client_ip: str = "127.0.0.1",
) -> Started:
    order = enrollment.get_order(db, member, order_id)  # expires stale orders first
    if order.status != "pending":
        raise OrderNotPayable()
    client = client_for(provider)
    if client is None:
        raise ProviderNotConfigured()
    if provider == "alipay":
        channel = "wap"
    elif channel == "jsapi" and payer_openid is None:
        payer_openid = _openid_for(db, member, client.config.app_id)
    payment = Payment(
        order_id=order.id,
        provider=provider,
        channel=channel,
        out_trade_no="P" + new_id(),
        amount_fen=order.total_fen,
        refunded_fen=0,
        status="created",
        created_at=clock.now(),
    )
    db.add(payment)
    db.flush()
    base = _base_url()
    request_ = PrepayRequest(
        out_trade_no=payment.out_trade_no,
        amount_fen=payment.amount_fen,
        description="惠民保保费",
        notify_url=f"{base}/api/v1/payments/{provider}/notify",
        return_url=f"{base}/api/v1/payments/return/{order.id}",
        expires_at=order.expires_at,
        payer_openid=payer_openid,
        client_ip=client_ip,
    )
    try:
        if provider == "wechatpay":
            prepay = client.create_prepay(request_, channel=channel)
        else:
            prepay = client.create_prepay(request_)
    except PaymentProviderError as exc:
        log.warning("prepay failed at %s: %s", provider, exc.kind)
        raise ProviderUnavailable() from exc
    finally:
        client.http.close()
    return Started(payment, prepay)


def _openid_for(db: Session, member: Member, app_id: str) -> str:
    """JSAPI pays as the WeChat user the member logged in as, at the same official account."""
    from app.members.models import MemberIdentity

    openid = db.scalar(
        select(MemberIdentity.subject).where(
            MemberIdentity.member_id == member.id,
            MemberIdentity.provider == "wechat",
            MemberIdentity.app_id == app_id,
        )
    )
    if openid is None:
        raise DomainError(
            "Log in with WeChat (inside WeChat) to pay with WeChat Pay here.",
            "请在微信中用微信登录后再使用微信支付。",
            code="wechat_login_required",
            http_status=422,
        )
    return openid


def log_event(
    provider: str,
    source: str,
    outcome: str,
    event_id: str | None = None,
    out_trade_no: str | None = None,
    detail: str = "",
    separate: bool = False,
    db: Session | None = None,
) -> None:
    """Write an event; `separate`: after the request, in its own transaction (it must
    outlive the rollback of a refused notice)."""
    row = PaymentEvent(
        provider=provider,
        source=source,
        event_id=event_id,
        out_trade_no=out_trade_no,
        outcome=outcome,
        detail=detail[:300],
        received_at=clock.now(),
    )
    if separate or db is None:
        write_after_request(lambda own: own.add(row))
    else:
        db.add(row)
        db.flush()


@dataclass(frozen=True)
class Applied:
    ok: bool  # reply success to the provider
    outcome: str  # applied | replayed | not_paid | amount_mismatch | unknown_order


def apply(db: Session, notice: PaymentNotice, source: str = "notice") -> Applied:
    payment = db.scalar(
        select(Payment).where(Payment.out_trade_no == notice.out_trade_no).with_for_update()
    )
    if payment is None or payment.provider != notice.provider:
        log_event(
            notice.provider,
            source,
            "unknown_order",
            notice.event_id,
            notice.out_trade_no,
            separate=True,
        )
        return Applied(False, "unknown_order")
    if payment.status == "paid":
        log_event(notice.provider, source, "replayed", notice.event_id, notice.out_trade_no, db=db)
        return Applied(True, "replayed")
    if not notice.paid:
        log_event(notice.provider, source, "not_paid", notice.event_id, notice.out_trade_no, db=db)
        return Applied(True, "not_paid")
    if notice.amount_fen != payment.amount_fen:
        log.error(
            "amount mismatch on %s: notice %s, expected %s",
            notice.out_trade_no,
            notice.amount_fen,
            payment.amount_fen,
        )
        log_event(
            notice.provider,
            source,
            "amount_mismatch",
            notice.event_id,
            notice.out_trade_no,
            f"notice {notice.amount_fen} != {payment.amount_fen}",
            separate=True,
        )
        return Applied(False, "amount_mismatch")

    order = db.scalar(select(Order).where(Order.id == payment.order_id).with_for_update())
    assert order is not None
    now = clock.now()
    was_closed = payment.status == "closed"
    payment.status = "paid"
    payment.paid_at = now
    payment.provider_trade_no = notice.provider_trade_no
    outcome = "applied"
    if was_closed or payment.amount_fen != order.total_fen:
        # a payment we had closed (e.g. the order was split since) or for an old total:
        # the money is on record for a refund, the order is not marked paid by it
        log.error("payment %s paid but no longer matches its order", payment.out_trade_no)
        outcome = "paid_needs_refund"
    elif order.status in ("pending", "expired"):
        if order.status == "expired":  # paid after expiry: take the places back if free
            outcome = "applied_after_expiry"
            for line in order.lines:
                line.state = "pending"
        order.status = "paid"
        order.paid_at = now
        try:
            with db.begin_nested():
                enrollment.issue_policies(db, order)
        except Exception:  # a place taken meanwhile: money kept on record for a refund
            log.exception("paid order %s could not issue policies", order.id)
            order.status = "cancelled"
            for line in order.lines:
                line.state = "released"
            outcome = "paid_but_place_taken"
    else:
        outcome = "paid_other_payment"  # the order was already paid by another attempt
    db.flush()
    log_event(notice.provider, source, outcome, notice.event_id, notice.out_trade_no, db=db)
    return Applied(True, outcome)


def reconcile(db: Session, order: Order) -> None:
    """A late notice: ask the provider about the order's open payments."""
    from app.payments.providers.base import TradeState

    for payment in db.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "created")
    ):
        client = client_for(payment.provider)
        if client is None:
            continue
        try:
            state: TradeState = client.query(payment.out_trade_no)
        except PaymentProviderError:
            continue
        finally:
            client.http.close()
        if state.state == "paid" and state.amount_fen is not None:
            apply(
                db,
                PaymentNotice(
                    provider=payment.provider,
                    out_trade_no=payment.out_trade_no,
                    provider_trade_no=state.provider_trade_no or "",
                    amount_fen=state.amount_fen,
                    paid=True,
                    app_id="",
                    mch_id=None,
                    event_id=f"query:{payment.out_trade_no}",
                ),
                source="query",
            )


def lines_of(db: Session, order: Order) -> list[OrderLine]:
    return list(order.lines)
