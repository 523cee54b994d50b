"""Claims as the member and the staff see them (plain dicts for the schemas)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.claims import service, workflow
from app.claims.models import Claim, ClaimDocument
from app.claims.sla import SlaClocks
from app.claims.workflow import ActorKind, RejectReason, Status
from app.core import clock
from app.enrollment.models import InsuredPerson, Policy
from app.identity.masking import mask_id_number, mask_name
from app.plans import presenters
from app.plans.models import Plan
from app.rules.payout import PayoutResult, YearToDate
from app.rules.terms import Terms, Text

text = presenters.text


def estimate_view(
    terms: Terms, result: PayoutResult, claimed_fen: int, ytd: YearToDate
) -> dict[str, Any]:
    out = presenters.payout_result(result)
    return {
        **out,
        "lines": [_line(terms, line, result) for line in out["lines"]],
        "claimed_fen": claimed_fen,
        "year_to_date": service.ytd_view(ytd),
    }


def _line(terms: Terms, line: dict[str, Any], result: PayoutResult) -> dict[str, Any]:
    liability = terms.liability(line["liability"])
    steps = next((pl.steps for pl in result.lines if pl.liability == line["liability"]), ())
    return {
        **line,
        "liability_name": text(liability.name) if liability else {"zh": "", "en": ""},
        "steps": [presenters.step(s) for s in steps],
    }


def decision_view(terms: Terms, decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored adjudication, with liability names (steps per line are in `steps`)."""
    if decision is None:
        return None
    lines = []
    for line in decision.get("lines", []):
        liability = terms.liability(line["liability"])
        lines.append(
            {
                **line,
                "liability_name": text(liability.name) if liability else {"zh": "", "en": ""},
                "steps": [
                    s for s in decision.get("steps", []) if s.get("liability") == line["liability"]
                ],
            }
        )
    return {**decision, "lines": lines}


def sla_view(clk: SlaClocks) -> dict[str, Any]:
    return {
        "decision_state": clk.decision_state.value,
        "decision_due_at": clk.decision_due_at,
        "decision_days_left": clk.decision_days_left,
        "decision_overdue": clk.decision_overdue,
        "payment_state": clk.payment_state.value,
        "payment_due_at": clk.payment_due_at,
        "payment_days_left": clk.payment_days_left,
        "payment_overdue": clk.payment_overdue,
        "decided_late": clk.decided_late,
        "paid_late": clk.paid_late,
    }


def _plan(db: Session, claim: Claim) -> tuple[Plan, Terms]:
    return service.plan_terms(db, claim.plan_id)


def summary(db: Session, claim: Claim) -> dict[str, Any]:
    plan, terms = _plan(db, claim)
    person = db.get(InsuredPerson, claim.person_id)
    assert person is not None
    claim_type = next((t for t in terms.claim_types if t.code == claim.claim_type), None)
    return {
        "id": claim.id,
        "claim_number": claim.claim_number,
        "status": claim.status,
        "status_name": text(workflow.STATUS_NAMES[Status(claim.status)]),
        "claim_type": claim.claim_type,
        "claim_type_name": text(claim_type.name) if claim_type else {"zh": "", "en": ""},
        "person": {
            "person_id": person.id,
            "name_masked": mask_name(person.name),
            "relation": person.relation,
        },
        "plan_code": plan.code,
        "service_start": claim.service_start,
        "service_end": claim.service_end,
        "claimed_fen": claim.claimed_fen,
        "estimate_fen": claim.estimate_fen,
        "payout_fen": claim.payout_fen,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
    }


def document_view(
    db: Session, claim: Claim, doc: ClaimDocument, names: dict[str, Text], base: str, staff: bool
) -> dict[str, Any]:
    url = f"{base}/{claim.id}/documents/{doc.id}/file"
    out: dict[str, Any] = {
        "id": doc.id,
        "kind": doc.kind,
        "kind_name": text(names.get(doc.kind, Text(doc.kind, doc.kind))),
        "content_type": doc.content_type,
        "size_bytes": doc.size_bytes,
        "filename": doc.filename,
        "width": doc.width,
        "height": doc.height,
        "pages": doc.pages,
        "has_thumbnail": doc.thumbnail_sha256 is not None,
        "uploaded_by": doc.uploaded_by,
        "uploaded_at": doc.uploaded_at,
        "url": url,
        "thumbnail_url": f"{url}?variant=thumbnail" if doc.thumbnail_sha256 else None,
    }
    if staff:
        out["duplicate_of"] = [
            {"claim_id": c.id, "claim_number": c.claim_number}
            for c in service.duplicates_of(db, doc)
        ]
    return out


