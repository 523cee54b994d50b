"""Re-encrypt personal data under the active key (`flask keys rotate`).

Every column of type Encrypted in the models is visited in primary-key batches; a
value whose key id is not the active one is decrypted and encrypted again. Safe to run
again (already-rotated values are skipped) and while the service runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.orm import Session

from app.core.db import Base
from app.identity import crypto
from app.identity.types import Encrypted

BATCH = 1000


@dataclass
class RotationReport:
    columns: int = 0
    checked: int = 0
    rotated: int = 0


def encrypted_columns() -> list[tuple[object, object, object]]:
    """(table, primary-key column, encrypted column) for every Encrypted column."""
    found = []
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                found.append((table, pk[0], column))
    return found


def rotate(db: Session, after_batch: Callable[[], None]) -> RotationReport:
    ring = crypto.ring()
    report = RotationReport()
    for table, pk, column in encrypted_columns():
        report.columns += 1
        context = column.type.context  # type: ignore[attr-defined]
        raw = type_coerce(column, Text)  # the stored ciphertext, not decrypted
        last = None
        while True:
            query = select(pk, raw).where(column.is_not(None)).order_by(pk).limit(BATCH)  # type: ignore[attr-defined]
            if last is not None:
                query = query.where(pk > last)  # type: ignore[operator]
            rows = db.execute(query).all()
            if not rows:
                break
            for key, token in rows:
                report.checked += 1
                if ring.needs_rotation(token):
                    fresh = ring.encrypt(ring.decrypt(token, context), context)
                    db.execute(
                        update(table)  # type: ignore[arg-type]
                        .where(pk == key)
                        .values({column.name: type_coerce(fresh, Text)})  # type: ignore[attr-defined]
                    )
                    report.rotated += 1
            last = rows[-1][0]
            after_batch()
    return report
