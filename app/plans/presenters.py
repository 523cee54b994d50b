"""Turn plans and engine results into the API's plain data (serialized by the schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.plans.models import Plan
from app.rules import calendar
from app.rules.explain import TIER_NAMES, Step
from app.rules.payout import PayoutResult
from app.rules.pricing import PremiumQuote
from app.rules.terms import TIERS, Text
from app.rules.tier import TierResult

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def text(value: Text) -> dict[str, str]:
    return {"zh": value.zh, "en": value.en}


def step(value: Step) -> dict[str, Any]:
    return value.as_dict()


def plan_summary(
    plan: Plan, terms_doc: dict[str, Any], now: datetime, terms: Any
) -> dict[str, Any]:
    tz = ZoneInfo(plan.timezone)
    cov = terms.coverage
    return {
        "code": plan.code,
        "version": plan.version,
        "scheme": plan.scheme,
        "plan_year": plan.plan_year,
        "is_demo": plan.is_demo,
        "name": text(terms.name),
        "city": text(terms.city),
        "timezone": plan.timezone,
        "enrollment": {
            "opens_at": plan.enrollment_opens_at.astimezone(tz).isoformat(),
            "closes_at": plan.enrollment_closes_at.astimezone(tz).isoformat(),
            "state": calendar.window_state(terms, now),
            "server_time": now.isoformat(),
        },
        "coverage": {
            "kind": cov.kind,
            "start": cov.start.isoformat() if cov.start else None,
            "end": cov.end.isoformat() if cov.end else None,
            "start_weekday": WEEKDAY_NAMES[cov.start_weekday]
            if cov.start_weekday is not None
            else None,
            "duration_months": cov.duration_months,
        },
    }


def plan_detail(plan: Plan, now: datetime, terms: Any) -> dict[str, Any]:
    doc = plan.terms
    data = plan_summary(plan, doc, now, terms)
    data.update(
        {
            "published_at": plan.published_at.isoformat(),
            "eligibility": doc["eligibility"],
            "relations": doc["relations"],
            "premiums": [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "premium_fen": r["premium_fen"],
                    "born_on_or_after": r.get("born_on_or_after"),
                    "born_before": r.get("born_before"),
                }
                for r in doc["premium_rules"]
            ],
            "tiers": [{"code": t.value, "name": text(TIER_NAMES[t])} for t in TIERS],
            "deductible_groups": doc["deductible_groups"],
            "liabilities": doc["liabilities"],
            "overall_cap_fen": doc["overall_cap_fen"],
            "pre_existing_conditions": doc["pre_existing_conditions"],
            "continuous_enrollment": doc["continuous_enrollment"],
            "special_drugs": doc["special_drugs"],
            "refund_rule": doc["refund_rule"],
            "claim_filing_deadline_years": doc["claim_filing_deadline_years"],
            "claim_types": doc["claim_types"],
        }
    )
    return data


def premium_quote(value: PremiumQuote) -> dict[str, Any]:
    return {
        "birth_date": value.birth_date,
        "premium_fen": value.premium_fen,
        "rule": value.rule,
        "explanation": text(value.steps[-1].text),
    }


def tier_result(value: TierResult) -> dict[str, Any]:
    return {"tier": value.tier.value, "reasons": [step(s) for s in value.reasons]}


def payout_result(value: PayoutResult) -> dict[str, Any]:
    return {
        "tier": value.tier.value,
        "total_payout_fen": value.total_payout_fen,
        "out_of_pocket_fen": value.out_of_pocket_fen,
        "lines": [
            {
                "liability": line.liability,
                "eligible_fen": line.eligible_fen,
                "deductible_group": line.deductible_group,
                "deductible_applied_fen": line.deductible_applied_fen,
                "ratio_bp": line.ratio_bp,
                "before_caps_fen": line.before_caps_fen,
                "payout_fen": line.payout_fen,
                "capped": line.capped is not None,
                "cap_applied": line.capped,
                "explanation": text(line.explanation),
            }
            for line in value.lines
        ],
        "not_covered": [
            {
                "index": item.index,
                "liability": item.liability,
                "drug_code": item.drug_code,
                "amount_fen": item.amount_fen,
                "reason": item.reason,
            }
            for item in value.not_covered
        ],
        "deductible_remaining_fen": dict(value.deductible_remaining_fen),
        "steps": [step(s) for s in value.steps],
        "summary": text(value.summary),
    }
