"""Cross-cutting web concerns: the error handlers, security headers, health, the front end."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from app.core.db import get_session
from app.core.errors import DomainError, error_body, http_error_parts
from app.core.security import public

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

web = Blueprint("web", __name__)


@web.get("/healthz")
@public
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@web.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    """Readiness: the database answers."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready", never a 500
        log.exception("readiness check failed")
        body = error_body(
            503, "database_unavailable", "The database is not reachable.", "数据库暂时无法连接。"
        )
        return jsonify({**body, "checks": {"database": "fail"}}), 503
    return jsonify({"status": "ok", "checks": {"database": "ok"}}), 200


def _static_dir() -> Path:
    return Path(current_app.extensions["settings"].static_dir)


def _html_page(path: Path) -> Response:
    """A small HTML page read whole (no open file handle outlives the request)."""
    response = Response(path.read_bytes(), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@web.get("/")
@public
def index() -> Response:
    """The mobile front end's shell."""
    return _html_page(_static_dir() / "index.html")


@web.get("/favicon.ico")
@public
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (provider pages)."""
    response = Response((_static_dir() / "favicon.svg").read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@web.get("/api/v1/docs")
@public
def api_docs() -> Response:
    """The API reference page: renders /api/v1/openapi.json with the project's own script."""
    return _html_page(_static_dir() / "apidocs" / "index.html")


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
    return response


def _domain_error(exc: DomainError) -> tuple[dict[str, Any], int]:
    return (
        error_body(exc.http_status, exc.code, exc.message_en, exc.message_zh, exc.errors),
        exc.http_status,
    )


def _unexpected(exc: Exception) -> tuple[dict[str, Any], int]:
    if isinstance(exc, HTTPException):  # handled by the Api's handler; here for safety
        status = exc.code or 500
        code, en, zh = http_error_parts(status)
        return error_body(status, code, en, zh), status
    log.exception("unhandled error", exc_info=exc)
    code, en, zh = http_error_parts(500)
    return error_body(500, code, en, zh), 500


def init_web(app: Flask) -> None:
    app.register_blueprint(web)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Exception, _unexpected)
    app.after_request(_security_headers)
