"""API schemas: family members, declarations, orders, policies, payments."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, Bool, OutSchema, StepOut

RELATIONS = ["self", "spouse", "child", "parent"]


class FamilyPersonIn(BaseSchema):
    relation = ma.fields.String(required=True, validate=validate.OneOf(RELATIONS))
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    id_number = ma.fields.String(validate=validate.Length(min=1, max=32))
    guardian_consent = Bool(load_default=False)


class FamilyPersonOut(OutSchema):
    id = ma.fields.String(required=True)
    relation = ma.fields.String(required=True)
    name_masked = ma.fields.String(required=True)
    id_number_masked = ma.fields.String(required=True)
    birth_date = ma.fields.Date(required=True)
    sex = ma.fields.String(required=True)
    guardian_consent = ma.fields.Boolean(required=True)
    roster_check = ma.fields.String(required=True)


class DeclarationIn(BaseSchema):
    plan_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
        values=Bool(),
        required=True,
    )
    health_consent = Bool(required=True)


class DeclarationOut(OutSchema):
    id = ma.fields.String(required=True)
    person_id = ma.fields.String(required=True)
    plan_code = ma.fields.String(required=True)
    tier = ma.fields.String(required=True)
    reasons = ma.fields.List(ma.fields.Nested(StepOut), required=True)
    created_at = ma.fields.DateTime(required=True)


class OrderIn(BaseSchema):
    plan_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    persons = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=26)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )


class RenewalIn(BaseSchema):
    plan_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))


class IdempotencyHeader(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key", validate=validate.Length(min=1, max=255)
    )


class OrderLineOut(OutSchema):
    person_id = ma.fields.String(required=True)
    tier = ma.fields.String(required=True)
    premium_fen = ma.fields.Integer(required=True)
    premium_rule = ma.fields.String(required=True)
    state = ma.fields.String(required=True)


class PaymentOut(OutSchema):
    id = ma.fields.String(required=True)
    provider = ma.fields.String(required=True)
    channel = ma.fields.String(required=True)
    out_trade_no = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    paid_at = ma.fields.DateTime(allow_none=True)


class OrderOut(OutSchema):
    id = ma.fields.String(required=True)
    plan_code = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    total_fen = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)
    paid_at = ma.fields.DateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineOut), required=True)
    payments = ma.fields.List(ma.fields.Nested(PaymentOut), required=True)


class PayIn(BaseSchema):
    provider = ma.fields.String(required=True, validate=validate.OneOf(["wechatpay", "alipay"]))
    channel = ma.fields.String(load_default="h5", validate=validate.OneOf(["jsapi", "h5", "wap"]))


class PayOut(OutSchema):
    payment = ma.fields.Nested(PaymentOut, required=True)
    pay_url = ma.fields.String(allow_none=True)
    jsapi_params = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), allow_none=True
    )


class PolicyOut(OutSchema):
    id = ma.fields.String(required=True)
    policy_number = ma.fields.String(required=True)
    plan_code = ma.fields.String(required=True)
    plan_year = ma.fields.Integer(required=True)
    person = ma.fields.Nested(FamilyPersonOut, required=True)
    tier = ma.fields.String(required=True)
    premium_fen = ma.fields.Integer(required=True)
    coverage_start = ma.fields.Date(required=True)
    coverage_end = ma.fields.Date(required=True)
    status = ma.fields.String(required=True)
    verification_code = ma.fields.String(required=True)
    certificate_url = ma.fields.String(required=True)
    cancellable = ma.fields.Boolean(required=True)


class RefundOut(OutSchema):
    id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)


class VerifyArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    policy_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=16))


class VerifyOut(OutSchema):
    valid = ma.fields.Boolean(required=True)
    policy_number = ma.fields.String(required=True)
    plan_code = ma.fields.String(allow_none=True)
    plan_year = ma.fields.Integer(allow_none=True)
    insured_name_masked = ma.fields.String(allow_none=True)
    insured_id_masked = ma.fields.String(allow_none=True)
    coverage_start = ma.fields.Date(allow_none=True)
    coverage_end = ma.fields.Date(allow_none=True)
    status = ma.fields.String(allow_none=True)
