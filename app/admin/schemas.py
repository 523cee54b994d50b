"""API schemas of the admin figures (docs/figures.md)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, OutSchema, TextOut


class FiguresArgs(BaseSchema):
    plan = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A plan code (all versions); every plan when absent"},
    )


def _count(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(required=True, metadata={"description": description})


def _counts(description: str) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": description},
    )


def _bp(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(required=True, allow_none=True, metadata={"description": description})


class PlanFiguresOut(OutSchema):
    plan_code = ma.fields.String(required=True)
    plan_version = _count("Latest version of the plan code (figures add up all versions)")
    plan_name = ma.fields.Nested(TextOut, required=True)
    plan_year = ma.fields.Integer(required=True)
    scheme = ma.fields.String(required=True)
    is_demo = ma.fields.Boolean(required=True)
    roster_normal = _count("Roster entries with status normal (the insured rate's base)")
    enrolled_persons = _count("Distinct insured persons with an issued (not cancelled) policy")
    insured_rate_bp = _bp("enrolled_persons / roster_normal, basis points, floor; null if 0")
    policies_issued = _count("Issued policies (not cancelled)")
    policies_cancelled = _count("Cancelled policies")
    policies_by_tier = _counts("Issued policies by tier (standard, pre_existing)")
    policies_by_premium_rule = _counts("Issued policies by the premium rule that priced them")
    premium_fen = _count("Premiums of issued policies, fen")
    refunded_fen = _count("Refunds paid back (status success), fen")
    refund_pending_fen = _count("Refunds owed, not yet paid back, fen")
    claims_by_status = _counts("Claims by status (every status, drafts included)")
    claimed_fen = _count("Claimed amounts of filed claims (not draft, not withdrawn), fen")
    approved_fen = _count("Payouts of claims approved or paid, fen")
    paid_fen = _count("Payouts of claims paid, fen")
    payout_ratio_bp = _bp("paid_fen / premium_fen, basis points, floor; null if no premium")


class FiguresOut(OutSchema):
    generated_at = ma.fields.DateTime(required=True)
    plans = ma.fields.List(ma.fields.Nested(PlanFiguresOut), required=True)
