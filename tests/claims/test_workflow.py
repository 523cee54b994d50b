"""The claim status machine: every (status, action, actor) against the table, texts, events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.claims.workflow import (
    TRANSITIONS,
    Action,
    ActorKind,
    Event,
    IllegalTransition,
    ReasonRequired,
    RejectReason,
    Status,
    allowed_actions,
    apply,
    reject_reason_text,
    timeline_text,
    transition,
)
from app.rules.terms import Text

S, A = Status, Action
M, R, ADM, SYS = ActorKind.MEMBER, ActorKind.REVIEWER, ActorKind.ADMIN, ActorKind.SYSTEM

# worked by hand from the issue, independent of TRANSITIONS
LEGAL: dict[tuple[Status, Action, ActorKind], Status] = {
    (S.DRAFT, A.SUBMIT, M): S.SUBMITTED,
    (S.NEED_MORE_INFO, A.SUBMIT, M): S.SUBMITTED,
    (S.SUBMITTED, A.START_REVIEW, R): S.UNDER_REVIEW,
    (S.SUBMITTED, A.START_REVIEW, ADM): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.REQUEST_INFO, R): S.NEED_MORE_INFO,
    (S.UNDER_REVIEW, A.REQUEST_INFO, ADM): S.NEED_MORE_INFO,
    (S.UNDER_REVIEW, A.APPROVE, R): S.APPROVED,
    (S.UNDER_REVIEW, A.APPROVE, ADM): S.APPROVED,
    (S.UNDER_REVIEW, A.REJECT, R): S.REJECTED,
    (S.UNDER_REVIEW, A.REJECT, ADM): S.REJECTED,
    (S.APPROVED, A.MARK_PAID, SYS): S.PAID,
    (S.APPROVED, A.MARK_PAID, ADM): S.PAID,
    (S.DRAFT, A.WITHDRAW, M): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW, M): S.WITHDRAWN,
    (S.UNDER_REVIEW, A.WITHDRAW, M): S.WITHDRAWN,
    (S.NEED_MORE_INFO, A.WITHDRAW, M): S.WITHDRAWN,
}

ALL = list(itertools.product(Status, Action, ActorKind))


@pytest.mark.parametrize(
    ("status", "action", "actor", "to"),
    [pytest.param(*k, v, id=f"{k[0]}-{k[1]}-{k[2]}") for k, v in LEGAL.items()],
)
def test_legal_transition(status: Status, action: Action, actor: ActorKind, to: Status) -> None:
    assert transition(status, action, actor) is to


@pytest.mark.parametrize(
    ("status", "action", "actor"),
    [pytest.param(*k, id=f"{k[0]}-{k[1]}-{k[2]}") for k in ALL if k not in LEGAL],
)
def test_illegal_transition(status: Status, action: Action, actor: ActorKind) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(status, action, actor)
    err = info.value
    assert (err.code, err.http_status) == ("illegal_transition", 409)
    assert (err.status, err.action, err.actor_kind) == (status, action, actor)
    assert err.message_en and err.message_zh


def test_table_matches_hand_list() -> None:
    from_table = {
        (status, action, actor): to
        for (status, action), (to, actors) in TRANSITIONS.items()
        for actor in actors
    }
    assert from_table == LEGAL


def test_every_status_has_illegal_actions_and_finals_have_none_legal() -> None:
    for status in Status:
        assert any((status, a, k) not in LEGAL for a in Action for k in ActorKind)
    for status in (S.PAID, S.REJECTED, S.WITHDRAWN):
        assert all(allowed_actions(status, k) == () for k in ActorKind)


def test_member_cannot_approve() -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(S.UNDER_REVIEW, A.APPROVE, M)
    assert info.value.message_en == "A member cannot approve a claim that is under review"


def test_reviewer_cannot_withdraw() -> None:
    for status in Status:
        with pytest.raises(IllegalTransition):
            transition(status, A.WITHDRAW, R)


@pytest.mark.parametrize("status", [S.APPROVED, S.PAID, S.REJECTED, S.WITHDRAWN])
def test_withdraw_only_before_a_decision(status: Status) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(status, A.WITHDRAW, M)
    assert "cannot be withdraw" in info.value.message_en
    assert "不能撤回" in info.value.message_zh


def test_need_more_info_then_submit_then_review_again() -> None:
    status = S.DRAFT
    path = [
        (A.SUBMIT, M, S.SUBMITTED),
        (A.START_REVIEW, R, S.UNDER_REVIEW),
        (A.REQUEST_INFO, R, S.NEED_MORE_INFO),
        (A.SUBMIT, M, S.SUBMITTED),
        (A.START_REVIEW, R, S.UNDER_REVIEW),
        (A.APPROVE, R, S.APPROVED),
        (A.MARK_PAID, SYS, S.PAID),
    ]
    for action, actor, expected in path:
        status = transition(status, action, actor)
        assert status is expected


@pytest.mark.parametrize(
    ("status", "actor", "actions"),
    [
        (S.DRAFT, M, (A.SUBMIT, A.WITHDRAW)),
        (S.DRAFT, R, ()),
        (S.SUBMITTED, M, (A.WITHDRAW,)),
        (S.SUBMITTED, R, (A.START_REVIEW,)),
        (S.UNDER_REVIEW, R, (A.REQUEST_INFO, A.APPROVE, A.REJECT)),
        (S.UNDER_REVIEW, M, (A.WITHDRAW,)),
        (S.NEED_MORE_INFO, M, (A.SUBMIT, A.WITHDRAW)),
        (S.APPROVED, SYS, (A.MARK_PAID,)),
        (S.APPROVED, ADM, (A.MARK_PAID,)),
        (S.APPROVED, M, ()),
    ],
)
def test_allowed_actions(status: Status, actor: ActorKind, actions: tuple[Action, ...]) -> None:
    assert allowed_actions(status, actor) == actions


def test_allowed_actions_agree_with_transition() -> None:
    for status, action, actor in ALL:
        assert (action in allowed_actions(status, actor)) == ((status, action, actor) in LEGAL)


# --- reasons, events, timeline ---------------------------------------------------

AT = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def test_reject_reasons_have_texts() -> None:
    for code in RejectReason:
        if code is RejectReason.OTHER:
            continue
        text = reject_reason_text(code)
        assert text.zh and text.en
    assert reject_reason_text(RejectReason.DUPLICATE, "见 C-1") == Text(
        "与已提交的理赔申请重复：见 C-1", "It duplicates a claim already submitted: 见 C-1"
    )


@pytest.mark.parametrize("detail", [None, "", "   "])
def test_other_reason_requires_text(detail: str | None) -> None:
    with pytest.raises(ReasonRequired) as info:
        reject_reason_text(RejectReason.OTHER, detail)
    assert info.value.code == "reason_required"


def test_other_reason_with_text() -> None:
    assert reject_reason_text(RejectReason.OTHER, "发票抬头不符") == Text(
        "其他原因：发票抬头不符", "Other reason: 发票抬头不符"
    )


def test_event_needs_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Event(AT.replace(tzinfo=None), M, "m1", A.SUBMIT, S.DRAFT, S.SUBMITTED)


def test_apply_builds_event_and_checks() -> None:
    ev = apply(S.DRAFT, A.SUBMIT, M, at=AT, actor_id="m1")
    assert ev == Event(AT, M, "m1", A.SUBMIT, S.DRAFT, S.SUBMITTED, None)
    with pytest.raises(IllegalTransition):
        apply(S.DRAFT, A.APPROVE, R, at=AT)
    with pytest.raises(ReasonRequired):
        apply(S.UNDER_REVIEW, A.REJECT, R, at=AT)
    with pytest.raises(ReasonRequired):
        apply(S.UNDER_REVIEW, A.REQUEST_INFO, R, at=AT, reason=Text("", "x"))


INVOICE = Text("请上传住院发票原件", "the original hospital invoice")


@pytest.mark.parametrize(
    ("frm", "action", "actor", "reason", "zh", "en"),
    [
        (S.DRAFT, A.SUBMIT, M, None, "您提交了理赔申请", "You submitted the claim"),
        (
            S.NEED_MORE_INFO,
            A.SUBMIT,
            M,
            None,
            "您补充材料后重新提交了理赔申请",
            "You resubmitted the claim",
        ),
        (
            S.SUBMITTED,
            A.START_REVIEW,
            R,
            None,
            "审核员开始审核您的理赔申请",
            "A reviewer started reviewing your claim",
        ),
        (
            S.UNDER_REVIEW,
            A.REQUEST_INFO,
            R,
            INVOICE,
            "审核员请您补充材料：请上传住院发票原件",
            "A reviewer asked for more documents: the original hospital invoice",
        ),
        (
            S.UNDER_REVIEW,
            A.APPROVE,
            ADM,
            None,
            "工作人员通过了您的理赔申请",
            "A staff member approved your claim",
        ),
        (
            S.UNDER_REVIEW,
            A.REJECT,
            R,
            reject_reason_text(RejectReason.NOT_ON_DRUG_LIST),
            "审核员拒绝了您的理赔申请：药品不在本计划特药清单内",
            "A reviewer rejected your claim: The drug is not on this plan's special-drug list",
        ),
        (S.APPROVED, A.MARK_PAID, SYS, None, "系统已支付理赔款", "The system paid the claim"),
        (S.SUBMITTED, A.WITHDRAW, M, None, "您撤回了理赔申请", "You withdrew the claim"),
    ],
)
def test_timeline_text(
    frm: Status, action: Action, actor: ActorKind, reason: Text | None, zh: str, en: str
) -> None:
    ev = apply(frm, action, actor, at=AT, actor_id="x", reason=reason)
    assert timeline_text(ev) == Text(zh, en)


# --- properties ----------------------------------------------------------------

steps = st.lists(st.tuples(st.sampled_from(Action), st.sampled_from(ActorKind)), max_size=40)


@given(steps)
def test_random_legal_sequences_stay_in_the_machine(seq: list[tuple[Action, ActorKind]]) -> None:
    status = S.DRAFT
    seen = [status]
    for action, actor in seq:
        try:
            status = transition(status, action, actor)
        except IllegalTransition:
            continue
        assert status in Status
        seen.append(status)
    if S.PAID in seen:
        assert S.APPROVED in seen[: seen.index(S.PAID)]
        assert seen[seen.index(S.PAID) - 1] is S.APPROVED
    if S.WITHDRAWN in seen:
        assert not set(seen[: seen.index(S.WITHDRAWN)]) & {S.APPROVED, S.REJECTED, S.PAID}
    for final in (S.PAID, S.REJECTED, S.WITHDRAWN):
        if final in seen:
            assert seen[-1] is final


def test_timeline_every_legal_transition_has_text() -> None:
    for (status, action, actor), _to in LEGAL.items():
        reason = INVOICE if action in (A.REJECT, A.REQUEST_INFO) else None
        ev = apply(status, action, actor, at=AT + timedelta(hours=1), reason=reason)
        text = timeline_text(ev)
        assert text.zh and text.en
