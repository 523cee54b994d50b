"""The member's message centre: list (newest first), unread count, mark read."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_member, member_required
from app.notifications import service
from app.notifications.schemas import MessageOut, MessagePageOut, MessagesQuery, UnreadOut

blp = Blueprint("messages", __name__, url_prefix="/api/v1/me", description="Message centre.")


@blp.route("/messages")
class Messages(MethodView):
    @blp.arguments(MessagesQuery, location="query")
    @blp.response(200, MessagePageOut)
    @member_required
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The member's messages, newest first, with the number still unread."""
        found = service.list_messages(
            get_session(), current_member().id, page=args["page"], per_page=args["per_page"]
        )
        return {
            "items": [service.message_view(m) for m in found.items],
            "unread": found.unread,
            "page": found.page,
            "per_page": found.per_page,
            "total": found.total,
        }


@blp.route("/messages/unread")
class Unread(MethodView):
    @blp.response(200, UnreadOut)
    @member_required
    def get(self) -> dict[str, int]:
        """How many of the member's messages are unread (the badge on the tab bar)."""
        return {"unread": service.unread_count(get_session(), current_member().id)}


@blp.route("/messages/<string:message_id>/read")
class MessageRead(MethodView):
    @blp.response(200, MessageOut)
    @member_required
    def post(self, message_id: str) -> dict[str, Any]:
        """Mark a message read (again: unchanged). Another member's message is 404."""
        row = service.mark_read(get_session(), current_member().id, message_id)
        return service.message_view(row)


@blp.route("/messages/read-all")
class ReadAll(MethodView):
    @blp.response(200, UnreadOut)
    @member_required
    def post(self) -> dict[str, int]:
        """Mark every message of the member read."""
        db = get_session()
        member_id = current_member().id
        service.mark_all_read(db, member_id)
        return {"unread": service.unread_count(db, member_id)}
