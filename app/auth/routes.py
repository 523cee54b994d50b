"""Member login through WeChat and Alipay: the redirect flow (HTML, not JSON).

GET /auth/<provider>/login?next=/#/me   → 302 to the provider (state bound to this browser)
GET /auth/<provider>/callback           → exchange, find or create the member, session, 302 to next
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request
from sqlalchemy import select, update

from app.auth import sessions
from app.auth.models import LoginState
from app.auth.pages import message_page
from app.auth.providers.alipay import AlipayClient
from app.auth.providers.base import ProviderError, ProviderIdentity
from app.auth.providers.config import alipay_config, wechat_config
from app.auth.providers.wechat import WeChatClient
from app.core import clock
from app.core.db import get_session
from app.core.http import provider_session
from app.core.security import current_member, public
from app.extensions import limiter
from app.members import service as members
from app.members.service import IdentityTaken, LoginIdentity

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")

PROVIDERS = ("wechat", "alipay")
STATE_TTL = timedelta(minutes=10)
# how long after the first hit a second hit on the same callback still logs in
DOUBLE_HIT_WINDOW = timedelta(seconds=30)
NONCE_COOKIE = "hmb_login_nonce"
# where a member may land after login: the front end's root or one of its hash routes
NEXT_PATTERN = re.compile(r"^/(#/[A-Za-z0-9/_\-]{0,100}(\?[A-Za-z0-9_\-=&]{0,200})?)?$")
PROVIDER_NAMES = {"wechat": ("微信", "WeChat"), "alipay": ("支付宝", "Alipay")}


def safe_next(value: str | None) -> str:
    """The post-login path if it is allow-listed, else "/" (no open redirect)."""
    if value and NEXT_PATTERN.fullmatch(value):
        return value
    return "/"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _client(provider: str) -> Any:
    settings = current_app.extensions["settings"]
    if provider == "wechat":
        config = wechat_config(settings)
        return WeChatClient(config, provider_session()) if config else None
    config = alipay_config(settings)
    return AlipayClient(config, provider_session()) if config else None


def _callback_url(provider: str) -> str:
    base = current_app.extensions["settings"].public_base_url or request.host_url.rstrip("/")
    return f"{base}/auth/{provider}/callback"


def _not_configured(provider: str) -> Response:
    zh, en = PROVIDER_NAMES[provider]
    return message_page(
        503,
        "provider_not_configured",
        f"{zh}登录暂不可用",
        f"{zh}登录尚未开通，请稍后再试或换一种方式登录。",
        f"{en} login is not set up here yet; try later or use another way to log in.",
    )


@auth_bp.get("/<any(wechat, alipay):provider>/login")
@limiter.limit(lambda: current_app.extensions["settings"].ratelimit_login)
@public
def login(provider: str) -> Response:
    client = _client(provider)
    if client is None:
        return _not_configured(provider)
    member = current_member()  # logged in already: this login links a second provider
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    db = get_session()
    db.add(
        LoginState(
            state=state,
            provider=provider,
            browser_nonce_hash=_hash(nonce),
            next_path=safe_next(request.args.get("next")),
            link_to_member_id=member.id if member is not None else None,
            created_at=clock.now(),
        )
    )
    db.flush()
    response = redirect(client.authorize_url(redirect_uri=_callback_url(provider), state=state))
    settings = current_app.extensions["settings"]
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=int(STATE_TTL.total_seconds()),
        path="/auth/",
        secure=settings.is_production,
        httponly=True,
        samesite="Lax",
    )
    return response


def _expired_page() -> Response:
    return message_page(
        400,
        "login_state_invalid",
        "登录已失效",
        "登录链接已失效或已使用，请重新登录。",
        "This login link has expired or was already used; please log in again.",
    )


def _finish(state_row: LoginState, member_id: str) -> Response:
    db = get_session()
    token, _row = sessions.create(db, "member", member_id, request.headers.get("User-Agent", ""))
    response = redirect(state_row.next_path)
    sessions.set_cookie(response, "member", token)
    return response


def _provider_error_page(provider: str, exc: ProviderError) -> Response:
    status = 502 if exc.kind in ("unavailable", "invalid_response", "bad_signature") else 400
    zh, _en = PROVIDER_NAMES[provider]
    return message_page(
        status,
        f"provider_{exc.kind}",
        f"{zh}登录未成功",
        exc.message_zh,
        exc.message_en,
        link="/",
        link_zh="返回首页",
        link_en="Back to home",
    )


@auth_bp.get("/<any(wechat, alipay):provider>/callback")
@public
def callback(provider: str) -> Response:
    db = get_session()
    state = request.args.get("state", "")
    nonce = request.cookies.get(NONCE_COOKIE, "")
    row = db.scalar(select(LoginState).where(LoginState.state == state).with_for_update())
    now = clock.now()
    if row is None or row.provider != provider or now - row.created_at > STATE_TTL:
        return _expired_page()
    same_browser = bool(nonce) and secrets.compare_digest(row.browser_nonce_hash, _hash(nonce))

    # single use: the first hit claims the state. WeChat may hit the callback twice: the
    # second hit, from the same browser (nonce cookie) or already logged in as the member
    # the first produced, lands where the first one did: no logout, no second account
    claimed = same_browser and bool(
        db.execute(
            update(LoginState)
            .where(LoginState.state == state, LoginState.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
    )
    if not claimed:
        db.refresh(row)
        member = current_member()
        if row.result_member_id and member is not None and member.id == row.result_member_id:
            return redirect(row.next_path)
        if (
            row.result_member_id
            and same_browser
            and row.used_at
            and now - row.used_at <= DOUBLE_HIT_WINDOW
        ):
            return _finish(row, row.result_member_id)
        return _expired_page()

    code = request.args.get("code" if provider == "wechat" else "auth_code")
    if not code:
        zh, en = PROVIDER_NAMES[provider]
        return message_page(
            200,
            "login_cancelled",
            "已取消登录",
            f"您没有同意{zh}授权，未登录。可以随时重新登录。",
            f"You did not authorise {en}; you are not logged in. You can log in again any time.",
        )
    client = _client(provider)
    if client is None:
        return _not_configured(provider)
    try:
        found: ProviderIdentity = client.fetch_identity(code)
    except ProviderError as exc:
        return _provider_error_page(provider, exc)
    finally:
        client.http.close()
    if found.is_snapshot:
        return message_page(
            403,
            "snapshot_user",
            "请在微信中打开完整页面",
            "当前是朋友圈快照页，无法登录。请点击页面底部“前往小程序/打开完整页面”后再登录。",
            "This is a WeChat snapshot page and cannot log in; open the full page first.",
        )
    ident = LoginIdentity(
        provider=found.provider,
        app_id=found.app_id,
        subject=found.subject,
        user_id=found.user_id,
        unionid=found.unionid,
        nickname=found.nickname,
        avatar_url=found.avatar_url,
    )
    try:
        member = members.login_with_identity(db, ident, row.link_to_member_id)
    except IdentityTaken:
        zh, en = PROVIDER_NAMES[provider]
        return message_page(
            409,
            "identity_linked_elsewhere",
            "无法关联",
            f"这个{zh}账号已经关联了另一个账户。请先用它登录那个账户。",
            f"This {en} account is already linked to another account; log in with it there.",
            link="/#/me",
            link_zh="返回我的",
            link_en="Back to Me",
        )
    row.result_member_id = member.id
    db.flush()
    return _finish(row, member.id)
