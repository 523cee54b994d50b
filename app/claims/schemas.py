"""Request and response schemas of the claims API (member and staff)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.claims.workflow import RejectReason, Status
from app.core.schemas import BaseSchema, Fen, OutSchema, StepOut, TextOut
from app.plans.schemas import EstimateOut, LineOut

MAX_CLAIM_LINES = 50
_ID = validate.Length(min=1, max=26)
_CODE = validate.Length(min=1, max=64)


class ClaimExpenseIn(BaseSchema):
    liability = ma.fields.String(required=True, validate=_CODE)
    amount_fen = Fen(required=True)
    other_paid_fen = Fen(load_default=0)
    drug_code = ma.fields.String(validate=_CODE, allow_none=True)


def _expenses(required: bool = True) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Nested(ClaimExpenseIn),
        required=required,
        validate=validate.Length(
            min=1, max=MAX_CLAIM_LINES, error=f"Between 1 and {MAX_CLAIM_LINES} expense lines."
        ),
    )


class ClaimIn(BaseSchema):
    person_id = ma.fields.String(required=True, validate=_ID)
    policy_id = ma.fields.String(validate=_ID)
    claim_type = ma.fields.String(required=True, validate=_CODE)
    service_start = ma.fields.Date(required=True)
    service_end = ma.fields.Date(required=True)
    hospital = ma.fields.String(validate=validate.Length(max=200), load_default="")
    expenses = _expenses()


class ClaimPatchIn(BaseSchema):
    policy_id = ma.fields.String(validate=_ID)
    claim_type = ma.fields.String(validate=_CODE)
    service_start = ma.fields.Date()
    service_end = ma.fields.Date()
    hospital = ma.fields.String(validate=validate.Length(max=200))
    expenses = _expenses(required=False)

    @ma.validates_schema
    def _something(self, data: dict[str, object], **_: object) -> None:
        """A PATCH changes something: an empty or missing body is a client's mistake."""
        if not data:
            raise ma.ValidationError("Name at least one field to change.", "_schema")


class ClaimEstimateIn(BaseSchema):
    person_id = ma.fields.String(required=True, validate=_ID)
    policy_id = ma.fields.String(validate=_ID)
    claim_type = ma.fields.String(required=True, validate=_CODE)
    expenses = _expenses()


class UploadQuery(BaseSchema):
    kind = ma.fields.String(required=True, validate=_CODE)
    filename = ma.fields.String(validate=validate.Length(max=255), load_default=None)


class FileQuery(BaseSchema):
    variant = ma.fields.String(validate=validate.OneOf(["original", "thumbnail"]))


# --- out ---------------------------------------------------------------------------------


class ClaimLineOut(LineOut):
    liability_name = ma.fields.Nested(TextOut, required=True)
    steps = ma.fields.List(ma.fields.Nested(StepOut), required=True)


class YtdOut(OutSchema):
    deductible_used = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    paid = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    overall_paid_fen = ma.fields.Integer()


class ClaimEstimateOut(EstimateOut):
    lines = ma.fields.List(ma.fields.Nested(ClaimLineOut), required=True)
    claimed_fen = ma.fields.Integer(required=True)
    year_to_date = ma.fields.Nested(YtdOut, required=True)


class PolicyRefOut(OutSchema):
    policy_id = ma.fields.String(required=True)
    policy_number = ma.fields.String(required=True)
    plan_code = ma.fields.String(required=True)
    plan_name = ma.fields.Nested(TextOut, required=True)
    coverage_start = ma.fields.Date(required=True)
    coverage_end = ma.fields.Date(required=True)
    tier = ma.fields.String(required=True)


class ClaimablePersonOut(OutSchema):
    person_id = ma.fields.String(required=True)
    name_masked = ma.fields.String(required=True)
    relation = ma.fields.String(required=True)
    minor = ma.fields.Boolean(required=True)
    policies = ma.fields.List(ma.fields.Nested(PolicyRefOut), required=True)


