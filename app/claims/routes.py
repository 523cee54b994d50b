"""The member's claims: file, upload documents, submit, withdraw, follow.

Every lookup is scoped to the logged-in member: another member's claim or document is 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from app.claims import files, service, views
from app.claims.schemas import (
    ClaimEstimateIn,
    ClaimEstimateOut,
    ClaimIn,
    ClaimListOut,
    ClaimOptionsOut,
    ClaimOut,
    ClaimPatchIn,
    DocumentOut,
    FileQuery,
    UploadQuery,
)
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_member, member_required
from app.enrollment import service as enrollment

blp = Blueprint("claims", __name__, url_prefix="/api/v1/claims", description="Member claims.")


def _detail(claim_id: str) -> dict[str, Any]:
    db = get_session()
    return views.detail(db, service.get_claim(db, current_member(), claim_id))


@blp.route("/options")
class ClaimOptions(MethodView):
    @blp.response(200, ClaimOptionsOut)
    @member_required
    def get(self) -> dict[str, Any]:
        """Who can claim (persons whose cover has started) and, per plan, the claim types
        with their liabilities, document checklists and special drugs."""
        db = get_session()
        return views.options(db, enrollment.list_persons(db, current_member()))


@blp.route("/estimate")
class ClaimEstimate(MethodView):
    @blp.arguments(ClaimEstimateIn)
    @blp.response(200, ClaimEstimateOut)
    @member_required
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The live estimate for this person's tier and year to date (nothing is stored)."""
        db = get_session()
        ctx = service.estimate_for(
            db,
            current_member(),
            body["person_id"],
            body["claim_type"],
            body["expenses"],
            body.get("policy_id"),
        )
        claimed = sum(e["amount_fen"] for e in body["expenses"])
        return views.estimate_view(ctx.terms, ctx.result, claimed, ctx.ytd)


@blp.route("")
class Claims(MethodView):
    @blp.response(200, ClaimListOut)
    @member_required
    def get(self) -> dict[str, Any]:
        """The member's claims, newest first."""
        db = get_session()
        return {"items": [views.summary(db, c) for c in service.list_claims(db, current_member())]}

    @blp.arguments(ClaimIn)
    @blp.response(201, ClaimOut)
    @member_required
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start a claim (a draft) for an insured person whose cover has started."""
        db = get_session()
        claim = service.create_claim(db, current_member(), body)
        return views.detail(db, claim)


@blp.route("/<string(length=26):claim_id>")
class ClaimItem(MethodView):
    @blp.response(200, ClaimOut)
    @member_required
    def get(self, claim_id: str) -> dict[str, Any]:
        """The claim with its documents, checklist, timeline, SLA dates and decision."""
        return _detail(claim_id)

    @blp.arguments(ClaimPatchIn)
    @blp.response(200, ClaimOut)
    @member_required
    def patch(self, body: dict[str, Any], claim_id: str) -> dict[str, Any]:
        """Change a draft (or a claim waiting for more documents)."""
        db = get_session()
        claim = service.update_claim(db, current_member(), claim_id, body)
        return views.detail(db, claim)


@blp.route("/<string(length=26):claim_id>/documents")
class ClaimDocuments(MethodView):
    @blp.arguments(UploadQuery, location="query")
    @blp.response(201, DocumentOut)
    @blp.alt_response(200, schema=DocumentOut, description="The same file is already here.")
    @blp.doc(**files.UPLOAD_DOC)
    @member_required
    def post(self, query: dict[str, Any], claim_id: str) -> Response:
        """Upload one file (the raw body): JPEG, PNG, HEIC/HEIF or PDF, at most 15 MB."""
        db = get_session()
        claim = service.get_claim(db, current_member(), claim_id, lock=True)
        upload = files.receive(db, claim, query["kind"], query.get("filename"), "member")
        body = views.document_view(
            db, claim, upload.document, _kind_names(db, claim), "/api/v1/claims", False
        )
        return make_response(DocumentOut().dump(body), 201 if upload.created else 200)


def _kind_names(db: Any, claim: Any) -> dict[str, Any]:
    _, terms = service.plan_terms(db, claim.plan_id)
    return {i.kind: i.name for i in service.claim_type_of(terms, claim.claim_type).documents}


@blp.route("/<string(length=26):claim_id>/documents/<document_id>")
class ClaimDocumentItem(MethodView):
    @blp.response(204)
    @member_required
    def delete(self, claim_id: str, document_id: str) -> Response:
        """Remove a file (while the claim is a draft or waiting for more documents)."""
        service.delete_document(
            get_session(), files.storage(), current_member(), claim_id, document_id
        )
        return make_response("", 204)


@blp.route("/<string(length=26):claim_id>/documents/<document_id>/file")
class ClaimDocumentFile(MethodView):
    @blp.arguments(FileQuery, location="query")
    @blp.doc(**files.FILE_DOC)
    @member_required
    def get(self, query: dict[str, Any], claim_id: str, document_id: str) -> Response:
        """The file (or its thumbnail), only to the member who filed the claim."""
        db = get_session()
        claim = service.get_claim(db, current_member(), claim_id)
        return files.send(service.get_document(db, claim, document_id), query.get("variant"))


@blp.route("/<string(length=26):claim_id>/submit")
class ClaimSubmit(MethodView):
    @blp.response(200, ClaimOut)
    @member_required
    def post(self, claim_id: str) -> dict[str, Any]:
        """Submit (or resubmit after more documents were asked for); 422 lists what is
        missing."""
        service.submit(get_session(), current_member(), claim_id)
        return _detail(claim_id)


@blp.route("/<string(length=26):claim_id>/withdraw")
class ClaimWithdraw(MethodView):
    @blp.response(200, ClaimOut)
    @member_required
    def post(self, claim_id: str) -> dict[str, Any]:
        """Withdraw the claim (before a decision)."""
        service.withdraw(get_session(), current_member(), claim_id)
        return _detail(claim_id)
