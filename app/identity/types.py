"""SQLAlchemy column type for personal data encrypted at rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, TypeDecorator

from app.identity import crypto


class Encrypted(TypeDecorator[str]):
    """Text stored AES-GCM encrypted; `context` (e.g. "members.id_number") names the
    column and is bound in as associated data. Reads decrypt with whichever key id the
    value carries; writes use the active key."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return crypto.ring().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return crypto.ring().decrypt(value, self.context)
