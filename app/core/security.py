"""Access decisions: every route says who may call it, or it is refused (deny by default).

    @public                       anybody (health, plans, estimates, login, notices)
    @member_required              a logged-in member (session cookie + CSRF on writes)
    @staff_required("reviewer")   a logged-in staff user holding one of the roles

The decision is an attribute on the view function (`access`); `enforce` runs before
every request, finds the decision for the endpoint and method, and refuses when there
is none. The session lookups themselves live in app.auth.sessions (registered here as
loaders so that core imports no domain package).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from app.core.errors import DomainError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
# endpoints that belong to the frameworks, public by nature
FRAMEWORK_PUBLIC = frozenset({"static", "api-docs.openapi_json"})


class Unauthenticated(DomainError):
    http_status = 401
    code = "login_required"
    message_en = "Please log in."
    message_zh = "请先登录。"


class Forbidden(DomainError):
    http_status = 403
    code = "forbidden"
    message_en = "You may not do this."
    message_zh = "您无权进行此操作。"


class CsrfFailed(DomainError):
    http_status = 403
    code = "csrf_failed"
    message_en = "The page is out of date; reload it and try again."
    message_zh = "页面已过期，请刷新后重试。"


class NoAccessRule(DomainError):
    http_status = 403
    code = "no_access_rule"
    message_en = "This address is not open."
    message_zh = "该地址未开放。"


@dataclass(frozen=True)
class Access:
    kind: str  # "public" | "member" | "staff"
    roles: tuple[str, ...] = ()


def _mark(access: Access) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        fn.access = access  # type: ignore[attr-defined]
        return fn

    return deco


def public(fn: F) -> F:
    return _mark(Access("public"))(fn)


def member_required(fn: F) -> F:
    return _mark(Access("member"))(fn)


def staff_required(*roles: str) -> Callable[[F], F]:
    return _mark(Access("staff", tuple(roles)))


def access_of(view: Any, method: str) -> Access | None:
    """The decision for a view function and HTTP method (MethodViews: per method)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        name = "get" if method == "HEAD" else method.lower()
        handler = getattr(view_class, name, None)
        found = getattr(handler, "access", None) if handler else None
        return found or getattr(view_class, "access", None)
    return getattr(view, "access", None)


# --- who is calling -------------------------------------------------------------------

SessionLoader = Callable[[], Any]


def current_member() -> Any:
    """The logged-in member (or None); loaded once per request."""
    if "member" not in g:
        loader: SessionLoader = current_app.extensions["session_loaders"]["member"]
        g.member_session, g.member = loader() or (None, None)
    return g.member


def current_staff() -> Any:
    if "staff" not in g:
        loader: SessionLoader = current_app.extensions["session_loaders"]["staff"]
        g.staff_session, g.staff = loader() or (None, None)
    return g.staff


def _check_csrf(session_row: Any) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, session_row.csrf_token):
        raise CsrfFailed()


class BadCharacters(DomainError):
    http_status = 422
    code = "validation_error"
    message_en = "The request contains characters that are not allowed (NUL)."
    message_zh = "请求中含有不允许的字符。"


def enforce() -> None:
    """before_request: find the route's decision and apply it."""
    # NUL can never be stored (PostgreSQL refuses it in text): refuse it at the edge
    if "\x00" in request.path:
        raise DomainError("Not found.", "未找到。", code="not_found", http_status=404)
    if any("\x00" in k or "\x00" in v for k, v in request.args.items()):
        raise BadCharacters(errors={"query": {"(any)": ["NUL characters are not allowed."]}})
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return
    if request.endpoint in FRAMEWORK_PUBLIC or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view, request.method)
    if access is None:
        log.error("route %s %s has no access decision", request.method, request.endpoint)
        raise NoAccessRule()
    if access.kind == "public":
        return
    if access.kind == "member":
        if current_member() is None:
            raise Unauthenticated()
        _check_csrf(g.member_session)
        return
    staff = current_staff()
    if staff is None:
        raise Unauthenticated(
            "Please log in as staff.", "请使用工作人员账号登录。", code="staff_login_required"
        )
    if access.roles and not set(access.roles) & set(staff.role_list):
        raise Forbidden(
            "Your role does not allow this.", "您的角色无权进行此操作。", code="role_forbidden"
        )
    _check_csrf(g.staff_session)


def init_security(app: Flask, member_loader: SessionLoader, staff_loader: SessionLoader) -> None:
    app.extensions["session_loaders"] = {"member": member_loader, "staff": staff_loader}
    app.before_request(enforce)
