"""E-policy certificate (member: HTML and PDF), staff verification, cancellation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response
from flask.views import MethodView
from sqlalchemy import select

from app.core import clock
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.errors import NotFound
from app.core.security import current_member, member_required, staff_required
from app.enrollment import service
from app.enrollment.certificate import CertificateData, render_html, render_pdf
from app.enrollment.models import InsuredPerson, Policy
from app.enrollment.schemas import RefundOut, VerifyArgs, VerifyOut
from app.identity.masking import mask_id_number, mask_name
from app.payments import refunds
from app.plans.models import Plan
from app.rules.explain import TIER_NAMES
from app.rules.terms import Tier

pages = FlaskBlueprint("certificates", __name__)
blp = Blueprint("policies", __name__, url_prefix="/api/v1", description="Policies.")

STATUS_TEXT = {
    "pending_start": ("待生效", "pending start"),
    "active": ("保障中", "active"),
    "expired": ("已到期", "expired"),
    "cancelled": ("已退保", "cancelled"),
}


def _mine(policy_id: str) -> tuple[Policy, Plan, InsuredPerson]:
    db = get_session()
    policy = db.get(Policy, policy_id)
    if policy is None or policy.member_id != current_member().id:
        raise NotFound("No such policy.", "未找到该保单。", code="policy_not_found")
    plan = db.get(Plan, policy.plan_id)
    person = db.get(InsuredPerson, policy.person_id)
    assert plan is not None and person is not None
    return policy, plan, person


def certificate_data(policy: Policy, plan: Plan, person: InsuredPerson) -> CertificateData:
    status = service.policy_status(policy, clock.today(plan.timezone))
    tier = TIER_NAMES[Tier(policy.tier)]
    return CertificateData(
        policy_number=policy.policy_number,
        verification_code=policy.verification_code,
        plan_name_zh=plan.name_zh,
        plan_name_en=plan.name_en,
        insured_name_masked=mask_name(person.name),
        insured_id_masked=mask_id_number(person.id_number),
        tier_zh=tier.zh,
        tier_en=tier.en,
        premium_fen=policy.premium_fen,
        coverage_start=policy.coverage_start.isoformat(),
        coverage_end=policy.coverage_end.isoformat(),
        status_zh=STATUS_TEXT[status][0],
        status_en=STATUS_TEXT[status][1],
        issued_at=policy.issued_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


@pages.get("/policies/<string:policy_id>/certificate")
@member_required
def certificate_page(policy_id: str) -> Response:
    data = certificate_data(*_mine(policy_id))
    response = Response(
        render_html(data, f"/policies/{policy_id}/certificate.pdf"), mimetype="text/html"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@pages.get("/policies/<string:policy_id>/certificate.pdf")
@member_required
def certificate_pdf(policy_id: str) -> Response:
    data = certificate_data(*_mine(policy_id))
    response = Response(render_pdf(data), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="policy-{data.policy_number}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/me/policies/<string:policy_id>/cancel")
class CancelPolicy(MethodView):
    @blp.response(200, RefundOut)
    @member_required
    def post(self, policy_id: str) -> dict[str, Any]:
        """Cancel before cover starts: full refund through the original payment method."""
        refund = refunds.cancel_policy(get_session(), current_member(), policy_id)
        return {
            "id": refund.id,
            "policy_id": refund.policy_id,
            "amount_fen": refund.amount_fen,
            "status": refund.status,
        }


@blp.route("/staff/policies/verify")
class VerifyPolicy(MethodView):
    @blp.arguments(VerifyArgs, location="query")
    @blp.response(200, VerifyOut)
    @staff_required("reviewer", "admin")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Check an e-policy: its number and verification code (staff)."""
        db = get_session()
        policy = db.scalar(select(Policy).where(Policy.policy_number == args["policy_number"]))
        if policy is None or not _same(policy.verification_code, args["code"]):
            return {"valid": False, "policy_number": args["policy_number"]}
        plan = db.get(Plan, policy.plan_id)
        person = db.get(InsuredPerson, policy.person_id)
        assert plan is not None and person is not None
        return {
            "valid": True,
            "policy_number": policy.policy_number,
            "plan_code": plan.code,
            "plan_year": policy.plan_year,
            "insured_name_masked": mask_name(person.name),
            "insured_id_masked": mask_id_number(person.id_number),
            "coverage_start": policy.coverage_start,
            "coverage_end": policy.coverage_end,
            "status": service.policy_status(policy, clock.today(plan.timezone)),
        }


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.upper(), b.strip().upper())
