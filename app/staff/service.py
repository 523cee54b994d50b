"""Staff accounts: creation and login (password + TOTP)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.core import clock
from app.core.errors import Conflict, DomainError, ValidationFailed
from app.staff import passwords

ROLES = ("reviewer", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{2,63}$")
MIN_PASSWORD = 12


class LoginFailed(DomainError):
    http_status = 401
    code = "staff_login_failed"
    message_en = "Wrong username, password or one-time code."
    message_zh = "用户名、密码或动态验证码不正确。"


@dataclass(frozen=True)
class CreatedStaff:
    user: StaffUser
    totp_secret: str
    provisioning_uri: str


def create_staff(
    db: Session, username: str, display_name: str, password: str, roles: list[str]
) -> CreatedStaff:
    if not USERNAME.fullmatch(username):
        raise ValidationFailed(
            "Username: 3-64 lower-case letters, digits, . _ -",
            "用户名需为 3-64 位小写字母、数字或 . _ -",
            errors={"json": {"username": ["invalid"]}},
        )
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"Password: at least {MIN_PASSWORD} characters.",
            f"密码至少 {MIN_PASSWORD} 位。",
            errors={"json": {"password": ["too short"]}},
        )
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ValidationFailed(
            f"Roles must be among {', '.join(ROLES)}.",
            "角色只能是 reviewer 或 admin。",
            errors={"json": {"roles": ["invalid"]}},
        )
    if db.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise Conflict("That username is taken.", "该用户名已存在。", code="username_taken")
    secret = passwords.new_totp_secret()
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=passwords.hash_password(password),
        totp_secret=secret,
        roles=",".join(sorted(set(roles))),
        active=True,
        created_at=clock.now(),
    )
    db.add(user)
    db.flush()
    return CreatedStaff(user, secret, passwords.provisioning_uri(secret, username))


def authenticate(db: Session, username: str, password: str, totp: str) -> StaffUser:
    """The staff user for these credentials, or LoginFailed (same answer whatever was wrong)."""
    user = db.scalar(select(StaffUser).where(StaffUser.username == username).with_for_update())
    if user is None or not user.active:
        passwords.verify_password(password, passwords.DUMMY_HASH)
        raise LoginFailed()
    if not passwords.verify_password(password, user.password_hash):
        raise LoginFailed()
    step = passwords.match_totp(user.totp_secret, totp, clock.now().timestamp())
    if step is None or (user.last_totp_step is not None and step <= user.last_totp_step):
        raise LoginFailed()  # wrong, or a code already used (replay)
    user.last_totp_step = step
    db.flush()
    return user
