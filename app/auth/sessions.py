"""Server-side sessions for members and staff: revocable records behind a random cookie.

The cookie holds a random token; the database holds its SHA-256, the owner, a CSRF
token, and the idle/absolute limits (30 minutes idle, 7 days at most by default).
Member and staff sessions use different cookies and never stand in for each other.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import AuthSession, StaffUser
from app.core import clock
from app.core.db import get_session
from app.members.models import Member

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen_at at most once a minute


@dataclass(frozen=True)
class CookieSpec:
    name: str
    secure: bool


def cookie_spec(kind: str) -> CookieSpec:
    settings = current_app.extensions["settings"]
    base = "hmb_session" if kind == "member" else "hmb_staff"
    # in production the __Host- prefix pins the cookie to this host, path /, Secure
    name = f"__Host-{base}" if settings.is_production else base
    return CookieSpec(name, settings.is_production)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: Session, kind: str, owner_id: str, user_agent: str = "") -> tuple[str, AuthSession]:
    settings = current_app.extensions["settings"]
    now = clock.now()
    token = secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=_hash(token),
        kind=kind,
        member_id=owner_id if kind == "member" else None,
        staff_id=owner_id if kind == "staff" else None,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        user_agent=user_agent[:200],
    )
    db.add(row)
    db.flush()
    return token, row


def load(db: Session, kind: str, token: str | None) -> AuthSession | None:
    """The live session for a cookie value, or None (unknown, revoked, idle or expired)."""
    if not token:
        return None
    row = db.get(AuthSession, _hash(token))
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    settings = current_app.extensions["settings"]
    now = clock.now()
    if now >= row.expires_at or now - row.last_seen_at >= timedelta(
        minutes=settings.session_idle_minutes
    ):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.flush()
    return row


def revoke(db: Session, row: AuthSession) -> None:
    row.revoked_at = clock.now()
    db.flush()


def revoke_all_for_member(db: Session, member_id: str) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.member_id == member_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def set_cookie(response: Response, kind: str, token: str) -> None:
    spec = cookie_spec(kind)
    settings = current_app.extensions["settings"]
    response.set_cookie(
        spec.name,
        token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        secure=spec.secure,
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(response: Response, kind: str) -> None:
    spec = cookie_spec(kind)
    response.delete_cookie(spec.name, path="/", secure=spec.secure, httponly=True, samesite="Lax")


def _loader(kind: str) -> Any:
    def load_current() -> tuple[AuthSession, Any] | None:
        token = request.cookies.get(cookie_spec(kind).name)
        if not token:
            return None
        db = get_session()
        row = load(db, kind, token)
        if row is None:
            return None
        if kind == "member":
            member = db.get(Member, row.member_id)
            return (row, member) if member is not None else None
        staff = db.scalar(select(StaffUser).where(StaffUser.id == row.staff_id))
        if staff is None or not staff.active:
            return None
        return row, staff

    return load_current


member_loader = _loader("member")
staff_loader = _loader("staff")
