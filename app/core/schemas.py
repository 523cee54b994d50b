"""Shared marshmallow pieces: strict base schema, money fields, zh/en text."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

MAX_FEN = 10**13  # 100 billion yuan: far above any bill, far below BIGINT


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BaseSchema(ma.Schema):
    """Request schemas reject unknown fields, and text with NUL characters (which no
    database column can hold)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _no_nul(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            bad = [k for k, v in data.items() if _has_nul(k) or _has_nul(v)]
            if bad:
                raise ma.ValidationError(
                    {str(k).replace("\x00", "?"): ["NUL characters are not allowed."] for k in bad}
                )
        return data


class OutSchema(ma.Schema):
    class Meta:
        ordered = True


def Fen(**kwargs: object) -> ma.fields.Integer:
    """A non-negative whole amount of fen (strict: 12.5 or "12" are refused)."""
    kwargs.setdefault("validate", validate.Range(min=0, max=MAX_FEN))
    return ma.fields.Integer(strict=True, **kwargs)  # type: ignore[arg-type]


def Bool(**kwargs: object) -> ma.fields.Boolean:
    """A JSON true/false only (marshmallow's Boolean also takes 1, "yes", "on"…)."""
    return ma.fields.Boolean(truthy={True}, falsy={False}, **kwargs)  # type: ignore[arg-type]


class TextOut(OutSchema):
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)


class StepOut(OutSchema):
    code = ma.fields.String(required=True)
    liability = ma.fields.String(allow_none=True)
    values = ma.fields.Dict(keys=ma.fields.String())
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)
