"""Public plan endpoints (no login): terms, quotes, tier checks, payout estimates."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.core import clock
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import public
from app.plans import presenters, service
from app.plans.schemas import (
    EstimateIn,
    EstimateOut,
    PlanOut,
    PlanSummaryOut,
    QuoteIn,
    QuoteOut,
    TierCheckIn,
    TierCheckOut,
)

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/v1/plans",
    description="Plan-year terms and the figures members can check before enrolling.",
)


def _plan(code: str) -> tuple[Any, Any]:
    plan = service.get_plan(get_session(), code)
    return plan, service.terms_of(plan)


@blp.route("")
class Plans(MethodView):
    @blp.response(200, PlanSummaryOut(many=True))
    @public
    def get(self) -> list[dict[str, Any]]:
        """Every plan (latest published version of each code), in window order."""
        now = clock.now()
        return [
            presenters.plan_summary(p, p.terms, now, service.terms_of(p))
            for p in service.list_plans(get_session())
        ]


@blp.route("/current")
class CurrentPlan(MethodView):
    @blp.response(200, PlanOut)
    @public
    def get(self) -> dict[str, Any]:
        """The plan whose enrollment window is open now, else the next to open (404 if none)."""
        plan = service.current_plan(get_session())
        return presenters.plan_detail(plan, clock.now(), service.terms_of(plan))


@blp.route("/<string:code>")
class PlanDetail(MethodView):
    @blp.response(200, PlanOut)
    @public
    def get(self, code: str) -> dict[str, Any]:
        """A plan's terms as members need them."""
        plan, terms = _plan(code)
        return presenters.plan_detail(plan, clock.now(), terms)


@blp.route("/<string:code>/quotes")
class Quotes(MethodView):
    @blp.arguments(QuoteIn)
    @blp.response(200, QuoteOut)
    @public
    def post(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """Premium per person (by birth date) and the total, with the rule that gave each."""
        _plan_row, terms = _plan(code)
        result = service.quote(terms, [p["birth_date"] for p in body["people"]])
        return {
            "people": [presenters.premium_quote(q) for q in result.people],
            "total_fen": result.total_fen,
        }


@blp.route("/<string:code>/tier-check")
class TierCheck(MethodView):
    @blp.arguments(TierCheckIn)
    @blp.response(200, TierCheckOut)
    @public
    def post(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """The coverage tier for a health declaration (no enrollment history: a first year)."""
        _plan_row, terms = _plan(code)
        return presenters.tier_result(service.tier_check(terms, body["declared_conditions"]))


@blp.route("/<string:code>/estimates")
class Estimates(MethodView):
    @blp.arguments(EstimateIn)
    @blp.response(200, EstimateOut)
    @public
    def post(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """What a bill would pay out, step by step (the engine the adjudication uses)."""
        _plan_row, terms = _plan(code)
        result = service.estimate(terms, body["tier"], body["expenses"], body.get("year_to_date"))
        return presenters.payout_result(result)
