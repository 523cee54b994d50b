"""Claims, member side: what a member may claim for, drafts, the live estimate, documents,
submit and withdraw. Every status change goes through `change_status` (shared with the
staff side in app/claims/review.py): the workflow checks it, an event records it, the SLA
due date follows it, and the member gets a message.

Services flush, never commit: the request commits once (app/core/db.py).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session

from app.claims import sla as sla_rules
from app.claims import workflow
from app.claims.models import Claim, ClaimDocument, ClaimEvent, YearToDate
from app.claims.workflow import Action, ActorKind, Status
from app.core import clock
from app.core.db import after_commit, get_db, on_rollback
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.documents import DocumentRejected, Storage, process
from app.documents.storage import key_for
from app.enrollment.models import InsuredPerson, Policy
from app.enrollment.service import age_on, get_person
from app.members.models import Member
from app.plans import service as plans
from app.plans.models import Plan
from app.rules.payout import PayoutResult
from app.rules.payout import YearToDate as Ytd
from app.rules.terms import ChecklistItem, ClaimType, Terms, Text

log = logging.getLogger(__name__)

EDITABLE = frozenset({Status.DRAFT, Status.NEED_MORE_INFO})
MINOR_AGE = 18
HOSPITAL_MAX = 200


# --- errors ------------------------------------------------------------------------------


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    message_en = "No such claim."
    message_zh = "未找到该理赔申请。"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message_en = "No such document."
    message_zh = "未找到该材料。"


class ClaimLocked(Conflict):
    code = "claim_locked"
    message_en = "The claim can be changed only as a draft or while more documents are asked for."
    message_zh = "理赔申请仅在草稿或待补充材料状态下可以修改。"


class TooManyDocuments(Conflict):
    code = "too_many_documents"


class AlreadyUploaded(Conflict):
    code = "already_uploaded"


class ClaimFieldLocked(Conflict):
    code = "claim_field_locked"


class DocumentsMissing(DomainError):
    http_status = 422
    code = "documents_missing"


def _field(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed(en, zh, code=code, errors={"json": {field: [en]}})


def rejected(exc: DocumentRejected) -> DomainError:
    """A refused upload in the service's error format (413 / 415 / 422)."""
    return DomainError(exc.message_en, exc.message_zh, code=exc.code, http_status=exc.http_status)


# --- what a member may claim for -----------------------------------------------------------


def plan_terms(db: Session, plan_id: str) -> tuple[Plan, Terms]:
    plan = db.get(Plan, plan_id)
    assert plan is not None
    return plan, plans.terms_of(plan)


def claimable_policies(db: Session, person: InsuredPerson, today: date) -> list[Policy]:
    """The person's policies whose cover has started (expired ones too: claims may be filed
    up to the terms' deadline after discharge); cancelled policies never."""
    return list(
        db.scalars(
            select(Policy)
            .where(
                Policy.person_id == person.id,
                Policy.state != "cancelled",
                Policy.coverage_start <= today,
            )
            .order_by(Policy.coverage_start.desc())
        )
    )


def is_minor(person: InsuredPerson, on: date) -> bool:
    return age_on(person.birth_date, on) < MINOR_AGE


def claim_type_of(terms: Terms, code: str) -> ClaimType:
    found = next((t for t in terms.claim_types if t.code == code), None)
    if found is None:
        raise _field(
            "claim_type",
            "unknown_claim_type",
            f"This plan has no claim type {code!r}.",
            f"本计划没有该理赔类型：{code}。",
        )
    return found


def checklist(claim_type: ClaimType, minor: bool) -> list[ChecklistItem]:
    """The documents that apply: `when: minor` items only for a minor."""
    return [item for item in claim_type.documents if item.when is None or minor]


def required_kinds(claim_type: ClaimType, minor: bool) -> list[str]:
    seen: list[str] = []
    for item in checklist(claim_type, minor):
        if item.required and item.kind not in seen:
            seen.append(item.kind)
    return seen


def document_kinds(claim_type: ClaimType) -> set[str]:
    return {item.kind for item in claim_type.documents}


# --- the engine, with the person's year to date ---------------------------------------------


