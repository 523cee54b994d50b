"""Family members to insure, health declarations, orders, policies, idempotency keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, JSONDocument, UTCDateTime
from app.core.ids import new_id
from app.identity.types import Encrypted

ACTIVE_LINE = "state IN ('pending', 'paid')"


class InsuredPerson(Base):
    """A person a member enrolls (themself, spouse, child, parent), bound by name + ID and
    checked against the roster. Encrypted like the member's own real name."""

    __tablename__ = "insured_persons"
    __table_args__ = (
        UniqueConstraint("member_id", "id_index"),
        CheckConstraint("relation IN ('self', 'spouse', 'child', 'parent')", name="relation"),
        CheckConstraint("sex IN ('male', 'female')", name="sex"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Encrypted("insured_persons.name"))
    id_number: Mapped[str] = mapped_column(Encrypted("insured_persons.id_number"))
    id_index: Mapped[str] = mapped_column(String(64), index=True)
    birth_date: Mapped[date] = mapped_column(Date())
    sex: Mapped[str] = mapped_column(String(8))
    id_kind: Mapped[str] = mapped_column(String(16))
    roster_entry_id: Mapped[str] = mapped_column(ForeignKey("roster_entries.id"))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HealthDeclaration(Base):
    """A person's answers to a plan's pre-existing condition list (encrypted), the consent
    to process health data, and the tier the engine gave, with its reasons."""

    __tablename__ = "health_declarations"
    __table_args__ = (
        CheckConstraint("tier IN ('standard', 'pre_existing')", name="tier"),
        Index("ix_health_declarations_person_plan", "person_id", "plan_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("insured_persons.id", ondelete="CASCADE"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    answers: Mapped[str] = mapped_column(Encrypted("health_declarations.answers"))
    health_consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tier: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'paid', 'expired', 'cancelled')", name="status"),
        CheckConstraint("total_fen >= 0", name="total_non_negative"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[str] = mapped_column(String(16))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position"
    )


class OrderLine(Base):
    """One person in an order. While pending or paid it holds the person's place in the
    plan year: the partial unique index lets only one such line exist per person
    (scheme, plan year, person's ID index) — the database settles races."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'paid', 'released')", name="state"),
        CheckConstraint("premium_fen >= 0", name="premium_non_negative"),
        CheckConstraint("tier IN ('standard', 'pre_existing')", name="tier"),
        Index(
            "uq_order_lines_person_year_active",
            "scheme",
            "plan_year",
            "person_index",
            unique=True,
            sqlite_where=text(ACTIVE_LINE),
            postgresql_where=text(ACTIVE_LINE),
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(ForeignKey("insured_persons.id"))
    scheme: Mapped[str] = mapped_column(String(64))
    plan_year: Mapped[int] = mapped_column(Integer)
    person_index: Mapped[str] = mapped_column(String(64))
    declaration_id: Mapped[str] = mapped_column(ForeignKey("health_declarations.id"))
    tier: Mapped[str] = mapped_column(String(16))
    premium_fen: Mapped[int] = mapped_column(BigInteger)
    premium_rule: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))

    order: Mapped[Order] = relationship(back_populates="lines")


class Policy(Base):
    """Issued when the order is paid: one per person per plan year."""

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("state IN ('issued', 'cancelled')", name="state"),
        CheckConstraint("tier IN ('standard', 'pre_existing')", name="tier"),
        CheckConstraint("premium_fen >= 0", name="premium_non_negative"),
        CheckConstraint("coverage_end >= coverage_start", name="coverage_order"),
        Index(
            "uq_policies_person_year_issued",
            "scheme",
            "plan_year",
            "person_index",
            unique=True,
            sqlite_where=text("state = 'issued'"),
            postgresql_where=text("state = 'issued'"),
        ),
        Index("ix_policies_person_index_scheme", "person_index", "scheme"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    policy_number: Mapped[str] = mapped_column(String(32), unique=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("insured_persons.id"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    scheme: Mapped[str] = mapped_column(String(64))
    plan_year: Mapped[int] = mapped_column(Integer)
    person_index: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    premium_fen: Mapped[int] = mapped_column(BigInteger)
    coverage_start: Mapped[date] = mapped_column(Date())
    coverage_end: Mapped[date] = mapped_column(Date())
    verification_code: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    """Stripe's rules: same key + same body → the stored first response; same key, other
    body → 422; still running → 409; kept 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (CheckConstraint("state IN ('running', 'done')", name="state"),)

    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
