"""API schemas of the member's own endpoints (/api/v1/me...)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, Bool, OutSchema, TextOut


class IdentityOut(OutSchema):
    id = ma.fields.String(required=True)
    provider = ma.fields.String(required=True, validate=validate.OneOf(["wechat", "alipay"]))
    nickname = ma.fields.String(allow_none=True)
    linked_at = ma.fields.DateTime(required=True)
    last_login_at = ma.fields.DateTime(required=True)


class MemberOut(OutSchema):
    id = ma.fields.String(required=True)
    nickname = ma.fields.String(allow_none=True)
    avatar_url = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(required=True, metadata={"description": "Real name bound"})
    real_name_masked = ma.fields.String(allow_none=True)
    id_number_masked = ma.fields.String(allow_none=True, metadata={"example": "3502**********123X"})
    id_kind = ma.fields.String(allow_none=True)
    birth_date = ma.fields.Date(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    bound_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    consent_granted = ma.fields.Boolean(required=True)
    identities = ma.fields.List(ma.fields.Nested(IdentityOut), required=True)


class CsrfOut(OutSchema):
    csrf_token = ma.fields.String(required=True)
    header = ma.fields.String(required=True)


class ConsentTextOut(OutSchema):
    kind = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    title = ma.fields.Nested(TextOut, required=True)
    body = ma.fields.Nested(TextOut, required=True)


class ConsentIn(BaseSchema):
    kind = ma.fields.String(
        required=True, validate=validate.OneOf(["sensitive_personal_information"])
    )
    terms_version = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    granted = Bool(required=True)


class ConsentOut(OutSchema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    terms_version = ma.fields.String(required=True)
    granted = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)


class RealNameIn(BaseSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    id_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