def year_to_date(db: Session, policy_id: str) -> Ytd:
    row = db.get(YearToDate, policy_id)
    if row is None:
        return Ytd()
    return Ytd(dict(row.deductible_used), dict(row.paid))


def ytd_view(value: Ytd) -> dict[str, Any]:
    return {
        "deductible_used": dict(value.deductible_used_fen),
        "paid": dict(value.paid_fen),
        "overall_paid_fen": value.overall_paid_fen,
    }


def run_engine(
    terms: Terms, claim_type: ClaimType, tier: str, expenses: list[dict[str, Any]], ytd: Ytd
) -> PayoutResult:
    """The one engine call behind the estimate and the adjudication (plans.estimate checks
    the lines the same way the public estimator does)."""
    for index, item in enumerate(expenses):
        if item["liability"] not in claim_type.liabilities:
            raise _field(
                f"expenses.{index}.liability",
                "liability_not_in_claim_type",
                f"A {claim_type.name.en} claim covers only: {', '.join(claim_type.liabilities)}.",
                f"“{claim_type.name.zh}”理赔仅包含：{'、'.join(claim_type.liabilities)}。",
            )
    return plans.estimate(
        terms,
        tier,
        expenses,
        {"deductible_used_fen": dict(ytd.deductible_used_fen), "paid_fen": dict(ytd.paid_fen)},
    )


