"""Claims, their documents and events, the year-to-date accumulators, staff audit log.

Amounts are integer fen. `expenses` (what the member entered from the BMI settlement
sheet) and `verified_expenses` (what the reviewer approved) are lists of
`{"liability", "amount_fen", "other_paid_fen", "drug_code"}`; `decision` is the engine's
result for the verified expenses (lines, steps, summary), stored as it was shown.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONDocument, UTCDateTime
from app.core.ids import new_id

CLAIM_STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "need_more_info",
    "approved",
    "paid",
    "rejected",
    "withdrawn",
)


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in CLAIM_STATUSES) + ")", name="status"
        ),
        CheckConstraint("claimed_fen >= 0", name="claimed_non_negative"),
        CheckConstraint("payout_fen IS NULL OR payout_fen >= 0", name="payout_non_negative"),
        CheckConstraint("service_start <= service_end", name="service_dates"),
        # the review queue's order (most urgent first), alone and within a status: a page
        # walks the index and stops (bench/claims_queue.py); filed claims only
        Index(
            "ix_claims_queue",
            "sla_due_at",
            "submitted_at",
            "id",
            sqlite_where=text("submitted_at IS NOT NULL"),
            postgresql_where=text("submitted_at IS NOT NULL"),
        ),
        Index(
            "ix_claims_status_queue",
            "status",
            "sla_due_at",
            "submitted_at",
            "id",
            sqlite_where=text("submitted_at IS NOT NULL"),
            postgresql_where=text("submitted_at IS NOT NULL"),
        ),
        Index("ix_claims_plan_status", "plan_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    claim_number: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("insured_persons.id"), index=True)
    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    claim_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    service_start: Mapped[date] = mapped_column(Date())
    service_end: Mapped[date] = mapped_column(Date())
    hospital: Mapped[str] = mapped_column(String(200), default="")
    expenses: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    claimed_fen: Mapped[int] = mapped_column(BigInteger)
    estimate_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    verified_expenses: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    payout_fen: Mapped[int | None] = mapped_column(BigInteger)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_detail: Mapped[str | None] = mapped_column(Text())
    info_request: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    #: when the running SLA clock is due (decision, or payment once approved); None otherwise
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClaimDocument(Base):
    """One stored file of a claim; the file itself is in the document storage under
    `sha256` (content-addressed, so one file used by two claims is stored once)."""

    __tablename__ = "claim_documents"
    __table_args__ = (
        UniqueConstraint("claim_id", "sha256"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        # the reviewers' duplicate filter starts from the few shared files
        Index("ix_claim_documents_shared_claim", "shared", "claim_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: another filed claim holds the same file (a possible duplicate); kept for every row of
    #: a digest by `refresh_shared`, under that digest's content lock
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(16))  # "member" | "staff"
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClaimEvent(Base):
    """One status change of a claim (the member's timeline and the SLA clocks read these)."""

    __tablename__ = "claim_events"
    __table_args__ = (Index("ix_claim_events_claim_at", "claim_id", "at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(26))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason_zh: Mapped[str | None] = mapped_column(Text())
    reason_en: Mapped[str | None] = mapped_column(Text())
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class YearToDate(Base):
    """What approved claims have used of one policy's year (one person, one plan year).

    Changed only by approvals, under a row lock on the policy, in the approval's own
    transaction: `deductible_used` maps deductible group -> fen, `paid` maps liability -> fen.
    """

    __tablename__ = "year_to_date"
    __table_args__ = (CheckConstraint("overall_paid_fen >= 0", name="overall_non_negative"),)

    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), primary_key=True)
    deductible_used: Mapped[dict[str, int]] = mapped_column(JSONDocument)
    paid: Mapped[dict[str, int]] = mapped_column(JSONDocument)
    overall_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_claims: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """A staff user's view of a document or of personal data (who, what, when, from where)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_claim_at", "claim_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(26))
    claim_id: Mapped[str | None] = mapped_column(String(26))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")
