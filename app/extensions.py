"""Unbound singletons, bound to an app in create_app."""

from __future__ import annotations

from typing import Any

from flask_limiter import Limiter
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from app.core.errors import ErrorSchema, error_body, http_error_parts


class Api(_Api):
    """flask-smorest's Api with the service's one error format."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:  # type: ignore[override]
        status = error.code or 500
        code, message_en, message_zh = http_error_parts(status)
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if status == 400 and isinstance(errors, dict) and "json" in errors:
            message_en = "The body is not valid JSON."
            message_zh = "请求内容不是有效的 JSON。"
        headers = {
            k: v
            for k, v in error.get_headers()
            if k.lower() not in {"content-type", "content-length"}
        }
        headers.update(data.get("headers") or {})
        return error_body(status, code, message_en, message_zh, errors), status, headers


def make_api() -> Api:
    """One Api per app (tests build several apps in one process)."""
    return Api()


def _client_address() -> str:
    from flask import request

    return request.remote_addr or "unknown"


# Rate limits (login endpoints). In-memory by default; RATELIMIT_STORAGE_URI=redis://…
# in production so that every gunicorn worker and host shares the counters.
limiter = Limiter(key_func=_client_address, headers_enabled=True, strategy="fixed-window")
