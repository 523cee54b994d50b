"""SLA clocks: decision due 30 counted days after submission (need_more_info paused),
payment due 10 days after approval. Datetimes worked by hand, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.claims.sla import ClockState, compute_sla
from app.claims.workflow import (
    Action,
    ActorKind,
    Event,
    IllegalTransition,
    Status,
    apply,
)
from app.rules.terms import Text

A = Action
M, R, SYS = ActorKind.MEMBER, ActorKind.REVIEWER, ActorKind.SYSTEM
WHY = Text("请补充发票", "please add the invoice")


def t(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


def build(*steps: tuple[Action, ActorKind, datetime]) -> list[Event]:
    status = Status.DRAFT
    events = []
    for action, actor, at in steps:
        reason = WHY if action in (A.REQUEST_INFO, A.REJECT) else None
        ev = apply(status, action, actor, at=at, reason=reason)
        events.append(ev)
        status = ev.to_status
    return events


NO_PAUSE = [(A.SUBMIT, M, t(3, 1, 2)), (A.START_REVIEW, R, t(3, 2))]
ONE_PAUSE = [
    *NO_PAUSE,
    (A.REQUEST_INFO, R, t(3, 5, 2)),  # 4 days counted
    (A.SUBMIT, M, t(3, 15, 14)),  # paused 10 days 12 hours
]
TWO_PAUSES = [
    *ONE_PAUSE,
    (A.START_REVIEW, R, t(3, 16)),
    (A.REQUEST_INFO, R, t(3, 20, 14)),  # 5 more days counted: 9
    (A.SUBMIT, M, t(3, 25, 14)),  # paused 5 days
]


def test_not_started() -> None:
    sla = compute_sla([], t(3, 1))
    assert sla.decision_state is ClockState.NOT_STARTED
    assert sla.decision_due_at is None and sla.decision_days_left is None
    assert not sla.decision_overdue
    assert sla.payment_state is ClockState.NOT_STARTED and sla.payment_due_at is None


def test_no_pause() -> None:
    sla = compute_sla(build(*NO_PAUSE), t(3, 10, 2))
    assert sla.decision_state is ClockState.RUNNING
    assert sla.decision_due_at == t(3, 31, 2)
    assert sla.decision_remaining == timedelta(days=21)
    assert sla.decision_days_left == 21
    assert not sla.decision_overdue


def test_one_pause() -> None:
    sla = compute_sla(build(*ONE_PAUSE), t(3, 20))
    assert sla.decision_due_at == t(4, 10, 14)  # 3-15 14:00 + 26 days
    assert sla.decision_days_left == 21  # 21 days 14 hours


def test_two_pauses() -> None:
    sla = compute_sla(build(*TWO_PAUSES), t(3, 25, 14))
    assert sla.decision_due_at == t(4, 15, 14)  # 3-25 14:00 + 21 days
    assert sla.decision_days_left == 21


def test_paused_clock_freezes_time_left() -> None:
    events = build(*ONE_PAUSE[:3])
    for now in (t(3, 5, 2), t(3, 10), t(6, 1)):
        sla = compute_sla(events, now)
        assert sla.decision_state is ClockState.PAUSED
        assert sla.decision_due_at is None
        assert sla.decision_remaining == timedelta(days=26)
        assert sla.decision_days_left == 26
        assert not sla.decision_overdue


@pytest.mark.parametrize(
    ("now", "days_left", "overdue"),
    [
        (t(3, 30, 2, 0, 1), 0, False),  # 23:59:59 left
        (t(3, 31, 2), 0, False),  # due exactly now
        (t(3, 31, 2, 0, 1), -1, True),
        (t(4, 2, 3), -3, True),
    ],
)
def test_decision_overdue(now: datetime, days_left: int, overdue: bool) -> None:
    sla = compute_sla(build(*NO_PAUSE), now)
    assert (sla.decision_days_left, sla.decision_overdue) == (days_left, overdue)


def test_decision_stops_at_approval_and_payment_starts() -> None:
    events = build(*NO_PAUSE, (A.APPROVE, R, t(4, 5)))
    sla = compute_sla(events, t(4, 5, 12))
    assert sla.decision_state is ClockState.STOPPED
    assert sla.decision_due_at == t(3, 31, 2)  # as it stood: decided late
    assert sla.decided_at == t(4, 5)
    assert sla.decision_days_left is None and not sla.decision_overdue
    assert sla.payment_state is ClockState.RUNNING
    assert sla.payment_due_at == t(4, 15)
    assert (sla.payment_days_left, sla.payment_overdue) == (9, False)
    assert compute_sla(events, t(4, 15)).payment_overdue is False
    late = compute_sla(events, t(4, 16))
    assert (late.payment_days_left, late.payment_overdue) == (-1, True)


def test_paid_stops_payment_clock() -> None:
    events = build(*NO_PAUSE, (A.APPROVE, R, t(4, 5)), (A.MARK_PAID, SYS, t(4, 20)))
    sla = compute_sla(events, t(5, 1))
    assert sla.payment_state is ClockState.STOPPED
    assert sla.payment_due_at == t(4, 15) and sla.paid_at == t(4, 20)
    assert sla.payment_days_left is None and not sla.payment_overdue


def test_rejection_stops_decision_clock_without_payment() -> None:
    sla = compute_sla(
        build(*ONE_PAUSE, (A.START_REVIEW, R, t(3, 16)), (A.REJECT, R, t(3, 18))), t(9, 1)
    )
    assert sla.decision_state is ClockState.STOPPED
    assert sla.decision_due_at == t(4, 10, 14)
    assert not sla.decision_overdue
    assert sla.payment_state is ClockState.NOT_STARTED and not sla.payment_overdue


def test_withdraw_stops_everything() -> None:
    sla = compute_sla(build(*NO_PAUSE, (A.WITHDRAW, M, t(3, 3))), t(9, 1))
    assert sla.decision_state is ClockState.STOPPED
    assert sla.decision_due_at is None and not sla.decision_overdue
    assert sla.payment_state is ClockState.NOT_STARTED


def test_input_checks() -> None:
    events = build(*NO_PAUSE)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_sla(events, datetime(2024, 3, 10))  # noqa: DTZ001
    with pytest.raises(ValueError, match="time order"):
        compute_sla(list(reversed(events)), t(4, 1))


def test_a_clock_behind_the_last_event_reads_as_that_event() -> None:
    """Another server's clock a little behind: the same clocks as at the last event."""
    events = build(*NO_PAUSE)
    assert compute_sla(events, t(3, 1, 23, 59, 59)) == compute_sla(events, t(3, 2))


