"""The only source of time in business code.

`now()` returns an aware UTC datetime. Tests and the demo set a fixed or offset
clock with `set_clock`; production uses the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    value = _source()
    if value.tzinfo is None:
        raise RuntimeError("clock source returned a naive datetime")
    return value.astimezone(UTC)


def today(tz: str) -> date:
    """The local date in the given IANA timezone (e.g. Asia/Shanghai)."""
    return now().astimezone(ZoneInfo(tz)).date()


def set_clock(source: Callable[[], datetime] | datetime | None) -> None:
    """Fix the clock (a datetime), plug a callable, or restore the system clock (None)."""
    global _source
    if source is None:
        _source = _system_now
    elif isinstance(source, datetime):
        fixed = source
        _source = lambda: fixed  # noqa: E731
    else:
        _source = source
