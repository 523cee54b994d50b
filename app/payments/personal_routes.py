"""Paying premiums from the member's BMI personal account (家庭共济)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import jsonify, make_response
from flask.views import MethodView
from marshmallow import validate

from app.core.api import Blueprint
from app.core.db import get_session
from app.core.schemas import BaseSchema, Bool, OutSchema
from app.core.security import current_member, member_required
from app.enrollment import idempotency
from app.enrollment.routes import order_view
from app.enrollment.schemas import IdempotencyHeader, OrderOut
from app.payments import personal_account

blp = Blueprint(
    "personal_account",
    __name__,
    url_prefix="/api/v1",
    description="Paying from the BMI personal account (family mutual aid).",
)


class ReasonOut(OutSchema):
    code = ma.fields.String(required=True)
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)


class AccountLineOut(OutSchema):
    person_id = ma.fields.String(required=True)
    relation = ma.fields.String(required=True)
    premium_fen = ma.fields.Integer(required=True)
    payable = ma.fields.Boolean(required=True)


class AccountOut(OutSchema):
    eligible = ma.fields.Boolean(required=True)
    reason = ma.fields.Nested(ReasonOut)
    balance_fen = ma.fields.Integer(required=True)
    lines = ma.fields.List(ma.fields.Nested(AccountLineOut), required=True)
    covers_all = ma.fields.Boolean(required=True)


class AccountPayIn(BaseSchema):
    persons = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=26)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )
    relatives_consent = Bool(load_default=False)


class AccountPaidOut(OutSchema):
    paid_order = ma.fields.Nested(OrderOut, required=True)
    remaining_order = ma.fields.Nested(OrderOut, allow_none=True)
    balance_after_fen = ma.fields.Integer(required=True)


@blp.route("/orders/<string:order_id>/personal-account")
class Account(MethodView):
    @blp.response(200, AccountOut)
    @member_required
    def get(self, order_id: str) -> dict[str, Any]:
        """Whether the member may pay this order from their personal account, the balance,
        and which persons' premiums it can pay."""
        return personal_account.eligibility(get_session(), current_member(), order_id)


@blp.route("/orders/<string:order_id>/personal-account-payments")
class AccountPayments(MethodView):
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(AccountPayIn)
    @blp.response(201, AccountPaidOut)
    @member_required
    def post(self, headers: dict[str, Any], body: dict[str, Any], order_id: str) -> Any:
        """Pay the chosen persons from the personal account (Idempotency-Key honoured).
        All of the order's persons: the order is paid; some: they are split off into a
        new, paid order and the original keeps the rest, to pay with WeChat Pay/Alipay."""
        db = get_session()
        member = current_member()

        def work() -> tuple[int, dict[str, Any]]:
            paid = personal_account.pay(
                db, member, order_id, body["persons"], body["relatives_consent"]
            )
            remaining = paid.remaining_order
            return 201, AccountPaidOut().dump(
                {
                    "paid_order": order_view(db, paid.paid_order),
                    "remaining_order": order_view(db, remaining) if remaining else None,
                    "balance_after_fen": paid.deduction.balance_after_fen,
                }
            )

        # the order and the operation are part of the request, so the same key sent to
        # another endpoint or for another order is a mismatch, not a replay
        request = {"op": "personal_account_payment", "order_id": order_id, **body}
        status, result, replayed = idempotency.run(
            db, member.id, headers.get("idempotency_key"), request, work
        )
        response = make_response(jsonify(result), status)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response
