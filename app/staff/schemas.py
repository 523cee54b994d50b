"""API schemas for staff endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, OutSchema


class StaffLoginIn(BaseSchema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    totp = ma.fields.String(required=True, validate=validate.Length(min=1, max=10))


class StaffOut(OutSchema):
    id = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)


class StaffSessionOut(OutSchema):
    staff = ma.fields.Nested(StaffOut, required=True)
    csrf_token = ma.fields.String(required=True)


class RosterSummaryOut(OutSchema):
    total = ma.fields.Integer(required=True)
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    by_insurance_type = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True
    )
