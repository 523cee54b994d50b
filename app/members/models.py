"""Member accounts, their linked login identities and their consents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, UTCDateTime
from app.core.ids import new_id
from app.identity.types import Encrypted


class Member(Base):
    """A person who logs in. Real-name fields are set once, by binding against the roster;
    `id_index` is unique: one person, one account."""

    __tablename__ = "members"
    __table_args__ = (CheckConstraint("sex IS NULL OR sex IN ('male', 'female')", name="sex"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nickname: Mapped[str | None] = mapped_column(String(100))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    real_name: Mapped[str | None] = mapped_column(Encrypted("members.real_name"))
    id_number: Mapped[str | None] = mapped_column(Encrypted("members.id_number"))
    id_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date())
    sex: Mapped[str | None] = mapped_column(String(8))
    id_kind: Mapped[str | None] = mapped_column(String(16))
    roster_entry_id: Mapped[str | None] = mapped_column(ForeignKey("roster_entries.id"))
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    identities: Mapped[list[MemberIdentity]] = relationship(
        back_populates="member", order_by="MemberIdentity.created_at"
    )


class MemberIdentity(Base):
    """A login identity at a provider. WeChat: openid (+ unionid); Alipay: open_id and/or
    user_id (newer apps get only open_id)."""

    __tablename__ = "member_identities"
    __table_args__ = (
        UniqueConstraint("provider", "app_id", "subject"),
        CheckConstraint("provider IN ('wechat', 'alipay')", name="provider"),
        Index("ix_member_identities_provider_user_id", "provider", "user_id", unique=True),
        Index("ix_member_identities_provider_unionid", "provider", "unionid"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    app_id: Mapped[str] = mapped_column(String(64))
    # the stable key at this app: WeChat openid, Alipay open_id (or user_id when no open_id)
    subject: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(64))  # Alipay user_id (2088…)
    unionid: Mapped[str | None] = mapped_column(String(128))  # WeChat unionid
    nickname: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member: Mapped[Member] = relationship(back_populates="identities")


class Consent(Base):
    """A member's answer to a consent text (append-only: a new answer is a new row)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_member_kind", "member_id", "kind", "created_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))  # "sensitive_personal_information"
    terms_version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
