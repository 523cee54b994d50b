"""Enrollment windows (local date-times of the plan's timezone) and coverage periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.rules.calendar import add_months, coverage_period, window_bounds_utc, window_state
from app.rules.terms import Coverage, EnrollmentWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_INSTANT = datetime(2023, 4, 24, 16, 0, tzinfo=UTC)  # 2023-04-25 00:00 in Shanghai


@pytest.mark.parametrize(
    ("now", "state"),
    [
        pytest.param(OPEN_INSTANT, "open", id="open-instant-utc"),
        pytest.param(datetime(2023, 4, 25, tzinfo=SHANGHAI), "open", id="open-instant-local"),
        pytest.param(OPEN_INSTANT - timedelta(microseconds=1), "upcoming", id="one-us-before"),
        pytest.param(
            datetime(2023, 4, 24, 23, 59, 59, tzinfo=SHANGHAI), "upcoming", id="day-before-local"
        ),
        pytest.param(
            datetime(2023, 4, 24, 20, 0, tzinfo=UTC), "open", id="utc-date-before-local-date"
        ),
        pytest.param(datetime(2023, 1, 1, tzinfo=UTC), "upcoming", id="new-year"),
        pytest.param(
            datetime(2023, 6, 30, 23, 59, 59, tzinfo=SHANGHAI), "open", id="last-second-local"
        ),
        pytest.param(
            datetime(2023, 6, 30, 15, 59, 59, 999_999, tzinfo=UTC), "open", id="last-us-utc"
        ),
        pytest.param(
            datetime(2023, 7, 1, 0, 0, 0, tzinfo=SHANGHAI), "closed", id="close-instant-local"
        ),
        pytest.param(datetime(2023, 6, 30, 16, 0, tzinfo=UTC), "closed", id="close-instant-utc"),
        pytest.param(
            datetime(2023, 6, 30, 12, 0, tzinfo=ZoneInfo("America/New_York")),
            "closed",
            id="new-york-noon-is-after-close",
        ),
        pytest.param(datetime(2024, 5, 1, tzinfo=UTC), "closed", id="next-year"),
    ],
)
def test_window_state(terms, now, state):
    assert window_state(terms, now) == state


def test_window_bounds_utc(terms):
    opens, closes = window_bounds_utc(terms)
    assert opens == OPEN_INSTANT
    assert closes == datetime(2023, 6, 30, 16, 0, tzinfo=UTC)
    assert opens.utcoffset() == timedelta(hours=8)


def test_naive_now_is_rejected(terms):
    with pytest.raises(ValueError, match="timezone-aware"):
        window_state(terms, datetime(2023, 5, 1, 12, 0))  # noqa: DTZ001 - the point


def test_window_in_a_zone_with_daylight_saving(variants):
    # New York: 2024-03-10 02:00 EST → 03:00 EDT; opens 2024-03-10 12:00 local = 16:00Z (EDT)
    plan = variants.replace(
        timezone="America/New_York",
        # terms hold naive local date-times
        window=EnrollmentWindow(
            datetime.fromisoformat("2024-03-10T12:00:00"),
            datetime.fromisoformat("2024-11-03T12:00:00"),
        ),
    )
    at = datetime(2024, 3, 10, 16, 0, tzinfo=UTC)
    assert window_state(plan, at) == "open"
    assert window_state(plan, at - timedelta(microseconds=1)) == "upcoming"
    # closes 2024-11-03 12:00 EST = 17:00Z
    assert window_state(plan, datetime(2024, 11, 3, 16, 59, 59, tzinfo=UTC)) == "open"
    assert window_state(plan, datetime(2024, 11, 3, 17, 0, tzinfo=UTC)) == "closed"


@pytest.mark.parametrize(
    "enrolled_on",
    [
        pytest.param(date(2023, 4, 25), id="first-day"),
        pytest.param(date(2023, 6, 30), id="last-day"),
        pytest.param(date(2023, 7, 1), id="after-start"),
    ],
)
def test_fixed_coverage(terms, enrolled_on):
    assert coverage_period(terms, enrolled_on) == (date(2023, 7, 1), date(2024, 6, 30))


ROLLING = Coverage(kind="rolling", start_weekday=1, duration_months=12)  # Tuesday


@pytest.mark.parametrize(
    ("enrolled_on", "start", "end"),
    [
        # 2023-05-01 is a Monday
        pytest.param(date(2023, 5, 1), date(2023, 5, 2), date(2024, 5, 1), id="monday-next-day"),
        pytest.param(
            date(2023, 5, 2), date(2023, 5, 9), date(2024, 5, 8), id="tuesday-strictly-after"
        ),
        pytest.param(date(2023, 5, 3), date(2023, 5, 9), date(2024, 5, 8), id="wednesday"),
        pytest.param(date(2023, 5, 7), date(2023, 5, 9), date(2024, 5, 8), id="sunday"),
        # 2023-12-25 is a Monday: across the new year
        pytest.param(
            date(2023, 12, 25), date(2023, 12, 26), date(2024, 12, 25), id="across-new-year"
        ),
        # 2024-02-26 is a Monday: start 2024-02-27; 2025-02-27 − 1 day
        pytest.param(
            date(2024, 2, 26), date(2024, 2, 27), date(2025, 2, 26), id="leap-year-february"
        ),
    ],
)
def test_rolling_coverage(variants, enrolled_on, start, end):
    plan = variants.replace(coverage=ROLLING)
    assert coverage_period(plan, enrolled_on) == (start, end)
    assert start.weekday() == 1


def test_rolling_coverage_other_weekday_and_duration(variants):
    # Monday starts, 6 months; 2023-05-01 is a Monday → 2023-05-08; end 2023-11-07
    plan = variants.replace(coverage=Coverage(kind="rolling", start_weekday=0, duration_months=6))
    assert coverage_period(plan, date(2023, 5, 1)) == (date(2023, 5, 8), date(2023, 11, 7))
    assert coverage_period(plan, date(2023, 4, 30)) == (date(2023, 5, 1), date(2023, 10, 31))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2023, 1, 31), 1, date(2023, 2, 28), id="jan-31-to-feb-28"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="jan-31-to-feb-29-leap"),
        pytest.param(date(2023, 3, 31), 1, date(2023, 4, 30), id="mar-31-to-apr-30"),
        pytest.param(date(2023, 5, 15), 0, date(2023, 5, 15), id="zero"),
        pytest.param(date(2023, 5, 15), 12, date(2024, 5, 15), id="twelve"),
        pytest.param(date(2023, 11, 30), 3, date(2024, 2, 29), id="across-year-to-leap-feb"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="leap-day-plus-year"),
        pytest.param(date(2023, 12, 1), 1, date(2024, 1, 1), id="december-to-january"),
        pytest.param(date(2023, 7, 1), 25, date(2025, 8, 1), id="over-two-years"),
        pytest.param(date(2024, 3, 31), -1, date(2024, 2, 29), id="negative"),
        pytest.param(date(2024, 1, 15), -1, date(2023, 12, 15), id="negative-across-year"),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected
