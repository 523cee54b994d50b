"""Staff review of claims: queue, detail, actions, documents. Views of a claim's personal
data or of a document are written to the audit log."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from sqlalchemy import select

from app.auth.models import StaffUser
from app.claims import files, review, service, views, workflow
from app.claims.schemas import (
    ApproveIn,
    AuditListOut,
    AuditQuery,
    FileQuery,
    MarkPaidIn,
    QueueQuery,
    RejectIn,
    RejectReasonOut,
    RequestInfoIn,
    StaffClaimOut,
    StaffQueueOut,
)
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_staff, staff_required
from app.plans.presenters import text

blp = Blueprint("staff_claims", __name__, url_prefix="/api/v1/staff", description="Claim review.")
REVIEWERS = ("reviewer", "admin")


def _audit(action: str, object_type: str, object_id: str, claim_id: str | None) -> None:
    review.audit(
        get_session(),
        current_staff(),
        action,
        object_type,
        object_id,
        claim_id,
        ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
    )


def _detail(claim_id: str) -> dict[str, Any]:
    db = get_session()
    claim = review.get_claim(db, claim_id)
    _audit("view_claim", "claim", claim.id, claim.id)
    return views.detail(db, claim, staff=True, actor=review.actor_kind(current_staff()))


@blp.route("/claims")
class Queue(MethodView):
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, StaffQueueOut)
    @staff_required(*REVIEWERS)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Filed claims, the most urgent SLA first; filters and pages."""
        db = get_session()
        flt = review.QueueFilter(
            status=query.get("status"),
            plan=query.get("plan"),
            claim_type=query.get("claim_type"),
            sla_due_before=query.get("sla_due_before"),
            overdue=query.get("overdue"),
            duplicate=query.get("duplicate"),
        )
        rows, total = review.queue(db, flt, query["page"], query["per_page"])
        flagged = service.flagged_claims(db, [c.id for c in rows])
        for c in rows:  # the queue shows each person's name: audited like the detail
            _audit("list_claim", "claim", c.id, c.id)
        return {
            "items": [views.staff_summary(db, c, c.id in flagged) for c in rows],
            "page": query["page"],
            "per_page": query["per_page"],
            "total": total,
        }


@blp.route("/claims/<claim_id>")
class StaffClaim(MethodView):
    @blp.response(200, StaffClaimOut)
    @staff_required(*REVIEWERS)
    def get(self, claim_id: str) -> dict[str, Any]:
        """The claim with the person's data, documents (with duplicates), the member's
        estimate and the year to date (audited)."""
        return _detail(claim_id)


@blp.route("/claims/<claim_id>/documents/<document_id>/file")
class StaffDocumentFile(MethodView):
    @blp.arguments(FileQuery, location="query")
    @blp.doc(**files.FILE_DOC)
    @staff_required(*REVIEWERS)
    def get(self, query: dict[str, Any], claim_id: str, document_id: str) -> Response:
        """A document of the claim (audited)."""
        db = get_session()
        claim = review.get_claim(db, claim_id)
        doc = service.get_document(db, claim, document_id)
        response = files.send(doc, query.get("variant"))
        _audit("view_document", "document", doc.id, claim.id)
        return response


def _action(claim_id: str) -> dict[str, Any]:
    """The claim after an action: it shows the person's data too, so it is audited."""
    db = get_session()
    actor = review.actor_kind(current_staff())
    claim = review.get_claim(db, claim_id)
    _audit("view_claim", "claim", claim.id, claim.id)
    return views.detail(db, claim, staff=True, actor=actor)


@blp.route("/claims/<claim_id>/start-review")
class StartReview(MethodView):
    @blp.response(200, StaffClaimOut)
    @staff_required(*REVIEWERS)
    def post(self, claim_id: str) -> dict[str, Any]:
        """Take a submitted claim into review."""
        review.start_review(get_session(), current_staff(), claim_id)
        return _action(claim_id)


@blp.route("/claims/<claim_id>/request-info")
class RequestInfo(MethodView):
    @blp.arguments(RequestInfoIn)
    @blp.response(200, StaffClaimOut)
    @staff_required(*REVIEWERS)
    def post(self, body: dict[str, Any], claim_id: str) -> dict[str, Any]:
        """Ask the member for more documents (the kinds from the checklist, and a note)."""
        review.request_info(get_session(), current_staff(), claim_id, body["kinds"], body["note"])
        return _action(claim_id)


@blp.route("/claims/<claim_id>/approve")
class Approve(MethodView):
    @blp.arguments(ApproveIn)
    @blp.response(200, StaffClaimOut)
    @staff_required(*REVIEWERS)
    def post(self, body: dict[str, Any], claim_id: str) -> dict[str, Any]:
        """Approve with the verified amounts: the engine adjudicates and the person's year
        to date moves in the same transaction."""
        review.approve(get_session(), current_staff(), claim_id, body["expenses"])
        return _action(claim_id)


@blp.route("/claims/<claim_id>/reject")
class Reject(MethodView):
    @blp.arguments(RejectIn)
    @blp.response(200, StaffClaimOut)
    @staff_required(*REVIEWERS)
    def post(self, body: dict[str, Any], claim_id: str) -> dict[str, Any]:
        """Reject with a reason code (`other` needs a detail)."""
        review.reject(get_session(), current_staff(), claim_id, body["reason"], body.get("detail"))
        return _action(claim_id)


@blp.route("/claims/<claim_id>/mark-paid")
class MarkPaid(MethodView):
    @blp.arguments(MarkPaidIn)
    @blp.response(200, StaffClaimOut)
    @staff_required("admin")
    def post(self, body: dict[str, Any], claim_id: str) -> dict[str, Any]:
        """Record the bank transfer of an approved claim (admins)."""
        review.mark_paid(get_session(), current_staff(), claim_id, body["bank_reference"])
        return _action(claim_id)


@blp.route("/reject-reasons")
class RejectReasons(MethodView):
    @blp.response(200, RejectReasonOut(many=True))
    @staff_required(*REVIEWERS)
    def get(self) -> list[dict[str, Any]]:
        """The reject reason codes with the sentence the member reads."""
        return [
            {"code": code.value, "text": text(workflow.REJECT_REASON_TEXTS[code])}
            for code in workflow.RejectReason
        ]


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditListOut)
    @staff_required("admin")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Who looked at which claim or document, newest first (admins)."""
        db = get_session()
        rows, total = review.audit_log(
            db, query.get("claim_id"), query.get("staff_id"), query["page"], query["per_page"]
        )
        names = dict(
            db.execute(
                select(StaffUser.id, StaffUser.username).where(
                    StaffUser.id.in_({r.staff_id for r in rows})
                )
            ).all()
        )
        return {
            "items": [
                {
                    "id": r.id,
                    "at": r.at,
                    "staff_id": r.staff_id,
                    "staff_username": names.get(r.staff_id, ""),
                    "action": r.action,
                    "object_type": r.object_type,
                    "object_id": r.object_id,
                    "claim_id": r.claim_id,
                    "ip": r.ip,
                }
                for r in rows
            ],
            "page": query["page"],
            "per_page": query["per_page"],
            "total": total,
        }
