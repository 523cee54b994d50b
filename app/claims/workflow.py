"""The claim status machine: pure Python, no Flask or SQLAlchemy.

    draft ─submit─▶ submitted ─start_review─▶ under_review ─approve─▶ approved ─mark_paid─▶ paid
                        ▲                         │   │
                        └──submit── need_more_info ◀┘   └─reject─▶ rejected
                                   (request_info)

The member may withdraw from draft, submitted, under_review or need_more_info, i.e. before
a decision. `TRANSITIONS` is the single source of truth: `transition`, `allowed_actions`
and the tests all read it. The API maps `IllegalTransition` to 409 and `ReasonRequired` to
422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.errors import DomainError
from app.rules.terms import Text


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    NEED_MORE_INFO = "need_more_info"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_INFO = "request_info"
    APPROVE = "approve"
    REJECT = "reject"
    MARK_PAID = "mark_paid"
    WITHDRAW = "withdraw"


class ActorKind(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    SYSTEM = "system"


Actor = ActorKind  # the brief's name for the actor kind

M, R, A, SYS = ActorKind.MEMBER, ActorKind.REVIEWER, ActorKind.ADMIN, ActorKind.SYSTEM
_STAFF = frozenset({R, A})

#: (from status, action) -> (new status, actor kinds allowed)
TRANSITIONS: Mapping[tuple[Status, Action], tuple[Status, frozenset[ActorKind]]] = {
    (Status.DRAFT, Action.SUBMIT): (Status.SUBMITTED, frozenset({M})),
    (Status.NEED_MORE_INFO, Action.SUBMIT): (Status.SUBMITTED, frozenset({M})),
    (Status.SUBMITTED, Action.START_REVIEW): (Status.UNDER_REVIEW, _STAFF),
    (Status.UNDER_REVIEW, Action.REQUEST_INFO): (Status.NEED_MORE_INFO, _STAFF),
    (Status.UNDER_REVIEW, Action.APPROVE): (Status.APPROVED, _STAFF),
    (Status.UNDER_REVIEW, Action.REJECT): (Status.REJECTED, _STAFF),
    (Status.APPROVED, Action.MARK_PAID): (Status.PAID, frozenset({A, SYS})),
    (Status.DRAFT, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({M})),
    (Status.SUBMITTED, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({M})),
    (Status.UNDER_REVIEW, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({M})),
    (Status.NEED_MORE_INFO, Action.WITHDRAW): (Status.WITHDRAWN, frozenset({M})),
}

#: statuses from which no action is possible
FINAL_STATUSES = frozenset({Status.PAID, Status.REJECTED, Status.WITHDRAWN})
#: statuses that are a decision on the claim
DECIDED_STATUSES = frozenset({Status.APPROVED, Status.PAID, Status.REJECTED})

STATUS_NAMES: Mapping[Status, Text] = {
    Status.DRAFT: Text("草稿", "draft"),
    Status.SUBMITTED: Text("已提交", "submitted"),
    Status.UNDER_REVIEW: Text("审核中", "under review"),
    Status.NEED_MORE_INFO: Text("待补充材料", "waiting for more documents"),
    Status.APPROVED: Text("已通过", "approved"),
    Status.PAID: Text("已赔付", "paid"),
    Status.REJECTED: Text("已拒绝", "rejected"),
    Status.WITHDRAWN: Text("已撤回", "withdrawn"),
}

ACTION_NAMES: Mapping[Action, Text] = {
    Action.SUBMIT: Text("提交", "submit"),
    Action.START_REVIEW: Text("开始审核", "start reviewing"),
    Action.REQUEST_INFO: Text("要求补充材料", "ask for more documents on"),
    Action.APPROVE: Text("通过", "approve"),
    Action.REJECT: Text("拒绝", "reject"),
    Action.MARK_PAID: Text("标记为已赔付", "mark as paid"),
    Action.WITHDRAW: Text("撤回", "withdraw"),
}

ACTOR_NAMES: Mapping[ActorKind, Text] = {
    M: Text("您", "You"),
    R: Text("审核员", "A reviewer"),
    A: Text("工作人员", "A staff member"),
    SYS: Text("系统", "The system"),
}


class IllegalTransition(DomainError):
    """The action is not allowed from this status for this actor (HTTP 409)."""

    code = "illegal_transition"
    http_status = 409

    def __init__(self, status: Status, action: Action, actor_kind: ActorKind) -> None:
        self.status = status
        self.action = action
        self.actor_kind = actor_kind
        st, ac = STATUS_NAMES[status], ACTION_NAMES[action]
        if (status, action) in TRANSITIONS:
            self.message_en = f"A {actor_kind.value} cannot {ac.en} a claim that is {st.en}"
            self.message_zh = f"当前身份（{actor_kind.value}）不能{ac.zh}“{st.zh}”状态的理赔申请"
        else:
            self.message_en = f"A claim that is {st.en} cannot be {action.value}"
            self.message_zh = f"“{st.zh}”状态的理赔申请不能{ac.zh}"
        super().__init__(self.message_en)


class ReasonRequired(DomainError, ValueError):
    """Reject and request_info need a reason the member can read (HTTP 422)."""

    code = "reason_required"
    http_status = 422

    def __init__(self, action: Action) -> None:
        self.action = action
        self.message_en = f"A reason is required to {ACTION_NAMES[action].en} a claim"
        self.message_zh = f"{ACTION_NAMES[action].zh}理赔申请时必须填写原因"
        super().__init__(self.message_en)


def transition(status: Status, action: Action, actor_kind: ActorKind) -> Status:
    """The new status, or `IllegalTransition`."""
    entry = TRANSITIONS.get((status, action))
    if entry is None or actor_kind not in entry[1]:
        raise IllegalTransition(status, action, actor_kind)
    return entry[0]


def allowed_actions(status: Status, actor_kind: ActorKind) -> tuple[Action, ...]:
    """The actions this actor may take now, in `Action` order (for the UI's buttons)."""
    return tuple(
        action
        for action in Action
        if (entry := TRANSITIONS.get((status, action))) is not None and actor_kind in entry[1]
    )


# --- reject reasons ----------------------------------------------------------


class RejectReason(StrEnum):
    NOT_COVERED = "not_covered"
    OUTSIDE_COVERAGE_PERIOD = "outside_coverage_period"
    NOT_ON_DRUG_LIST = "not_on_drug_list"
    BMI_NOT_USED = "bmi_not_used"
    DUPLICATE = "duplicate"
    DOCUMENTS_NOT_GENUINE = "documents_not_genuine"
    OTHER = "other"


REJECT_REASON_TEXTS: Mapping[RejectReason, Text] = {
    RejectReason.NOT_COVERED: Text(
        "费用不属于本计划的保障责任", "The costs are not covered by this plan"
    ),
    RejectReason.OUTSIDE_COVERAGE_PERIOD: Text(
        "就医日期不在保障期间内", "The treatment was outside the coverage period"
    ),
    RejectReason.NOT_ON_DRUG_LIST: Text(
        "药品不在本计划特药清单内", "The drug is not on this plan's special-drug list"
    ),
    RejectReason.BMI_NOT_USED: Text(
        "未使用基本医疗保险结算", "The basic medical insurance was not used to settle the bill"
    ),
    RejectReason.DUPLICATE: Text(
        "与已提交的理赔申请重复", "It duplicates a claim already submitted"
    ),
    RejectReason.DOCUMENTS_NOT_GENUINE: Text(
        "提交的材料经核实不真实", "The documents were found not to be genuine"
    ),
    RejectReason.OTHER: Text("其他原因", "Other reason"),
}


def reject_reason_text(code: RejectReason, detail: str | None = None) -> Text:
    """The reason shown to the member; `other` requires `detail`, the others accept one."""
    detail = (detail or "").strip() or None
    if code is RejectReason.OTHER and detail is None:
        raise ReasonRequired(Action.REJECT)
    base = REJECT_REASON_TEXTS[code]
    if detail is None:
        return base
    return Text(f"{base.zh}：{detail}", f"{base.en}: {detail}")


# --- events and the member's timeline ----------------------------------------


@dataclass(frozen=True)
class Event:
    """One status change. `at` must be timezone-aware."""

    at: datetime
    actor_kind: ActorKind
    actor_id: str | None
    action: Action
    from_status: Status
    to_status: Status
    reason: Text | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("Event.at must be timezone-aware")


_REASON_REQUIRED = frozenset({Action.REJECT, Action.REQUEST_INFO})


def apply(
    status: Status,
    action: Action,
    actor_kind: ActorKind,
    *,
    at: datetime,
    actor_id: str | None = None,
    reason: Text | None = None,
) -> Event:
    """Check the transition (and the reason where one is needed) and build its `Event`."""
    to_status = transition(status, action, actor_kind)
    if action in _REASON_REQUIRED and (reason is None or not reason.zh or not reason.en):
        raise ReasonRequired(action)
    return Event(at, actor_kind, actor_id, action, status, to_status, reason)


def timeline_text(event: Event) -> Text:
    """A sentence for the member's timeline, addressed to the member."""
    who = ACTOR_NAMES[event.actor_kind]
    own = event.actor_kind is ActorKind.MEMBER
    obj = Text("理赔申请", "the claim") if own else Text("您的理赔申请", "your claim")
    r = event.reason
    action = event.action
    if action is Action.SUBMIT and event.from_status is Status.NEED_MORE_INFO:
        text = Text(f"{who.zh}补充材料后重新提交了{obj.zh}", f"{who.en} resubmitted {obj.en}")
    elif action is Action.SUBMIT:
        text = Text(f"{who.zh}提交了{obj.zh}", f"{who.en} submitted {obj.en}")
    elif action is Action.START_REVIEW:
        text = Text(f"{who.zh}开始审核{obj.zh}", f"{who.en} started reviewing {obj.en}")
    elif action is Action.REQUEST_INFO:
        text = Text(f"{who.zh}请您补充材料", f"{who.en} asked for more documents")
    elif action is Action.APPROVE:
        text = Text(f"{who.zh}通过了{obj.zh}", f"{who.en} approved {obj.en}")
    elif action is Action.REJECT:
        text = Text(f"{who.zh}拒绝了{obj.zh}", f"{who.en} rejected {obj.en}")
    elif action is Action.MARK_PAID:
        text = Text(f"{who.zh}已支付理赔款", f"{who.en} paid the claim")
    else:
        text = Text(f"{who.zh}撤回了{obj.zh}", f"{who.en} withdrew {obj.en}")
    if r is None:
        return text
    return Text(f"{text.zh}：{r.zh}", f"{text.en}: {r.en}")


_STAFF_ACTORS: Mapping[ActorKind, Text] = {
    M: Text("会员", "The member"),
    R: Text("审核员", "A reviewer"),
    A: Text("工作人员", "A staff member"),
    SYS: Text("系统", "The system"),
}


def staff_timeline_text(event: Event, name: str | None = None) -> Text:
    """The same event told to staff (the member's sentence says "you"), naming the staff
    user who acted when `name` is given."""
    who = _STAFF_ACTORS[event.actor_kind]
    action = ACTION_NAMES[event.action]
    status = STATUS_NAMES[event.to_status]
    zh_who = f"{who.zh} {name}" if name else who.zh
    en_who = f"{who.en} ({name})" if name else who.en
    text = Text(
        f"{zh_who}：{action.zh}（→{status.zh}）",
        f"{en_who}: {event.action.value.replace('_', ' ')} → {status.en}",
    )
    if event.reason is None:
        return text
    return Text(f"{text.zh}：{event.reason.zh}", f"{text.en}: {event.reason.en}")