def clean_expenses(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in raw:
        line: dict[str, Any] = {
            "liability": item["liability"],
            "amount_fen": item["amount_fen"],
            "other_paid_fen": item.get("other_paid_fen", 0),
        }
        if item.get("drug_code") is not None:
            line["drug_code"] = item["drug_code"]
        out.append(line)
    return out


@dataclass(frozen=True)
class EstimateContext:
    policy: Policy
    terms: Terms
    claim_type: ClaimType
    ytd: Ytd
    result: PayoutResult


def estimate_for(
    db: Session,
    member: Member,
    person_id: str,
    claim_type_code: str,
    expenses: list[dict[str, Any]],
    policy_id: str | None = None,
) -> EstimateContext:
    """The live estimate of a claim not yet saved (nothing is stored)."""
    person = get_person(db, member, person_id)
    policy = _pick_policy(db, person, policy_id, None)
    _, terms = plan_terms(db, policy.plan_id)
    claim_type = claim_type_of(terms, claim_type_code)
    ytd = year_to_date(db, policy.id)
    expenses = clean_expenses(expenses)
    result = run_engine(terms, claim_type, policy.tier, expenses, ytd)
    return EstimateContext(policy, terms, claim_type, ytd, result)


# --- drafts ------------------------------------------------------------------------------


def _pick_policy(
    db: Session, person: InsuredPerson, policy_id: str | None, service_start: date | None
) -> Policy:
    tz_today = clock.today("Asia/Shanghai")
    policies = claimable_policies(db, person, tz_today)
    if policy_id is not None:
        chosen = next((p for p in policies if p.id == policy_id), None)
        if chosen is None:
            raise _field(
                "policy_id",
                "no_policy",
                "This person has no such policy whose cover has started.",
                "该被保险人没有这张已生效的保单。",
            )
        return chosen
    if service_start is not None:
        covering = [p for p in policies if p.coverage_start <= service_start <= p.coverage_end]
        if covering:
            return covering[0]
    if not policies:
        raise _field(
            "person_id",
            "no_policy",
            "This person has no policy whose cover has started.",
            "该被保险人没有已生效的保单。",
        )
    return policies[0]


def _check_dates(
    terms: Terms, policy: Policy, start: date, end: date, *, filed_at: datetime | None = None
) -> None:
    """Treatment dates inside the policy's cover and not in the future, and the filing
    deadline: as of today, or for a claim already filed (`filed_at`, its first submission)
    as of the day it was filed, so a claim filed in time and then asked for documents may
    be resubmitted later, but re-dating it cannot reach back past the deadline."""
    today = clock.today(terms.timezone)
    if start > end:
        raise _field(
            "service_end",
            "service_dates_order",
            "The end of treatment cannot be before its start.",
            "出院（结束）日期不能早于入院（开始）日期。",
        )
    if end > today:
        raise _field(
            "service_end",
            "service_in_future",
            "Treatment dates cannot be in the future.",
            "就医日期不能晚于今天。",
        )
    if start < policy.coverage_start or end > policy.coverage_end:
        raise _field(
            "service_start",
            "outside_coverage_period",
            f"Treatment must lie inside the coverage period "
            f"{policy.coverage_start.isoformat()} – {policy.coverage_end.isoformat()}.",
            f"就医日期须在保障期间内（{policy.coverage_start.isoformat()} 至 "
            f"{policy.coverage_end.isoformat()}）。",
        )
    filed_on = filed_at.astimezone(ZoneInfo(terms.timezone)).date() if filed_at else today
    years = terms.claim_deadline_years
    try:
        closes = end.replace(year=end.year + years)
    except ValueError:  # 29 February
        closes = end.replace(year=end.year + years, day=28)
    if filed_on > closes:
        raise _field(
            "service_end",
            "filing_closed",
            f"Claims must be filed within {years} years of discharge "
            f"(closed on {closes.isoformat()}).",
            f"理赔须在出院后 {years} 年内申请（已于 {closes.isoformat()} 截止）。",
        )


def _claim_number(claim_id: str) -> str:
    return "C" + claim_id[-12:]


def create_claim(db: Session, member: Member, body: dict[str, Any]) -> Claim:
    person = get_person(db, member, body["person_id"])
    policy = _pick_policy(db, person, body.get("policy_id"), body["service_start"])
    _, terms = plan_terms(db, policy.plan_id)
    claim_type = claim_type_of(terms, body["claim_type"])
    _check_dates(terms, policy, body["service_start"], body["service_end"])
    expenses = clean_expenses(body["expenses"])
    result = run_engine(terms, claim_type, policy.tier, expenses, year_to_date(db, policy.id))
    now = clock.now()
    claim = Claim(
        member_id=member.id,
        person_id=person.id,
        policy_id=policy.id,
        plan_id=policy.plan_id,
        claim_type=claim_type.code,
        status=Status.DRAFT.value,
        service_start=body["service_start"],
        service_end=body["service_end"],
        hospital=(body.get("hospital") or "").strip(),
        expenses=expenses,
        claimed_fen=sum(e["amount_fen"] for e in expenses),
        estimate_fen=result.total_payout_fen,
        created_at=now,
        updated_at=now,
    )
    from app.core.ids import new_id

    claim.id = new_id()
    claim.claim_number = _claim_number(claim.id)
    db.add(claim)
    db.flush()
    return claim


def get_claim(db: Session, member: Member, claim_id: str, *, lock: bool = False) -> Claim:
    stmt = select(Claim).where(Claim.id == claim_id, Claim.member_id == member.id)
    if lock:
        stmt = stmt.with_for_update()
    claim = db.scalar(stmt)
    if claim is None:
        raise ClaimNotFound()
    return claim


def lock_claim(db: Session, claim_id: str) -> Claim:
    claim = db.scalar(select(Claim).where(Claim.id == claim_id).with_for_update())
    if claim is None:
        raise ClaimNotFound()
    return claim


def _editable(claim: Claim) -> None:
    if Status(claim.status) not in EDITABLE:
        raise ClaimLocked()


def update_claim(db: Session, member: Member, claim_id: str, body: dict[str, Any]) -> Claim:
    claim = get_claim(db, member, claim_id, lock=True)
    _editable(claim)
    policy = db.get(Policy, claim.policy_id)
    assert policy is not None
    start = body.get("service_start", claim.service_start)
    end = body.get("service_end", claim.service_end)
    filed = claim.submitted_at is not None
    if filed:
        # answering a request for documents: the claim stays the claim the reviewer saw
        # (its type, hence its checklist, and its policy); dates and amounts may be corrected
        for name in ("claim_type", "policy_id"):
            if name in body and body[name] != getattr(claim, name):
                raise ClaimFieldLocked(
                    f"The {name.replace('_', ' ')} of a filed claim cannot be changed; "
                    "withdraw it and file a new claim instead.",
                    "已提交的理赔申请不能更改理赔类型或保单；如需更改，请撤回后重新申请。",
                    errors={"json": {name: ["locked"]}},
                )
    elif "policy_id" in body or "service_start" in body:
        person = db.get(InsuredPerson, claim.person_id)
        assert person is not None
        policy = _pick_policy(db, person, body.get("policy_id"), start)
    _, terms = plan_terms(db, policy.plan_id)
    claim_type = claim_type_of(terms, body.get("claim_type", claim.claim_type))
    _check_dates(terms, policy, start, end, filed_at=claim.submitted_at)
    expenses = clean_expenses(body["expenses"]) if "expenses" in body else claim.expenses
    result = run_engine(terms, claim_type, policy.tier, expenses, year_to_date(db, policy.id))
    claim.policy_id = policy.id
    claim.plan_id = policy.plan_id
    claim.claim_type = claim_type.code
    claim.service_start, claim.service_end = start, end
    if "hospital" in body:
        claim.hospital = (body.get("hospital") or "").strip()
    claim.expenses = expenses
    claim.claimed_fen = sum(e["amount_fen"] for e in expenses)
    claim.estimate_fen = result.total_payout_fen
    claim.updated_at = clock.now()
    db.flush()
    return claim


def list_claims(db: Session, member: Member) -> list[Claim]:
    return list(
        db.scalars(
            select(Claim)
            .where(Claim.member_id == member.id)
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


# --- documents -----------------------------------------------------------------------------


def documents_of(db: Session, claim_id: str) -> list[ClaimDocument]:
    return list(
        db.scalars(
            select(ClaimDocument)
            .where(ClaimDocument.claim_id == claim_id)
            .order_by(ClaimDocument.uploaded_at, ClaimDocument.id)
        )
    )


def missing_kinds(db: Session, claim: Claim, terms: Terms) -> list[str]:
    person = db.get(InsuredPerson, claim.person_id)
    assert person is not None
    docs = documents_of(db, claim.id)
    have = {d.kind for d in docs}
    kinds = required_kinds(
        claim_type_of(terms, claim.claim_type), is_minor(person, claim.service_start)
    )
    missing = [kind for kind in kinds if kind not in have]
    asked = claim.info_request if claim.status == Status.NEED_MORE_INFO.value else None
    if asked and "documents_before" in asked:
        # what the reviewer asked for needs a file added since the request
        before = set(asked["documents_before"])
        fresh = {d.kind for d in docs if d.id not in before}
        missing += [k for k in asked["kinds"] if k not in fresh and k not in missing]
    return missing


def duplicates_of(db: Session, doc: ClaimDocument) -> list[Claim]:
    """Other filed claims holding the same file (same SHA-256); a claim never submitted is
    the member's own business."""
    return list(
        db.scalars(
            select(Claim)
            .join(ClaimDocument, ClaimDocument.claim_id == Claim.id)
            .where(
                ClaimDocument.sha256 == doc.sha256,
                Claim.id != doc.claim_id,
                Claim.submitted_at.is_not(None),
            )
            .order_by(Claim.created_at)
        )
    )


def refresh_shared(db: Session, *digests: str) -> None:
    """Set `shared` on every document row of `digests`: another filed claim holds the same
    file. The caller holds the digests' content locks (`lock_content`), so no other
    request changes these rows meanwhile; called after an upload, a removal and a first
    submission. Rows of other claims are written here, never their claim rows."""
    for sha in sorted(set(digests)):
        rows = list(db.scalars(select(ClaimDocument).where(ClaimDocument.sha256 == sha)))
        filed = set(
            db.scalars(
                select(Claim.id)
                .join(ClaimDocument, ClaimDocument.claim_id == Claim.id)
                .where(ClaimDocument.sha256 == sha, Claim.submitted_at.is_not(None))
            )
        )
        for row in rows:
            row.shared = bool(filed - {row.claim_id})
    db.flush()


def duplicate_clause(claim_id: Any) -> Any:
    """SQL: the claim `claim_id` (a column or a value) holds a file that another filed claim
    holds too (the reviewers' "possible duplicate" flag), from the documents' `shared`."""
    return exists(
        select(1).where(ClaimDocument.claim_id == claim_id, ClaimDocument.shared.is_(True))
    )


def has_duplicates(db: Session, claim_id: str) -> bool:
    return bool(db.scalar(select(duplicate_clause(claim_id))))


def flagged_claims(db: Session, claim_ids: list[str]) -> set[str]:
    """Which of `claim_ids` are flagged as possible duplicates (one query for a page)."""
    if not claim_ids:
        return set()
    return set(
        db.scalars(
            select(ClaimDocument.claim_id)
            .where(ClaimDocument.claim_id.in_(claim_ids), ClaimDocument.shared.is_(True))
            .distinct()
        )
    )


@dataclass(frozen=True)
class Upload:
    document: ClaimDocument
    created: bool


def add_document(
    db: Session,
    storage: Storage,
    claim: Claim,
    *,
    kind: str,
    filename: str | None,
    stream: BinaryIO,
    declared_length: int | None,
    max_bytes: int,
    max_documents: int,
    uploaded_by: str,
) -> Upload:
    """Check, normalise and store one file of `claim` (which the caller has locked).

    Refusals happen before anything is written. The file goes to storage before the row is
    flushed; if the request then fails, `_forget_file` removes the file again unless a
    committed row uses it."""
    if uploaded_by == "member":
        _editable(claim)
    _, terms = plan_terms(db, claim.plan_id)
    kinds = document_kinds(claim_type_of(terms, claim.claim_type))
    if kind not in kinds:
        raise _field(
            "kind",
            "unknown_kind",
            f"Document kind must be one of: {', '.join(sorted(kinds))}.",
            f"材料类型须为：{'、'.join(sorted(kinds))}。",
        )
    try:
        doc = process(stream, declared_length, filename, max_bytes=max_bytes)
    except DocumentRejected as exc:
        raise rejected(exc) from exc
    existing = db.scalar(
        select(ClaimDocument).where(
            ClaimDocument.claim_id == claim.id, ClaimDocument.sha256 == doc.sha256
        )
    )
    if existing is not None and existing.kind != kind:
        raise AlreadyUploaded(
            f"This file is already on the claim as another document ({existing.kind}).",
            f"该文件已作为其他材料（{existing.kind}）上传到本理赔申请。",
            errors={"existing": {"id": existing.id, "kind": existing.kind}},
        )
    if existing is not None:  # a retry of a file already here: the same answer, even when full
        return Upload(existing, False)
    thumb_sha = hashlib.sha256(doc.thumbnail).hexdigest() if doc.thumbnail else None
    lock_content(db, doc.sha256, thumb_sha)
    count = db.scalar(select(func.count()).where(ClaimDocument.claim_id == claim.id)) or 0
    if count >= max_documents:
        raise TooManyDocuments(
            f"A claim holds at most {max_documents} files.",
            f"每个理赔申请最多上传 {max_documents} 个文件。",
        )
    for sha, data, ctype in (
        (doc.sha256, doc.data, doc.content_type),
        (thumb_sha, doc.thumbnail, "image/jpeg"),
    ):
        if sha is None or data is None:
            continue
        if not storage.exists(key_for(sha)):
            storage.put(sha, data, ctype)
            on_rollback(_forget_file(storage, sha, (doc.sha256, thumb_sha)))
    row = ClaimDocument(
        claim_id=claim.id,
        kind=kind,
        sha256=doc.sha256,
        content_type=doc.content_type,
        size_bytes=len(doc.data),
        thumbnail_sha256=thumb_sha,
        width=doc.width,
        height=doc.height,
        pages=doc.pages,
        filename=doc.original_filename_safe[:200],
        uploaded_by=uploaded_by,
        uploaded_at=clock.now(),
    )
    db.add(row)
    claim.updated_at = clock.now()
    db.flush()
    refresh_shared(db, doc.sha256)
    return Upload(row, True)


def lock_content(db: Session, *digests: str | None) -> None:
    """Uploads and removals of the same stored files (a document's digest and its
    thumbnail's: two different files can share a thumbnail), in any claim, one after the
    other until the transaction ends, so a file is never removed while a row that is about
    to use it is uncommitted. PostgreSQL advisory locks keyed by the digests, taken in
    sorted order (never a deadlock between two of them); SQLite serialises writers anyway."""
    if db.get_bind().dialect.name != "postgresql":
        return
    for sha in sorted({d for d in digests if d}):
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(sha[:15], 16)})


def _forget_file(storage: Storage, sha: str, digests: tuple[str, str | None]) -> Any:
    """Undo a file write whose row did not commit (unless a committed row uses the file).

    The check runs under the content locks of the upload (`digests`: the document's and its
    thumbnail's): an upload of the same content that found the file already stored either
    committed its row before the check (the file stays) or waits until the file is gone and
    then stores it again."""

    def undo() -> None:
        session = get_db().sessionmaker()
        try:
            lock_content(session, *digests)
            _delete_if_unused(session, storage, sha)
        finally:
            session.close()

    return undo


def _delete_if_unused(db: Session, storage: Storage, sha: str) -> None:
    used = db.scalar(
        select(func.count()).where(
            (ClaimDocument.sha256 == sha) | (ClaimDocument.thumbnail_sha256 == sha)
        )
    )
    if not used:
        storage.delete(key_for(sha))


def delete_document(
    db: Session, storage: Storage, member: Member, claim_id: str, document_id: str
) -> None:
    """Remove a document of an editable claim. Its file (and thumbnail) is removed from the
    storage once the removal has committed, unless another document uses the same content
    (files are content-addressed)."""
    claim = get_claim(db, member, claim_id, lock=True)
    _editable(claim)
    doc = db.get(ClaimDocument, document_id)
    if doc is None or doc.claim_id != claim.id:
        raise DocumentNotFound()
    files = [sha for sha in (doc.sha256, doc.thumbnail_sha256) if sha]
    lock_content(db, *files)
    db.delete(doc)
    claim.updated_at = clock.now()
    db.flush()
    refresh_shared(db, doc.sha256)

    def drop_files(own: Session) -> None:
        lock_content(own, *files)
        for sha in files:
            _delete_if_unused(own, storage, sha)

    after_commit(drop_files)


def get_document(db: Session, claim: Claim, document_id: str) -> ClaimDocument:
    doc = db.get(ClaimDocument, document_id)
    if doc is None or doc.claim_id != claim.id:
        raise DocumentNotFound()
    return doc


# --- status changes ------------------------------------------------------------------------


def events_of(db: Session, claim_id: str) -> list[workflow.Event]:
    rows = db.scalars(
        select(ClaimEvent)
        .where(ClaimEvent.claim_id == claim_id)
        .order_by(ClaimEvent.at, ClaimEvent.id)
    )
    return [to_event(row) for row in rows]


def to_event(row: ClaimEvent) -> workflow.Event:
    reason = Text(row.reason_zh, row.reason_en) if row.reason_zh and row.reason_en else None
    return workflow.Event(
        row.at,
        ActorKind(row.actor_kind),
        row.actor_id,
        Action(row.action),
        Status(row.from_status),
        Status(row.to_status),
        reason,
    )


def pays_nothing(claim: Claim) -> bool:
    """Approved with a payout of 0 (the bill stayed inside the deductible, say): no payment
    clock, nothing to mark paid; the claim ends at approved."""
    return claim.payout_fen == 0


def clocks(db: Session, claim: Claim) -> sla_rules.SlaClocks:
    return sla_rules.compute_sla(
        events_of(db, claim.id), clock.now(), payment_expected=not pays_nothing(claim)
    )


def allowed_actions(claim: Claim, actor: ActorKind) -> list[str]:
    """The workflow's actions for `actor` now, less marking paid where nothing is paid."""
    actions = workflow.allowed_actions(Status(claim.status), actor)
    return [a.value for a in actions if not (a is Action.MARK_PAID and pays_nothing(claim))]


def change_status(
    db: Session,
    claim: Claim,
    action: Action,
    actor_kind: ActorKind,
    actor_id: str | None,
    *,
    reason: Text | None = None,
    data: dict[str, Any] | None = None,
) -> workflow.Event:
    """Check the transition, record the event, move the claim, follow the SLA, tell the member.
    The caller holds the claim's row lock. A server clock behind the claim's last event
    (another host's) stamps the event a microsecond after it, so the timeline keeps its order
    whichever process made the ids."""
    now = clock.now()
    last = db.scalar(
        select(ClaimEvent.at)
        .where(ClaimEvent.claim_id == claim.id)
        .order_by(ClaimEvent.at.desc())
        .limit(1)
    )
    if last is not None and last > now:
        log.warning(
            "claim %s: clock %.3f s behind its last event", claim.id, (last - now).total_seconds()
        )
        now = last + timedelta(microseconds=1)
    event = workflow.apply(
        Status(claim.status), action, actor_kind, at=now, actor_id=actor_id, reason=reason
    )
    db.add(
        ClaimEvent(
            claim_id=claim.id,
            at=now,
            actor_kind=actor_kind.value,
            actor_id=actor_id,
            action=action.value,
            from_status=event.from_status.value,
            to_status=event.to_status.value,
            reason_zh=reason.zh if reason else None,
            reason_en=reason.en if reason else None,
            data=data,
        )
    )
    claim.status = event.to_status.value
    claim.updated_at = now
    if action is Action.SUBMIT and claim.submitted_at is None:
        claim.submitted_at = now
    if event.to_status in workflow.DECIDED_STATUSES and claim.decided_at is None:
        claim.decided_at = now
    if event.to_status is Status.PAID:
        claim.paid_at = now
    db.flush()
    clk = clocks(db, claim)
    if clk.decision_state is sla_rules.ClockState.RUNNING:
        claim.sla_due_at = clk.decision_due_at
    elif clk.payment_state is sla_rules.ClockState.RUNNING:
        claim.sla_due_at = clk.payment_due_at
    else:
        claim.sla_due_at = None
    _tell_member(db, claim, event)
    db.flush()
    return event


def _tell_member(db: Session, claim: Claim, event: workflow.Event) -> None:
    from app.notifications.service import post_message

    status = workflow.STATUS_NAMES[event.to_status]
    post_message(
        db,
        member_id=claim.member_id,
        kind="claim_status",
        claim_id=claim.id,
        title=Text(
            f"理赔申请 {claim.claim_number}：{status.zh}",
            f"Claim {claim.claim_number}: {status.en}",
        ),
        body=workflow.timeline_text(event),
    )


def submit(db: Session, member: Member, claim_id: str) -> Claim:
    claim = get_claim(db, member, claim_id, lock=True)
    workflow.transition(Status(claim.status), Action.SUBMIT, ActorKind.MEMBER)
    _, terms = plan_terms(db, claim.plan_id)
    missing = missing_kinds(db, claim, terms)
    if missing:
        ct = claim_type_of(terms, claim.claim_type)
        names = {item.kind: item.name for item in ct.documents}
        named = [names.get(k, Text(k, k)) for k in missing]
        raise DocumentsMissing(
            "Some required documents are missing: " + ", ".join(n.en for n in named) + ".",
            "还缺少以下必需材料：" + "、".join(n.zh for n in named) + "。",
            errors={"missing": missing},
        )
    policy = db.get(Policy, claim.policy_id)
    assert policy is not None
    _check_dates(terms, policy, claim.service_start, claim.service_end, filed_at=claim.submitted_at)
    result = run_engine(
        terms,
        claim_type_of(terms, claim.claim_type),
        policy.tier,
        claim.expenses,
        year_to_date(db, policy.id),
    )
    claim.estimate_fen = result.total_payout_fen
    first = claim.submitted_at is None
    change_status(db, claim, Action.SUBMIT, ActorKind.MEMBER, member.id)
    if first:  # now filed: its files count as duplicates of other claims' (and theirs of its)
        docs = documents_of(db, claim.id)
        lock_content(db, *[d.sha256 for d in docs], *[d.thumbnail_sha256 for d in docs])
        refresh_shared(db, *[d.sha256 for d in docs])
    return claim


def withdraw(db: Session, member: Member, claim_id: str) -> Claim:
    claim = get_claim(db, member, claim_id, lock=True)
    change_status(db, claim, Action.WITHDRAW, ActorKind.MEMBER, member.id)
    return claim
