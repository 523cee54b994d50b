"""API schemas of the message centre (/api/v1/me/messages...)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import BaseSchema, OutSchema, TextOut
from app.notifications.service import MAX_PER_PAGE


class MessagesQuery(BaseSchema):
    page = ma.fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100_000), metadata={"example": 1}
    )
    per_page = ma.fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE), metadata={"example": 20}
    )


class MessageOut(OutSchema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"example": "claim_status"})
    claim_id = ma.fields.String(allow_none=True, required=True)
    title = ma.fields.Nested(TextOut, required=True)
    body = ma.fields.Nested(TextOut, required=True)
    created_at = ma.fields.DateTime(required=True)
    read_at = ma.fields.DateTime(allow_none=True, required=True)


class MessagePageOut(OutSchema):
    items = ma.fields.List(ma.fields.Nested(MessageOut), required=True)
    unread = ma.fields.Integer(required=True, metadata={"description": "Unread messages in all"})
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class UnreadOut(OutSchema):
    unread = ma.fields.Integer(required=True)