class LiabilityRefOut(OutSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    drug_list_only = ma.fields.Boolean(required=True)


class ClaimChecklistItemOut(OutSchema):
    kind = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    required = ma.fields.Boolean(required=True)
    when = ma.fields.String(allow_none=True)


class ClaimTypeOptionOut(OutSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextOut, required=True)
    liabilities = ma.fields.List(ma.fields.Nested(LiabilityRefOut), required=True)
    documents = ma.fields.List(ma.fields.Nested(ClaimChecklistItemOut), required=True)


class DrugRefOut(OutSchema):
    code = ma.fields.String(required=True)
    generic_name = ma.fields.Nested(TextOut, required=True)
    brand = ma.fields.Nested(TextOut, required=True)


class PlanClaimInfoOut(OutSchema):
    plan_name = ma.fields.Nested(TextOut, required=True)
    claim_types = ma.fields.List(ma.fields.Nested(ClaimTypeOptionOut), required=True)
    special_drugs = ma.fields.List(ma.fields.Nested(DrugRefOut), required=True)
    filing_deadline_years = ma.fields.Integer(required=True)


class ClaimOptionsOut(OutSchema):
    persons = ma.fields.List(ma.fields.Nested(ClaimablePersonOut), required=True)
    plans = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(PlanClaimInfoOut), required=True
    )


class PersonRefOut(OutSchema):
    person_id = ma.fields.String(required=True)
    name_masked = ma.fields.String(required=True)
    relation = ma.fields.String(required=True)


class StaffPersonOut(PersonRefOut):
    name = ma.fields.String(required=True)
    id_number_masked = ma.fields.String(required=True)
    birth_date = ma.fields.Date(required=True)
    tier = ma.fields.String(required=True)
    minor = ma.fields.Boolean(required=True)


class SlaOut(OutSchema):
    decision_state = ma.fields.String(required=True)
    decision_due_at = ma.fields.DateTime(allow_none=True)
    decision_days_left = ma.fields.Integer(allow_none=True)
    decision_overdue = ma.fields.Boolean(required=True)
    payment_state = ma.fields.String(required=True)
    payment_due_at = ma.fields.DateTime(allow_none=True)
    payment_days_left = ma.fields.Integer(allow_none=True)
    payment_overdue = ma.fields.Boolean(required=True)
    decided_late = ma.fields.Boolean(required=True)
    paid_late = ma.fields.Boolean(required=True)


class ClaimSummaryOut(OutSchema):
    id = ma.fields.String(required=True)
    claim_number = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf([s.value for s in Status]))
    status_name = ma.fields.Nested(TextOut, required=True)
    claim_type = ma.fields.String(required=True)
    claim_type_name = ma.fields.Nested(TextOut, required=True)
    person = ma.fields.Nested(PersonRefOut, required=True)
    plan_code = ma.fields.String(required=True)
    service_start = ma.fields.Date(required=True)
    service_end = ma.fields.Date(required=True)
    claimed_fen = ma.fields.Integer(required=True)
    estimate_fen = ma.fields.Integer(required=True)
    payout_fen = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class ClaimListOut(OutSchema):
    items = ma.fields.List(ma.fields.Nested(ClaimSummaryOut), required=True)


class DuplicateRefOut(OutSchema):
    claim_id = ma.fields.String(required=True)
    claim_number = ma.fields.String(required=True)