def detail(
    db: Session, claim: Claim, *, staff: bool = False, actor: ActorKind | None = None
) -> dict[str, Any]:
    """The claim as the member (or, with `staff`, a reviewer) sees it; `allowed_actions`
    are those of `actor` (the member, or the staff user's own kind: only admins mark paid)."""
    _, terms = _plan(db, claim)
    person = db.get(InsuredPerson, claim.person_id)
    policy = db.get(Policy, claim.policy_id)
    assert person is not None and policy is not None
    claim_type = service.claim_type_of(terms, claim.claim_type)
    minor = service.is_minor(person, claim.service_start)
    docs = service.documents_of(db, claim.id)
    names = {item.kind: item.name for item in claim_type.documents}
    counts: dict[str, int] = {}
    for doc in docs:
        counts[doc.kind] = counts.get(doc.kind, 0) + 1
    items = service.checklist(claim_type, minor)
    missing = service.missing_kinds(db, claim, terms)
    ytd = service.year_to_date(db, policy.id)
    estimate = None
    if Status(claim.status) not in workflow.DECIDED_STATUSES:
        # the live estimate: this person's tier and year to date now
        result = service.run_engine(terms, claim_type, policy.tier, claim.expenses, ytd)
        estimate = estimate_view(terms, result, claim.claimed_fen, ytd)
    events = service.events_of(db, claim.id)
    staff_names = _staff_names(db, events) if staff else {}
    reject = None
    if claim.reject_reason:
        reject = {
            "code": claim.reject_reason,
            "text": text(
                workflow.reject_reason_text(RejectReason(claim.reject_reason), claim.reject_detail)
            ),
        }
    base = "/api/v1/staff/claims" if staff else "/api/v1/claims"
    if actor is None:
        actor = ActorKind.ADMIN if staff else ActorKind.MEMBER
    out = {
        **summary(db, claim),
        "policy_id": claim.policy_id,
        "hospital": claim.hospital,
        "expenses": claim.expenses,
        "estimate": estimate,
        "documents": [document_view(db, claim, d, names, base, staff) for d in docs],
        "checklist": [
            {
                "kind": item.kind,
                "name": text(item.name),
                "required": item.required,
                "when": item.when,
                "count": counts.get(item.kind, 0),
            }
            for item in items
        ],
        "missing": missing,
        "timeline": [_timeline_entry(e, staff_names if staff else None) for e in events],
        "sla": sla_view(service.clocks(db, claim)),
        "decision": decision_view(terms, claim.decision),
        "reject_reason": reject,
        "info_request": claim.info_request,
        "bank_reference": claim.bank_reference,
        "allowed_actions": service.allowed_actions(claim, actor),
        "submitted_at": claim.submitted_at,
        "decided_at": claim.decided_at,
        "paid_at": claim.paid_at,
    }
    if staff:
        member_estimate = estimate
        snapshot = (claim.decision or {}).get("member_estimate")
        if member_estimate is None and snapshot is not None:
            # approved: the member's figures as they stood at the approval
            member_estimate = {**decision_view(terms, snapshot), "claimed_fen": claim.claimed_fen}
        elif member_estimate is None and claim.status == Status.REJECTED.value:
            # rejected: what the member's figures would pay with the person's year now
            # (an approval from before snapshots were kept shows none: the year to date
            # now includes its own payout)
            result = service.run_engine(terms, claim_type, policy.tier, claim.expenses, ytd)
            member_estimate = estimate_view(terms, result, claim.claimed_fen, ytd)
        out.update(
            {
                "person": {
                    "person_id": person.id,
                    "name_masked": mask_name(person.name),
                    "name": person.name,
                    "id_number_masked": mask_id_number(person.id_number),
                    "relation": person.relation,
                    "birth_date": person.birth_date,
                    "tier": policy.tier,
                    "minor": minor,
                },
                "duplicate_flag": service.has_duplicates(db, claim.id),
                "member_estimate": member_estimate,
                "year_to_date": service.ytd_view(ytd),
                "verified_expenses": claim.verified_expenses,
            }
        )
    return out


