"""Payments of orders and the log of every provider notice received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.ids import new_id


class Payment(Base):
    """One attempt to pay an order at a provider; `out_trade_no` is what the provider knows."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("provider IN ('wechatpay', 'alipay', 'personal_account')", name="provider"),
        CheckConstraint("status IN ('created', 'paid', 'closed', 'refunded')", name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_bounds"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    provider_trade_no: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentEvent(Base):
    """Every notice or query result, whatever became of it (applied, replayed, rejected…)."""

    __tablename__ = "payment_events"
    __table_args__ = (Index("ix_payment_events_out_trade_no", "out_trade_no"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))  # notice | query
    event_id: Mapped[str | None] = mapped_column(String(128))
    out_trade_no: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(48))
    detail: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Refund(Base):
    """A refund owed to a member, written in the same transaction as the cancellation and
    sent to the provider after the commit (an outbox row: `requested` until the provider
    has answered; `flask payments refunds` retries what is left)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'processing', 'success', 'failed')", name="status"
        ),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), unique=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