@pytest.mark.parametrize(
    ("decide_at", "late"),
    [
        (t(3, 31, 1, 59, 59), False),  # due 3-31 02:00
        (t(3, 31, 2), False),  # exactly on time
        (t(3, 31, 2, 0, 1), True),
    ],
)
def test_decided_late(decide_at: datetime, late: bool) -> None:
    sla = compute_sla(build(*NO_PAUSE, (A.REJECT, R, decide_at)), t(5, 1))
    assert sla.decision_state is ClockState.STOPPED
    assert sla.decided_late is late
    assert not sla.decision_overdue  # a stopped clock is never overdue; late says it was


def test_decided_late_counts_only_running_time() -> None:
    # 4 days + 26 days after the pause: due 4-10 14:00 (see test_one_pause)
    review = (A.START_REVIEW, R, t(3, 16))
    on_time = compute_sla(build(*ONE_PAUSE, review, (A.APPROVE, R, t(4, 10, 14))), t(5, 1))
    late = compute_sla(build(*ONE_PAUSE, review, (A.APPROVE, R, t(4, 10, 15))), t(5, 1))
    assert (on_time.decided_late, late.decided_late) == (False, True)


def test_withdrawn_is_never_late() -> None:
    sla = compute_sla(build(*NO_PAUSE, (A.WITHDRAW, M, t(6, 1))), t(7, 1))
    assert sla.decided_late is False


@pytest.mark.parametrize(("paid_at", "late"), [(t(3, 13, 2), False), (t(3, 13, 2, 0, 1), True)])
def test_paid_late(paid_at: datetime, late: bool) -> None:
    # approved 3-3 02:00: payment due 3-13 02:00
    sla = compute_sla(
        build(*NO_PAUSE, (A.APPROVE, R, t(3, 3, 2)), (A.MARK_PAID, ActorKind.ADMIN, paid_at)),
        t(4, 1),
    )
    assert sla.payment_state is ClockState.STOPPED
    assert sla.paid_late is late and not sla.payment_overdue


def test_custom_durations() -> None:
    sla = compute_sla(build(*NO_PAUSE), t(3, 2), decision_days=15)
    assert sla.decision_due_at == t(3, 16, 2)


# --- properties ----------------------------------------------------------------

gaps = st.integers(min_value=0, max_value=20 * 24 * 3600)
moves = st.lists(st.tuples(st.sampled_from(Action), st.sampled_from(ActorKind), gaps), max_size=40)


@given(moves)
def test_due_date_never_moves_earlier(seq: list[tuple[Action, ActorKind, int]]) -> None:
    status, at, events = Status.DRAFT, t(1, 1), []
    last_due: datetime | None = None
    for action, actor, gap in seq:
        at += timedelta(seconds=gap)
        try:
            ev = apply(status, action, actor, at=at, reason=WHY)
        except IllegalTransition:
            continue
        events.append(ev)
        status = ev.to_status
        sla = compute_sla(events, at)
        if sla.decision_due_at is not None:
            if last_due is not None:
                assert sla.decision_due_at >= last_due
            last_due = sla.decision_due_at
        if sla.decision_remaining is not None:
            assert sla.decision_remaining <= timedelta(days=30)
        if status is Status.PAID:
            assert sla.payment_state is ClockState.STOPPED


@given(
    review=gaps,
    before_pause=gaps,
    pause=gaps,
    after=gaps,
)
def test_adding_a_pause_delays_due_by_its_length(
    review: int, before_pause: int, pause: int, after: int
) -> None:
    s = timedelta(seconds=1)
    t0 = t(2, 1)
    base = build((A.SUBMIT, M, t0), (A.START_REVIEW, R, t0 + review * s))
    t_req = t0 + (review + before_pause) * s
    paused = build(
        (A.SUBMIT, M, t0),
        (A.START_REVIEW, R, t0 + review * s),
        (A.REQUEST_INFO, R, t_req),
        (A.SUBMIT, M, t_req + pause * s),
    )
    now = t_req + (pause + after) * s
    due_base = compute_sla(base, now).decision_due_at
    due_paused = compute_sla(paused, now).decision_due_at
    assert due_base is not None and due_paused is not None
    assert due_paused == due_base + pause * s
    assert due_paused >= due_base


def test_an_approval_paying_nothing_starts_no_payment_clock() -> None:
    events = build(*NO_PAUSE, (A.APPROVE, R, t(3, 3, 2)))
    sla = compute_sla(events, t(4, 1), payment_expected=False)
    assert sla.payment_state is ClockState.NOT_STARTED
    assert sla.payment_due_at is None and not sla.payment_overdue
    assert sla.decision_state is ClockState.STOPPED and sla.decided_at == t(3, 3, 2)
