"""The member's message centre: post a message (delivered through the configured channel
once the request has committed), list, count unread, mark read.

`post_message` only flushes: the message row belongs to the caller's transaction, and the
channel is called after that transaction commits (`app.core.db.after_commit`), in a session
of its own, so a refused or failed request sends nothing. A channel that fails is logged;
it never fails the request (the message stays in the message centre either way).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import after_commit
from app.core.errors import NotFound
from app.notifications.channels import (
    Channel,
    ChannelError,
    Outgoing,
    Recipient,
    channel_from_settings,
)
from app.notifications.models import Message
from app.rules.terms import Text

log = logging.getLogger(__name__)

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class MessagePage:
    items: list[Message]
    unread: int
    page: int
    per_page: int
    total: int


class MessageNotFound(NotFound):
    code = "message_not_found"
    message_en = "This message was not found."
    message_zh = "未找到该消息。"


# --- posting and delivery ------------------------------------------------------------------


def post_message(
    db: Session,
    *,
    member_id: str,
    kind: str,
    claim_id: str | None,
    title: Text,
    body: Text,
) -> Message:
    """Put a message in the member's message centre and send it through the configured
    channel after the request commits. Call it inside a request (or an app context whose
    caller runs the after-commit work)."""
    row = Message(
        member_id=member_id,
        kind=kind,
        claim_id=claim_id,
        title_zh=title.zh,
        title_en=title.en,
        body_zh=body.zh,
        body_en=body.en,
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    outgoing = Outgoing(
        id=row.id,
        member_id=member_id,
        kind=kind,
        claim_id=claim_id,
        title=Text(zh=title.zh, en=title.en),
        body=Text(zh=body.zh, en=body.en),
        created_at=row.created_at,
    )
    after_commit(lambda own: deliver(own, outgoing))
    return row


def current_channel() -> Channel:
    """The app's channel (built from the settings once; tests may put their own in
    `app.extensions["notify_channel"]`)."""
    extensions = current_app.extensions
    channel: Channel | None = extensions.get("notify_channel")
    if channel is None:
        channel = channel_from_settings(extensions["settings"])
        extensions["notify_channel"] = channel
    return channel


def recipient(db: Session, member_id: str) -> Recipient:
    """The member and their WeChat openids by app id (the latest login per app)."""
    # read-only: the member's login identities (app.members has no service call for this)
    from app.members.models import MemberIdentity

    rows = db.execute(
        select(MemberIdentity.app_id, MemberIdentity.subject)
        .where(MemberIdentity.member_id == member_id, MemberIdentity.provider == "wechat")
        .order_by(MemberIdentity.last_login_at)
    ).all()
    return Recipient(member_id=member_id, wechat_openids={app: sub for app, sub in rows})


def deliver(db: Session, message: Outgoing, channel: Channel | None = None) -> bool:
    """Send one message through the channel; False (and a log line) when it failed.
    Never raises: other after-commit work of the request goes on."""
    try:
        chosen = channel or current_channel()
        chosen.send(recipient(db, message.member_id), message)
    except ChannelError as exc:
        log.warning(
            "notification %s (%s) for member %s not delivered: %s",
            message.id,
            message.kind,
            message.member_id,
            exc,
        )
        return False
    except Exception:
        log.exception(
            "notification %s (%s) for member %s not delivered",
            message.id,
            message.kind,
            message.member_id,
        )
        return False
    return True


# --- the member's message centre -----------------------------------------------------------


def _unread_filter(member_id: str) -> Any:
    return (Message.member_id == member_id) & Message.read_at.is_(None)


def unread_count(db: Session, member_id: str) -> int:
    query = select(func.count()).select_from(Message).where(_unread_filter(member_id))
    return int(db.scalar(query) or 0)


def list_messages(db: Session, member_id: str, *, page: int = 1, per_page: int = 20) -> MessagePage:
    """The member's messages, newest first."""
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = int(
        db.scalar(select(func.count()).select_from(Message).where(Message.member_id == member_id))
        or 0
    )
    items = list(
        db.scalars(
            select(Message)
            .where(Message.member_id == member_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return MessagePage(
        items=items,
        unread=unread_count(db, member_id),
        page=page,
        per_page=per_page,
        total=total,
    )


def get_message(db: Session, member_id: str, message_id: str) -> Message:
    """One of the member's messages; another member's is not found (404)."""
    row = db.scalar(select(Message).where(Message.id == message_id, Message.member_id == member_id))
    if row is None:
        raise MessageNotFound()
    return row


def mark_read(db: Session, member_id: str, message_id: str) -> Message:
    """Mark one message read (again: no change, the first reading time is kept)."""
    row = get_message(db, member_id, message_id)
    if row.read_at is None:
        row.read_at = clock.now()
        db.flush()
    return row


def mark_all_read(db: Session, member_id: str) -> int:
    """Mark every unread message of the member read; how many were marked."""
    result = db.execute(
        update(Message)
        .where(_unread_filter(member_id))
        .values(read_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    db.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def message_view(row: Message) -> dict[str, Any]:
    """A message as the API shows it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "claim_id": row.claim_id,
        "title": {"zh": row.title_zh, "en": row.title_en},
        "body": {"zh": row.body_zh, "en": row.body_en},
        "created_at": row.created_at,
        "read_at": row.read_at,
    }
