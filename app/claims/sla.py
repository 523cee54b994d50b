"""Service-level clocks of a claim, shown to the member and to staff.

- Decision: 30 days of counted time. The clock starts at the first `submit`, pauses at
  `request_info` (time in `need_more_info` does not count) and resumes at the next `submit`;
  it stops at `approve`, `reject` or `withdraw`.
- Payment: due 10 days after `approve`; it stops at `mark_paid`. An approval that pays
  nothing (the bill stayed inside the deductible, say) starts no payment clock
  (`payment_expected=False`).

Time choice: a "day" is 24 hours of elapsed time between UTC instants (calendar days, not
business days; no local-midnight rounding, so daylight-saving shifts cannot distort it).
`*_days_left` is the floor of the time left in whole 24-hour days: 29 days 23 hours left
shows 29, 3 hours left shows 0 and 3 hours overdue shows -1, so `*_overdue` is exactly
`*_days_left < 0`. While the decision clock is paused its due instant is unknown
(`decision_due_at` is None) but the counted time left is frozen in `decision_remaining`.
Once a clock has stopped, `decided_late` / `paid_late` keep whether it ran past its due.

A `now` earlier than the last event (servers' clocks a few milliseconds apart) reads as the
time of the last event: the clocks never fail a read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.claims.workflow import Action, Event

DECISION_DAYS = 30
PAYMENT_DAYS = 10
DAY = timedelta(days=1)


class ClockState(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class SlaClocks:
    decision_state: ClockState
    #: running: when the decision is due; stopped by a decision: when it was due then;
    #: not started, paused or withdrawn: None
    decision_due_at: datetime | None
    #: counted time left (frozen while paused); None when not started or stopped
    decision_remaining: timedelta | None
    decision_days_left: int | None
    decision_overdue: bool
    decided_at: datetime | None
    #: decided (approved or rejected) after the decision was due
    decided_late: bool
    payment_state: ClockState
    payment_due_at: datetime | None
    payment_days_left: int | None
    payment_overdue: bool
    paid_at: datetime | None
    #: marked paid after the payment was due
    paid_late: bool


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def compute_sla(
    events: Sequence[Event],
    now: datetime,
    *,
    decision_days: int = DECISION_DAYS,
    payment_days: int = PAYMENT_DAYS,
    payment_expected: bool = True,
) -> SlaClocks:
    """The clocks at `now` from the claim's events (in time order)."""
    _aware(now, "now")
    budget = timedelta(days=decision_days)
    counted = timedelta(0)
    running_since: datetime | None = None
    started = stopped = False
    decided_at = approved_at = paid_at = None
    due_when_stopped: datetime | None = None
    previous: datetime | None = None

    for event in events:
        if previous is not None and event.at < previous:
            raise ValueError("events must be in time order")
        previous = event.at
        if event.action is Action.SUBMIT and not stopped:
            started = True
            if running_since is None:
                running_since = event.at
        elif event.action in (Action.REQUEST_INFO, Action.APPROVE, Action.REJECT, Action.WITHDRAW):
            if running_since is not None:
                counted += event.at - running_since
                running_since = None
            if event.action is not Action.REQUEST_INFO:
                stopped = True
            if event.action in (Action.APPROVE, Action.REJECT):
                decided_at = event.at
                due_when_stopped = event.at + (budget - counted)
            if event.action is Action.APPROVE and payment_expected:
                approved_at = event.at
        elif event.action is Action.MARK_PAID:
            paid_at = event.at
    if previous is not None and now < previous:
        now = previous

    decision_due_at: datetime | None = None
    remaining: timedelta | None = None
    if stopped:
        state = ClockState.STOPPED
        decision_due_at = due_when_stopped
    elif not started:
        state = ClockState.NOT_STARTED
    elif running_since is not None:
        state = ClockState.RUNNING
        decision_due_at = running_since + (budget - counted)
        remaining = decision_due_at - now
    else:
        state = ClockState.PAUSED
        remaining = budget - counted

    payment_due_at = approved_at + timedelta(days=payment_days) if approved_at else None
    pay_left: int | None = None
    if payment_due_at is None:
        pay_state = ClockState.NOT_STARTED
    elif paid_at is not None:
        pay_state = ClockState.STOPPED
    else:
        pay_state = ClockState.RUNNING
        pay_left = (payment_due_at - now) // DAY

    days_left = remaining // DAY if remaining is not None else None
    return SlaClocks(
        decision_state=state,
        decision_due_at=decision_due_at,
        decision_remaining=remaining,
        decision_days_left=days_left,
        decision_overdue=days_left is not None and days_left < 0,
        decided_at=decided_at,
        decided_late=(
            decided_at is not None
            and due_when_stopped is not None
            and decided_at > due_when_stopped
        ),
        payment_state=pay_state,
        payment_due_at=payment_due_at,
        payment_days_left=pay_left,
        payment_overdue=pay_left is not None and pay_left < 0,
        paid_at=paid_at,
        paid_late=(paid_at is not None and payment_due_at is not None and paid_at > payment_due_at),
    )
