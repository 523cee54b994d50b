"""The member's family, health declarations, orders and policies."""

from __future__ import annotations

from typing import Any

from flask import jsonify, make_response
from flask.views import MethodView
from sqlalchemy.orm import Session

from app.core import clock
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_member, member_required
from app.enrollment import idempotency, service
from app.enrollment.models import HealthDeclaration, InsuredPerson, Order, Policy
from app.enrollment.schemas import (
    DeclarationIn,
    DeclarationOut,
    FamilyPersonIn,
    FamilyPersonOut,
    IdempotencyHeader,
    OrderIn,
    OrderOut,
    PolicyOut,
    RenewalIn,
)
from app.payments.models import Payment
from app.plans.models import Plan

blp = Blueprint("enrollment", __name__, url_prefix="/api/v1", description="Family enrollment.")


def declaration_view(row: HealthDeclaration, plan_code: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "person_id": row.person_id,
        "plan_code": plan_code,
        "tier": row.tier,
        "reasons": row.reasons,
        "created_at": row.created_at,
    }


def order_view(db: Session, order: Order) -> dict[str, Any]:
    plan = db.get(Plan, order.plan_id)
    payments = db.query(Payment).filter(Payment.order_id == order.id).order_by(Payment.created_at)
    return {
        "id": order.id,
        "plan_code": plan.code if plan else "",
        "status": order.status,
        "total_fen": order.total_fen,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
        "lines": [
            {
                "person_id": line.person_id,
                "tier": line.tier,
                "premium_fen": line.premium_fen,
                "premium_rule": line.premium_rule,
                "state": line.state,
            }
            for line in order.lines
        ],
        "payments": [payment_view(p) for p in payments],
    }


def payment_view(p: Payment) -> dict[str, Any]:
    return {
        "id": p.id,
        "provider": p.provider,
        "channel": p.channel,
        "out_trade_no": p.out_trade_no,
        "amount_fen": p.amount_fen,
        "status": p.status,
        "paid_at": p.paid_at,
    }


@blp.route("/me/persons")
class Persons(MethodView):
    @blp.response(200, FamilyPersonOut(many=True))
    @member_required
    def get(self) -> list[dict[str, Any]]:
        """The member's family members (the member first, once verified)."""
        return [
            service.person_view(p) for p in service.list_persons(get_session(), current_member())
        ]

    @blp.arguments(FamilyPersonIn)
    @blp.response(201, FamilyPersonOut)
    @member_required
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a family member: name + ID, checked against the BMI roster."""
        person = service.add_person(
            get_session(),
            current_member(),
            body["relation"],
            body.get("name", ""),
            body.get("id_number", ""),
            body["guardian_consent"],
        )
        return service.person_view(person)


@blp.route("/me/persons/<string:person_id>/guardian-consent")
class GuardianConsent(MethodView):
    @blp.response(200, FamilyPersonOut)
    @member_required
    def post(self, person_id: str) -> dict[str, Any]:
        """Record the guardian's consent for a child (needed under 14 at the cover start)."""
        person = service.grant_guardian_consent(get_session(), current_member(), person_id)
        return service.person_view(person)


@blp.route("/me/persons/<string:person_id>/declarations")
class Declarations(MethodView):
    @blp.arguments(DeclarationIn)
    @blp.response(201, DeclarationOut)
    @member_required
    def post(self, body: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Answer the plan's condition list for a person; the tier and its reasons."""
        row = service.declare(
            get_session(),
            current_member(),
            person_id,
            body["plan_code"],
            body["answers"],
            body["health_consent"],
        )
        return declaration_view(row, body["plan_code"])


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(OrderIn)
    @blp.response(201, OrderOut)
    @member_required
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Any:
        """Order cover for persons of the member (Idempotency-Key header honoured)."""
        db = get_session()
        member = current_member()

        def work() -> tuple[int, dict[str, Any]]:
            order = service.create_order(db, member, body["plan_code"], body["persons"])
            return 201, OrderOut().dump(order_view(db, order))

        status, result, replayed = idempotency.run(
            db, member.id, headers.get("idempotency_key"), body, work
        )
        response = make_response(jsonify(result), status)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response


@blp.route("/renewals")
class Renewal(MethodView):
    @blp.arguments(RenewalIn)
    @blp.response(201, OrderOut)
    @member_required
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Re-enroll last year's persons in one step (the chain is kept if the years join)."""
        db = get_session()
        return order_view(db, service.renew(db, current_member(), body["plan_code"]))


@blp.route("/orders/<string:order_id>")
class OrderDetail(MethodView):
    @blp.response(200, OrderOut)
    @member_required
    def get(self, order_id: str) -> dict[str, Any]:
        """An order; while unpaid, the provider is asked (a notice may be late)."""
        db = get_session()
        order = service.get_order(db, current_member(), order_id)
        if order.status == "pending":
            from app.payments import service as payments

            payments.reconcile(db, order)
            db.refresh(order)
        return order_view(db, order)


@blp.route("/me/policies")
class Policies(MethodView):
    @blp.response(200, PolicyOut(many=True))
    @member_required
    def get(self) -> list[dict[str, Any]]:
        """The member's policies, each person's tier and premium, and the status today."""
        db = get_session()
        member = current_member()
        out = []
        for policy in service.list_policies(db, member):
            plan = db.get(Plan, policy.plan_id)
            person = db.get(InsuredPerson, policy.person_id)
            today = clock.today(plan.timezone if plan else "Asia/Shanghai")
            out.append(policy_view(policy, plan, person, today))
        return out


def policy_view(policy: Policy, plan: Any, person: Any, today: Any) -> dict[str, Any]:
    return {
        "id": policy.id,
        "policy_number": policy.policy_number,
        "plan_code": plan.code if plan else "",
        "plan_year": policy.plan_year,
        "person": service.person_view(person),
        "tier": policy.tier,
        "premium_fen": policy.premium_fen,
        "coverage_start": policy.coverage_start,
        "coverage_end": policy.coverage_end,
        "status": service.policy_status(policy, today),
        "verification_code": policy.verification_code,
        "certificate_url": f"/policies/{policy.id}/certificate",
        "cancellable": service.policy_status(policy, today) == "pending_start",
    }
