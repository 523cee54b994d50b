"""Idempotency-Key for order creation, with Stripe's rules.

- same key, same body → the first response again (status and body), not a second order;
- same key, another body → 422 `idempotency_key_mismatch`;
- a retry while the first request is still running → 409 `idempotency_in_progress`;
- keys are kept 24 hours (older ones are treated as new).
The key is claimed in its own transaction (committed at once, so a concurrent retry sees
it) on PostgreSQL; SQLite serialises writers anyway, so there the claim rides on the
request's transaction and a concurrent retry waits for the first and replays it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import get_db
from app.core.errors import Conflict, DomainError, ValidationFailed
from app.enrollment.models import IdempotencyKey

KEEP = timedelta(hours=24)
MAX_KEY = 255


def request_hash(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(own: Session, member_id: str, key: str, digest: str) -> IdempotencyKey | None:
    """Claim the key (None) or return the existing record."""
    now = clock.now()
    existing = own.get(IdempotencyKey, (member_id, key))
    if existing is not None and now - existing.created_at > KEEP:
        own.delete(existing)
        own.flush()
        existing = None
    if existing is not None:
        return existing
    own.add(
        IdempotencyKey(
            member_id=member_id, key=key, request_hash=digest, state="running", created_at=now
        )
    )
    try:
        own.flush()
    except IntegrityError:
        own.rollback()
        return own.get(IdempotencyKey, (member_id, key))
    return None


def run(
    db: Session,
    member_id: str,
    key: str | None,
    body: Any,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """(status, body, replayed)."""
    if key is None:
        status, result = work()
        return status, result, False
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(
            "Idempotency-Key: 1 to 255 characters.",
            "Idempotency-Key 长度应为 1 到 255 个字符。",
            errors={"headers": {"Idempotency-Key": ["length"]}},
        )
    digest = request_hash(body)
    separate = get_db().engine.dialect.name != "sqlite"
    own = get_db().sessionmaker() if separate else db
    try:
        existing = _claim(own, member_id, key, digest)
        if separate:
            own.commit()
    finally:
        if separate and own is not db:
            pass
    if existing is not None:
        if separate:
            own.close()
        if existing.request_hash != digest:
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request.",
                "该幂等键已用于另一个不同的请求。",
                code="idempotency_key_mismatch",
            )
        if existing.state == "running":
            raise Conflict(
                "The first request with this Idempotency-Key is still running.",
                "相同幂等键的请求正在处理中，请稍后重试。",
                code="idempotency_in_progress",
            )
        return existing.response_status or 200, existing.response_body or {}, True

    def finish(target: Session, status: int, result: dict[str, Any]) -> None:
        target.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.member_id == member_id, IdempotencyKey.key == key)
            .values(state="done", response_status=status, response_body=result)
        )

    try:
        status, result = work()
    except DomainError as exc:
        # a refusal is a response too: stored, so a retry gets the same answer
        from app.core.errors import error_body

        refusal = error_body(exc.http_status, exc.code, exc.message_en, exc.message_zh, exc.errors)
        if separate:
            finish(own, exc.http_status, refusal)
            own.commit()
            own.close()
        raise
    except Exception:
        if separate:
            own.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.member_id == member_id, IdempotencyKey.key == key
                )
            )
            own.commit()
            own.close()
        raise
    if separate:
        own.close()
    finish(db, status, result)  # commits with the order itself
    return status, result, False
