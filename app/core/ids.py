"""Opaque identifiers for URLs and primary keys: ULIDs (time-ordered, 26 characters)."""

from __future__ import annotations

import secrets

from app.core import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    millis = int(clock.now().timestamp() * 1000)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))
