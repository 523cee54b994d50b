"""Server-side sessions (members and staff), login states, staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.ids import new_id
from app.identity.types import Encrypted


class AuthSession(Base):
    """A login session. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        CheckConstraint("kind IN ('member', 'staff')", name="kind"),
        CheckConstraint(
            "(kind = 'member' AND member_id IS NOT NULL AND staff_id IS NULL) OR "
            "(kind = 'staff' AND staff_id IS NOT NULL AND member_id IS NULL)",
            name="owner",
        ),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class LoginState(Base):
    """An OAuth `state`: random, bound to the browser (a nonce cookie), single use,
    10 minutes. After use it remembers the session it produced, so WeChat's second hit
    on the callback lands the member where the first did."""

    __tablename__ = "login_states"
    __table_args__ = (CheckConstraint("provider IN ('wechat', 'alipay')", name="provider"),)

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    browser_nonce_hash: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(500))
    link_to_member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result_member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE")
    )


class StaffUser(Base):
    """An insurer or scheme staff account: password (scrypt) + TOTP, roles."""

    __tablename__ = "staff_users"
    __table_args__ = (Index("ix_staff_users_username", "username", unique=True),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str] = mapped_column(Encrypted("staff_users.totp_secret"))
    roles: Mapped[str] = mapped_column(String(100))  # comma-separated: reviewer,admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_totp_step: Mapped[int | None] = mapped_column()  # replay guard for TOTP codes


def _role_list(self: StaffUser) -> list[str]:
    return [r for r in self.roles.split(",") if r]


StaffUser.role_list = property(_role_list)  # type: ignore[attr-defined]
