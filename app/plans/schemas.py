"""API schemas of the public plan endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, Fen, OutSchema, StepOut, TextOut
from app.rules.payout import MAX_EXPENSE_LINES

TIER_CODES = ["standard", "pre_existing"]


class PerTierOut(OutSchema):
    standard = ma.fields.Integer(required=True)
    pre_existing = ma.fields.Integer(required=True)


class EnrollmentOut(OutSchema):
    opens_at = ma.fields.String(
        required=True, metadata={"description": "Local, ISO 8601 with offset"}
    )
    closes_at = ma.fields.String(required=True, metadata={"description": "Exclusive"})
    state = ma.fields.String(required=True, validate=validate.OneOf(["upcoming", "open", "closed"]))
    server_time = ma.fields.String(required=True)


class CoverageOut(OutSchema):
    kind = ma.fields.String(required=True)
    start = ma.fields.String(allow_none=True)
    end = ma.fields.String(allow_none=True)
    start_weekday = ma.fields.String(allow_none=True)
    duration_months = ma.fields.Integer(allow_none=True)


class PremiumOut(OutSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    premium_fen = ma.fields.Integer(required=True)
    born_on_or_after = ma.fields.String(allow_none=True)
    born_before = ma.fields.String(allow_none=True)


class CodeNameOut(OutSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)


class DeductibleGroupOut(CodeNameOut):
    amount_fen = ma.fields.Nested(PerTierOut, required=True)


class LiabilityOut(CodeNameOut):
    description = ma.fields.Nested(TextOut, required=True)
    deductible_group = ma.fields.String(allow_none=True)
    ratio_bp = ma.fields.Nested(PerTierOut, required=True)
    annual_cap_fen = ma.fields.Integer(required=True)
    drug_list_only = ma.fields.Boolean(required=True)


class DrugOut(OutSchema):
    code = ma.fields.String(required=True)
    generic_name = ma.fields.Nested(TextOut, required=True)
    brand = ma.fields.Nested(TextOut, required=True)
    indication = ma.fields.Nested(TextOut, required=True)
    manufacturer = ma.fields.String()


class ChecklistItemOut(OutSchema):
    kind = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    required = ma.fields.Boolean(required=True)
    when = ma.fields.String(allow_none=True)


class ClaimTypeOut(CodeNameOut):
    liabilities = ma.fields.List(ma.fields.String(), required=True)
    documents = ma.fields.List(ma.fields.Nested(ChecklistItemOut), required=True)


class EligibilityOut(OutSchema):
    roster_required = ma.fields.Boolean(required=True)
    roster_status = ma.fields.String(required=True)


class PlanSummaryOut(OutSchema):
    code = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    scheme = ma.fields.String(required=True)
    plan_year = ma.fields.Integer(required=True)
    is_demo = ma.fields.Boolean(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    city = ma.fields.Nested(TextOut, required=True)
    timezone = ma.fields.String(required=True)
    enrollment = ma.fields.Nested(EnrollmentOut, required=True)
    coverage = ma.fields.Nested(CoverageOut, required=True)


class PlanOut(PlanSummaryOut):
    published_at = ma.fields.String(required=True)
    eligibility = ma.fields.Nested(EligibilityOut, required=True)
    relations = ma.fields.List(ma.fields.String(), required=True)
    premiums = ma.fields.List(ma.fields.Nested(PremiumOut), required=True)
    tiers = ma.fields.List(ma.fields.Nested(CodeNameOut), required=True)
    deductible_groups = ma.fields.List(ma.fields.Nested(DeductibleGroupOut), required=True)
    liabilities = ma.fields.List(ma.fields.Nested(LiabilityOut), required=True)
    overall_cap_fen = ma.fields.Integer(required=True)
    pre_existing_conditions = ma.fields.List(ma.fields.Nested(CodeNameOut), required=True)
    continuous_enrollment = ma.fields.String(required=True)
    special_drugs = ma.fields.List(ma.fields.Nested(DrugOut), required=True)
    refund_rule = ma.fields.String(required=True)
    claim_filing_deadline_years = ma.fields.Integer(required=True)
    claim_types = ma.fields.List(ma.fields.Nested(ClaimTypeOut), required=True)


# --- quotes -------------------------------------------------------------------------


class PersonIn(BaseSchema):
    birth_date = ma.fields.Date(required=True)


class QuoteIn(BaseSchema):
    people = ma.fields.List(
        ma.fields.Nested(PersonIn), required=True, validate=validate.Length(min=1, max=20)
    )


class PersonQuoteOut(OutSchema):
    birth_date = ma.fields.Date(required=True)
    premium_fen = ma.fields.Integer(required=True)
    rule = ma.fields.String(required=True)
    explanation = ma.fields.Nested(TextOut, required=True)


class QuoteOut(OutSchema):
    people = ma.fields.List(ma.fields.Nested(PersonQuoteOut), required=True)
    total_fen = ma.fields.Integer(required=True)


# --- tier check ---------------------------------------------------------------------


class TierCheckIn(BaseSchema):
    declared_conditions = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(max=100),
    )


class TierCheckOut(OutSchema):
    tier = ma.fields.String(required=True, validate=validate.OneOf(TIER_CODES))
    reasons = ma.fields.List(ma.fields.Nested(StepOut), required=True)


# --- estimates ----------------------------------------------------------------------


class ExpenseIn(BaseSchema):
    liability = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = Fen(required=True)
    other_paid_fen = Fen(load_default=0)
    drug_code = ma.fields.String(validate=validate.Length(min=1, max=64))


class YearToDateIn(BaseSchema):
    deductible_used_fen = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
        values=Fen(),
        load_default=dict,
    )
    paid_fen = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
        values=Fen(),
        load_default=dict,
    )


class EstimateIn(BaseSchema):
    tier = ma.fields.String(required=True, validate=validate.OneOf(TIER_CODES))
    expenses = ma.fields.List(
        ma.fields.Nested(ExpenseIn),
        required=True,
        validate=validate.Length(
            max=MAX_EXPENSE_LINES, error=f"At most {MAX_EXPENSE_LINES} expense lines."
        ),
    )
    year_to_date = ma.fields.Nested(YearToDateIn)


class LineOut(OutSchema):
    liability = ma.fields.String(required=True)
    eligible_fen = ma.fields.Integer(required=True)
    deductible_group = ma.fields.String(allow_none=True)
    deductible_applied_fen = ma.fields.Integer(required=True)
    ratio_bp = ma.fields.Integer(required=True)
    before_caps_fen = ma.fields.Integer(required=True)
    payout_fen = ma.fields.Integer(required=True)
    capped = ma.fields.Boolean(required=True)
    cap_applied = ma.fields.String(
        allow_none=True, validate=validate.OneOf(["liability", "overall"])
    )
    explanation = ma.fields.Nested(TextOut, required=True)


class NotCoveredOut(OutSchema):
    index = ma.fields.Integer(required=True)
    liability = ma.fields.String(required=True)
    drug_code = ma.fields.String(allow_none=True)
    amount_fen = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)


class EstimateOut(OutSchema):
    tier = ma.fields.String(required=True)
    total_payout_fen = ma.fields.Integer(required=True)
    out_of_pocket_fen = ma.fields.Integer(required=True)
    lines = ma.fields.List(ma.fields.Nested(LineOut), required=True)
    not_covered = ma.fields.List(ma.fields.Nested(NotCoveredOut), required=True)
    deductible_remaining_fen = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True
    )
    steps = ma.fields.List(ma.fields.Nested(StepOut), required=True)
    summary = ma.fields.Nested(TextOut, required=True)