class DocumentOut(OutSchema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    kind_name = ma.fields.Nested(TextOut, required=True)
    content_type = ma.fields.String(required=True)
    size_bytes = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    pages = ma.fields.Integer(allow_none=True)
    has_thumbnail = ma.fields.Boolean(required=True)
    uploaded_by = ma.fields.String(required=True)
    uploaded_at = ma.fields.DateTime(required=True)
    url = ma.fields.String(required=True)
    thumbnail_url = ma.fields.String(allow_none=True)
    duplicate_of = ma.fields.List(ma.fields.Nested(DuplicateRefOut))


class ChecklistStateOut(ClaimChecklistItemOut):
    count = ma.fields.Integer(required=True)


class TimelineOut(OutSchema):
    at = ma.fields.DateTime(required=True)
    actor_kind = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    from_status = ma.fields.String(required=True)
    to_status = ma.fields.String(required=True)
    text = ma.fields.Nested(TextOut, required=True)
    reason = ma.fields.Nested(TextOut, allow_none=True)


class StaffTimelineOut(TimelineOut):
    #: the staff user who acted (None for the member's own steps)
    actor_id = ma.fields.String(allow_none=True)
    actor_name = ma.fields.String(allow_none=True)


class RejectReasonOut(OutSchema):
    code = ma.fields.String(required=True)
    text = ma.fields.Nested(TextOut, required=True)


class InfoRequestOut(OutSchema):
    kinds = ma.fields.List(ma.fields.String(), required=True)
    note = ma.fields.String(required=True)


class DecisionOut(ClaimEstimateOut):
    claimed_fen = ma.fields.Integer()
    year_to_date = ma.fields.Nested(YtdOut)
    year_to_date_before = ma.fields.Nested(YtdOut)


class ClaimOut(ClaimSummaryOut):
    policy_id = ma.fields.String(required=True)
    hospital = ma.fields.String(required=True)
    expenses = ma.fields.List(ma.fields.Nested(ClaimExpenseIn), required=True)
    estimate = ma.fields.Nested(ClaimEstimateOut, allow_none=True)
    documents = ma.fields.List(ma.fields.Nested(DocumentOut), required=True)
    checklist = ma.fields.List(ma.fields.Nested(ChecklistStateOut), required=True)
    missing = ma.fields.List(ma.fields.String(), required=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineOut), required=True)
    sla = ma.fields.Nested(SlaOut, required=True)
    decision = ma.fields.Nested(DecisionOut, allow_none=True)
    reject_reason = ma.fields.Nested(RejectReasonOut, allow_none=True)
    info_request = ma.fields.Nested(InfoRequestOut, allow_none=True)
    bank_reference = ma.fields.String(allow_none=True)
    allowed_actions = ma.fields.List(ma.fields.String(), required=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    paid_at = ma.fields.DateTime(allow_none=True)


class StaffQueuePersonOut(PersonRefOut):
    name = ma.fields.String(required=True)


class StaffClaimSummaryOut(ClaimSummaryOut):
    person = ma.fields.Nested(StaffQueuePersonOut, required=True)
    duplicate_flag = ma.fields.Boolean(required=True)
    sla = ma.fields.Nested(SlaOut, required=True)
    sla_due_at = ma.fields.DateTime(allow_none=True)


class StaffQueueOut(OutSchema):
    items = ma.fields.List(ma.fields.Nested(StaffClaimSummaryOut), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class StaffClaimOut(ClaimOut):
    person = ma.fields.Nested(StaffPersonOut, required=True)
    timeline = ma.fields.List(ma.fields.Nested(StaffTimelineOut), required=True)
    duplicate_flag = ma.fields.Boolean(required=True)
    member_estimate = ma.fields.Nested(ClaimEstimateOut, allow_none=True)
    year_to_date = ma.fields.Nested(YtdOut, required=True)
    verified_expenses = ma.fields.List(ma.fields.Nested(ClaimExpenseIn), allow_none=True)


class QueueQuery(BaseSchema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in Status]))
    plan = ma.fields.String(validate=_CODE)
    claim_type = ma.fields.String(validate=_CODE)
    sla_due_before = ma.fields.Date()
    overdue = ma.fields.Boolean()
    duplicate = ma.fields.Boolean()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class RequestInfoIn(BaseSchema):
    kinds = ma.fields.List(
        ma.fields.String(validate=_CODE), required=True, validate=validate.Length(min=1, max=20)
    )
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class ApproveIn(BaseSchema):
    expenses = _expenses()


class RejectIn(BaseSchema):
    reason = ma.fields.String(
        required=True, validate=validate.OneOf([r.value for r in RejectReason])
    )
    detail = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class MarkPaidIn(BaseSchema):
    bank_reference = ma.fields.String(
        required=True,
        validate=[
            validate.Length(min=4, max=64),
            validate.Regexp(r"^[A-Za-z0-9\-_/]+$", error="Letters, digits, - _ / only."),
        ],
    )


class AuditQuery(BaseSchema):
    claim_id = ma.fields.String(validate=_ID)
    staff_id = ma.fields.String(validate=_ID)
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AuditEntryOut(OutSchema):
    id = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)
    staff_id = ma.fields.String(required=True)
    staff_username = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.String(required=True)
    claim_id = ma.fields.String(allow_none=True)
    ip = ma.fields.String(required=True)


class AuditListOut(OutSchema):
    items = ma.fields.List(ma.fields.Nested(AuditEntryOut), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
