"""Shared marshmallow pieces: strict base schema, money fields, zh/en text."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

MAX_FEN = 10**13  # 100 billion yuan: far above any bill, far below BIGINT


class BaseSchema(ma.Schema):
    """Request schemas reject unknown fields."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class OutSchema(ma.Schema):
    class Meta:
        ordered = True


def Fen(**kwargs: object) -> ma.fields.Integer:
    """A non-negative whole amount of fen (strict: 12.5 or "12" are refused)."""
    kwargs.setdefault("validate", validate.Range(min=0, max=MAX_FEN))
    return ma.fields.Integer(strict=True, **kwargs)  # type: ignore[arg-type]


class TextOut(OutSchema):
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)


class StepOut(OutSchema):
    code = ma.fields.String(required=True)
    liability = ma.fields.String(allow_none=True)
    values = ma.fields.Dict(keys=ma.fields.String())
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)
