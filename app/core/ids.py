"""Opaque identifiers for URLs and primary keys: ULIDs (time-ordered, 26 characters).

Monotonic within a process: two ids made in the same millisecond still sort in the
order they were made (the random part is incremented), as the ULID spec describes.
"""

from __future__ import annotations

import secrets
import threading

from app.core import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_millis = -1
_last_random = 0


def new_id() -> str:
    global _last_millis, _last_random
    millis = int(clock.now().timestamp() * 1000)
    with _lock:
        if millis <= _last_millis:
            millis = _last_millis
            _last_random = (_last_random + 1) % (1 << 80)
        else:
            _last_random = secrets.randbits(79)  # leave room to increment
        _last_millis = millis
        value = (millis << 80) | _last_random
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))
