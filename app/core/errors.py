"""One error format for every error the service returns.

    {"code": 422, "status": "Unprocessable Entity", "error": "validation_error",
     "message": "...English...", "message_zh": "...中文...", "errors": {"json": {"field": ["..."]}}}

Services raise `DomainError` (or a subclass) with a stable machine code; HTTP
errors raised by Flask/werkzeug/webargs are rendered in the same shape here.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma


class DomainError(Exception):
    """A business-rule error with a stable machine code and zh/en messages."""

    http_status: int = 400
    code: str = "bad_request"
    message_en: str = "The request cannot be processed."
    message_zh: str = "请求无法处理。"

    def __init__(
        self,
        message_en: str | None = None,
        message_zh: str | None = None,
        *,
        code: str | None = None,
        http_status: int | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        if message_en is not None:
            self.message_en = message_en
        if message_zh is not None:
            self.message_zh = message_zh
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.errors = errors
        super().__init__(self.message_en)


class NotFound(DomainError):
    http_status = 404
    code = "not_found"
    message_en = "Not found."
    message_zh = "未找到。"


class ValidationFailed(DomainError):
    """Field-level validation errors found by a service (not by a schema)."""

    http_status = 422
    code = "validation_error"
    message_en = "Some fields are not valid."
    message_zh = "部分字段不符合要求。"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"
    message_en = "The request conflicts with the current state."
    message_zh = "请求与当前状态冲突。"


# Messages for errors raised by the HTTP layer itself, keyed by status.
_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "The request is malformed.", "请求格式有误。"),
    401: ("unauthorized", "Please log in.", "请先登录。"),
    403: ("forbidden", "You may not do this.", "您无权进行此操作。"),
    404: ("not_found", "Not found.", "未找到。"),
    405: ("method_not_allowed", "This method is not allowed here.", "不支持该请求方法。"),
    406: ("not_acceptable", "This response format is not available.", "无法提供所请求的格式。"),
    409: ("conflict", "The request conflicts with the current state.", "请求与当前状态冲突。"),
    413: ("payload_too_large", "The request body is too large.", "请求内容过大。"),
    415: ("unsupported_media_type", "Send the body as JSON.", "请以 JSON 格式提交。"),
    422: ("validation_error", "Some fields are not valid.", "部分字段不符合要求。"),
    429: ("too_many_requests", "Too many requests; try again later.", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "Something went wrong on our side.", "系统繁忙，请稍后再试。"),
    503: ("unavailable", "The service is temporarily unavailable.", "服务暂时不可用。"),
}


def http_error_parts(status: int) -> tuple[str, str, str]:
    if status in _HTTP_MESSAGES:
        return _HTTP_MESSAGES[status]
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return (phrase.lower().replace(" ", "_"), phrase + ".", "请求无法处理。")


def error_body(
    status: int,
    error: str,
    message_en: str,
    message_zh: str,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "code": status,
        "status": phrase,
        "error": error,
        "message": message_en,
        "message_zh": message_zh,
    }
    if errors:
        body["errors"] = errors
    return body


class ErrorSchema(ma.Schema):
    """The error payload (documentation; bodies are built by `error_body`)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status phrase"})
    error = ma.fields.String(required=True, metadata={"description": "Stable machine code"})
    message = ma.fields.String(required=True, metadata={"description": "Message in English"})
    message_zh = ma.fields.String(required=True, metadata={"description": "Message in Chinese"})
    errors = ma.fields.Dict(
        metadata={"description": "Field errors by location, e.g. {'json': {'field': ['msg']}}"}
    )
