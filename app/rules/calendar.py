"""Enrollment windows and coverage periods: local dates of the plan's timezone."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.rules.terms import Terms


def window_bounds_utc(terms: Terms) -> tuple[datetime, datetime]:
    """The window as aware datetimes (opens inclusive, closes exclusive)."""
    tz = ZoneInfo(terms.timezone)
    return (terms.window.opens.replace(tzinfo=tz), terms.window.closes.replace(tzinfo=tz))


def window_state(terms: Terms, now: datetime) -> str:
    """ "upcoming", "open" or "closed" at the aware instant `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    opens, closes = window_bounds_utc(terms)
    if now < opens:
        return "upcoming"
    if now < closes:
        return "open"
    return "closed"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def coverage_period(terms: Terms, enrolled_on: date) -> tuple[date, date]:
    """First and last covered day (both inclusive) for someone enrolled on `enrolled_on`."""
    cov = terms.coverage
    if cov.kind == "fixed":
        assert cov.start is not None and cov.end is not None
        return cov.start, cov.end
    assert cov.start_weekday is not None and cov.duration_months is not None
    days_ahead = (cov.start_weekday - enrolled_on.weekday()) % 7 or 7
    start = enrolled_on + timedelta(days=days_ahead)
    return start, add_months(start, cov.duration_months) - timedelta(days=1)
