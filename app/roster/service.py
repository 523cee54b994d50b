"""Roster use cases for the rest of the service: find and match people, counts.

A person is found by the blind index of their ID number (nothing is decrypted to
search); services flush, never commit. Imports: `app.roster.importer`.
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.identity import crypto
from app.roster.models import INSURANCE_TYPES, ROSTER_STATUSES, RosterEntry


def find_by_id_number(session: Session, id_number: str) -> RosterEntry | None:
    """The roster entry of an ID number (normalised: trimmed, upper-case X), or None."""
    if not id_number or not id_number.strip():
        return None
    return session.scalar(
        select(RosterEntry).where(RosterEntry.id_index == crypto.id_index(id_number))
    )


def match_person(session: Session, name: str, id_number: str) -> RosterEntry | None:
    """The entry whose ID number is `id_number` AND whose (decrypted) name equals
    `name` once whitespace is normalised; None if either differs."""
    entry = find_by_id_number(session, id_number)
    if entry is None:
        return None
    wanted = crypto.normalise_name(name or "").encode("utf-8")
    stored = crypto.normalise_name(entry.name).encode("utf-8")
    return entry if wanted and hmac.compare_digest(wanted, stored) else None


def summary(session: Session) -> dict[str, Any]:
    """{"total", "by_status": {status: n}, "by_insurance_type": {type: n}}, every
    status and type present (0 when none)."""
    by_status = dict.fromkeys(ROSTER_STATUSES, 0)
    by_type = dict.fromkeys(INSURANCE_TYPES, 0)
    rows = session.execute(
        select(RosterEntry.status, RosterEntry.insurance_type, func.count()).group_by(
            RosterEntry.status, RosterEntry.insurance_type
        )
    )
    total = 0
    for status, insurance_type, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        by_type[insurance_type] = by_type.get(insurance_type, 0) + count
        total += count
    return {"total": total, "by_status": by_status, "by_insurance_type": by_type}
