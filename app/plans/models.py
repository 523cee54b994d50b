"""Published plan versions. A published version is immutable; a change is a new version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base, JSONDocument, UTCDateTime
from app.core.errors import Conflict
from app.core.ids import new_id


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        UniqueConstraint("code", "checksum"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("plan_year BETWEEN 2000 AND 2200", name="plan_year_range"),
        CheckConstraint("enrollment_closes_at > enrollment_opens_at", name="window_order"),
        CheckConstraint("coverage_kind IN ('fixed', 'rolling')", name="coverage_kind"),
        Index("ix_plans_scheme_plan_year", "scheme", "plan_year"),
        Index("ix_plans_enrollment_opens_at", "enrollment_opens_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    scheme: Mapped[str] = mapped_column(String(64))
    plan_year: Mapped[int]
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(default=False)
    enrollment_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enrollment_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    coverage_kind: Mapped[str] = mapped_column(String(16))
    coverage_start: Mapped[date | None] = mapped_column(Date())
    coverage_end: Mapped[date | None] = mapped_column(Date())
    terms: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanImmutable(Conflict):
    code = "plan_immutable"
    message_en = "A published plan cannot be changed; publish a new version."
    message_zh = "已发布的保障计划不可修改，请发布新版本。"


@event.listens_for(Session, "before_flush")
def _published_plans_are_immutable(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Plan) and (obj in session.deleted or session.is_modified(obj)):
            raise PlanImmutable()