def _staff_names(db: Session, events: list[workflow.Event]) -> dict[str, str]:
    """Display names of the staff users who acted on the claim (told to staff only)."""
    ids = {e.actor_id for e in events if e.actor_id and e.actor_kind is not ActorKind.MEMBER}
    if not ids:
        return {}
    rows = db.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def _timeline_entry(e: workflow.Event, staff_names: dict[str, str] | None) -> dict[str, Any]:
    """One timeline entry; with `staff_names` (staff only) the acting staff user is named.
    The member is told who acted by kind only ("a reviewer"), never by name."""
    out: dict[str, Any] = {
        "at": e.at,
        "actor_kind": e.actor_kind.value,
        "action": e.action.value,
        "from_status": e.from_status.value,
        "to_status": e.to_status.value,
        "reason": text(e.reason) if e.reason else None,
    }
    if staff_names is None:
        out["text"] = text(workflow.timeline_text(e))
        return out
    name = staff_names.get(e.actor_id or "") if e.actor_kind is not ActorKind.MEMBER else None
    out["text"] = text(workflow.staff_timeline_text(e, name))
    out["actor_id"] = e.actor_id if e.actor_kind is not ActorKind.MEMBER else None
    out["actor_name"] = name
    return out


def staff_summary(db: Session, claim: Claim, flagged: bool) -> dict[str, Any]:
    out = summary(db, claim)
    person = db.get(InsuredPerson, claim.person_id)
    assert person is not None
    return {
        **out,
        "person": {**out["person"], "name": person.name},
        "duplicate_flag": flagged,
        "sla": sla_view(service.clocks(db, claim)),
        "sla_due_at": claim.sla_due_at,
    }


def options(db: Session, persons: list[InsuredPerson]) -> dict[str, Any]:
    today = clock.today("Asia/Shanghai")
    out_persons = []
    plans: dict[str, Any] = {}
    for person in persons:
        refs = []
        for policy in service.claimable_policies(db, person, today):
            plan, terms = service.plan_terms(db, policy.plan_id)
            refs.append(
                {
                    "policy_id": policy.id,
                    "policy_number": policy.policy_number,
                    "plan_code": plan.code,
                    "plan_name": text(terms.name),
                    "coverage_start": policy.coverage_start,
                    "coverage_end": policy.coverage_end,
                    "tier": policy.tier,
                }
            )
            if plan.code not in plans:
                plans[plan.code] = plan_info(terms)
        if refs:
            out_persons.append(
                {
                    "person_id": person.id,
                    "name_masked": mask_name(person.name),
                    "relation": person.relation,
                    "minor": service.is_minor(person, today),
                    "policies": refs,
                }
            )
    return {"persons": out_persons, "plans": plans}


def plan_info(terms: Terms) -> dict[str, Any]:
    return {
        "plan_name": text(terms.name),
        "claim_types": [
            {
                "code": ct.code,
                "name": text(ct.name),
                "liabilities": [
                    {
                        "code": code,
                        "name": text(lia.name),
                        "drug_list_only": lia.drug_list_only,
                    }
                    for code in ct.liabilities
                    if (lia := terms.liability(code)) is not None
                ],
                "documents": [
                    {
                        "kind": item.kind,
                        "name": text(item.name),
                        "required": item.required,
                        "when": item.when,
                    }
                    for item in ct.documents
                ],
            }
            for ct in terms.claim_types
        ],
        "special_drugs": [
            {"code": d.code, "generic_name": text(d.generic_name), "brand": text(d.brand)}
            for d in terms.special_drugs
        ],
        "filing_deadline_years": terms.claim_deadline_years,
    }
