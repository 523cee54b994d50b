"""Plan use cases: publish terms, find plans, quotes, tier checks and estimates."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.errors import NotFound, ValidationFailed
from app.plans.models import Plan
from app.plans.terms_schema import load_terms_file, terms_from_document, validate_terms
from app.rules import calendar, pricing, tier
from app.rules.errors import RuleInputError
from app.rules.payout import Expense, PayoutResult, YearToDate, compute_payout
from app.rules.terms import Terms, Tier

SAMPLE_DIR = Path(__file__).resolve().parent / "terms"
SAMPLE_FILE = SAMPLE_DIR / "xm-2023.yaml"
DEMO_OPENED_DAYS_AGO = 7


class PlanNotFound(NotFound):
    code = "plan_not_found"
    message_en = "No such plan."
    message_zh = "未找到该保障计划。"


class NoCurrentPlan(NotFound):
    code = "no_current_plan"
    message_en = "No plan is open for enrollment now or coming up."
    message_zh = "当前没有正在投保或即将开放投保的保障计划。"


def rule_error(exc: RuleInputError) -> ValidationFailed:
    """A rules-engine input error as a 422 naming the JSON field."""
    errors: dict[str, Any] = {}
    node = errors.setdefault("json", {})
    parts = exc.field.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = [exc.message_en]
    return ValidationFailed(exc.message_en, exc.message_zh, errors=errors)


# --- publishing -----------------------------------------------------------------


def checksum_of(doc: dict[str, Any]) -> str:
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PublishResult:
    plan: Plan
    created: bool


def publish(session: Session, raw: dict[str, Any], source: str = "") -> PublishResult:
    """Validate terms and publish them as the next version of their plan code.

    Loading the same terms again is a no-op (same checksum); changed terms become a
    new version. Two publishers racing get distinct versions or one fails on the
    unique (code, version) constraint: the database decides.
    """
    doc = validate_terms(raw)
    terms = terms_from_document(doc)
    digest = checksum_of(doc)
    existing = session.scalar(select(Plan).where(Plan.code == terms.code, Plan.checksum == digest))
    if existing is not None:
        return PublishResult(existing, created=False)
    latest = session.scalar(select(func.max(Plan.version)).where(Plan.code == terms.code)) or 0
    opens, closes = calendar.window_bounds_utc(terms)
    plan = Plan(
        code=terms.code,
        version=latest + 1,
        scheme=terms.scheme,
        plan_year=terms.plan_year,
        name_zh=terms.name.zh,
        name_en=terms.name.en,
        timezone=terms.timezone,
        is_demo=terms.is_demo,
        enrollment_opens_at=opens,
        enrollment_closes_at=closes,
        coverage_kind=terms.coverage.kind,
        coverage_start=terms.coverage.start,
        coverage_end=terms.coverage.end,
        terms=doc,
        checksum=digest,
        source=source[:500],
        published_at=clock.now(),
    )
    session.add(plan)
    session.flush()
    return PublishResult(plan, created=True)


def publish_file(session: Session, path: str | Path) -> PublishResult:
    doc, _terms = load_terms_file(path)
    return publish(session, doc, source=Path(path).name)


def _shift(value: str, days: int) -> str:
    if "T" in value:
        return (datetime.fromisoformat(value) + timedelta(days=days)).isoformat()
    return (date.fromisoformat(value) + timedelta(days=days)).isoformat()


def demo_document(sample: dict[str, Any], today: date) -> dict[str, Any]:
    """The sample terms shifted by whole days so that enrollment opened a week before
    `today` (local date) and is open today; every date moves by the same number of
    days, so the window keeps its length and coverage starts when the window closes.
    """
    doc = copy.deepcopy(sample)
    opens = datetime.fromisoformat(doc["enrollment_window"]["opens"]).date()
    days = (today - timedelta(days=DEMO_OPENED_DAYS_AGO) - opens).days
    doc["enrollment_window"] = {k: _shift(v, days) for k, v in doc["enrollment_window"].items()}
    cov = doc["coverage"]
    if cov.get("start") and cov.get("end"):
        # keep the sample's length in months (a year), not in days: whole days moved
        # across a 29 February would make the demo's cover one day longer or shorter
        old_start, old_end = date.fromisoformat(cov["start"]), date.fromisoformat(cov["end"])
        months = (old_end.year - old_start.year) * 12 + old_end.month - old_start.month
        if calendar.add_months(old_start, months) <= old_end:
            months += 1
        new_start = old_start + timedelta(days=days)
        cov["start"] = new_start.isoformat()
        cov["end"] = (calendar.add_months(new_start, months) - timedelta(days=1)).isoformat()
    for rule in doc["premium_rules"]:
        for key in ("born_on_or_after", "born_before"):
            if rule.get(key):
                rule[key] = _shift(rule[key], days)
    start_year = date.fromisoformat(cov["start"]).year if cov.get("start") else today.year
    doc["code"] = "demo"
    doc["scheme"] = f"demo-{doc['scheme']}"
    doc["plan_year"] = start_year
    doc["is_demo"] = True
    doc["name"] = {
        "zh": f"【演示】{doc['name']['zh'].split('（')[0]}（{start_year}年度）",
        "en": f"[Demo] {doc['name']['en'].rsplit(' ', 1)[0]} {start_year}",
    }
    return doc


def publish_samples(session: Session) -> list[PublishResult]:
    """The sample plan xm-2023 and a demo plan whose enrollment is open today."""
    sample_doc, sample_terms = load_terms_file(SAMPLE_FILE)
    results = [publish(session, sample_doc, source=SAMPLE_FILE.name)]
    today = clock.today(sample_terms.timezone)
    current_demo = latest_version(session, "demo")
    if current_demo is not None:
        state = calendar.window_state(terms_of(current_demo), clock.now())
        if state == "open":
            return [*results, PublishResult(current_demo, created=False)]
    results.append(publish(session, demo_document(sample_doc, today), source="demo"))
    return results


# --- reading ----------------------------------------------------------------------

_terms_cache: dict[tuple[str, str], Terms] = {}


def terms_of(plan: Plan) -> Terms:
    """The engine's terms for a plan version (cached: published versions never change)."""
    key = (plan.id, plan.checksum)
    cached = _terms_cache.get(key)
    if cached is None:
        cached = terms_from_document(plan.terms)
        if len(_terms_cache) > 256:
            _terms_cache.clear()
        _terms_cache[key] = cached
    return cached


def latest_version(session: Session, code: str) -> Plan | None:
    return session.scalar(
        select(Plan).where(Plan.code == code).order_by(Plan.version.desc()).limit(1)
    )


def get_plan(session: Session, code: str) -> Plan:
    plan = latest_version(session, code)
    if plan is None:
        raise PlanNotFound()
    return plan


def list_plans(session: Session) -> list[Plan]:
    """The latest version of every plan, in the order their windows open."""
    latest = (
        select(Plan.code, func.max(Plan.version).label("version")).group_by(Plan.code).subquery()
    )
    query = (
        select(Plan)
        .join(latest, (Plan.code == latest.c.code) & (Plan.version == latest.c.version))
        .order_by(Plan.enrollment_opens_at, Plan.code)
    )
    return list(session.scalars(query))


def current_plan(session: Session, now: datetime | None = None) -> Plan:
    """The plan whose window is open now, else the next one to open, else NotFound.

    Several open at once: the one that closes first (a member should not miss it).
    """
    now = now or clock.now()
    plans = list_plans(session)
    open_now = [p for p in plans if p.enrollment_opens_at <= now < p.enrollment_closes_at]
    if open_now:
        return min(open_now, key=lambda p: (p.enrollment_closes_at, p.code))
    upcoming = [p for p in plans if p.enrollment_opens_at > now]
    if upcoming:
        return min(upcoming, key=lambda p: (p.enrollment_opens_at, p.code))
    raise NoCurrentPlan()


# --- figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteResult:
    people: list[pricing.PremiumQuote]
    total_fen: int


def quote(terms: Terms, birth_dates: Sequence[date]) -> QuoteResult:
    today = clock.today(terms.timezone)
    quotes = []
    for index, born in enumerate(birth_dates):
        field = f"people.{index}.birth_date"
        if born > today:
            raise rule_error(
                RuleInputError(
                    field,
                    "birth_date_in_future",
                    "Birth date is in the future.",
                    "出生日期不能晚于今天。",
                )
            )
        try:
            quotes.append(pricing.quote_premium(terms, born, field=field))
        except RuleInputError as exc:
            raise rule_error(exc) from exc
    return QuoteResult(quotes, sum(q.premium_fen for q in quotes))


def tier_check(terms: Terms, declared: Iterable[str]) -> tier.TierResult:
    try:
        return tier.determine_tier(terms, declared)
    except RuleInputError as exc:
        raise rule_error(exc) from exc


def estimate(
    terms: Terms,
    tier_code: str,
    expenses: Sequence[dict[str, Any]],
    year_to_date: dict[str, Any] | None,
) -> PayoutResult:
    """The estimate a member sees: the same engine call the adjudication makes."""
    parsed = []
    for index, item in enumerate(expenses):
        liability = terms.liability(item["liability"])
        if liability is None:
            raise rule_error(
                RuleInputError(
                    f"expenses.{index}.liability",
                    "unknown_liability",
                    f"Unknown liability: {item['liability']}.",
                    f"未知的保障责任：{item['liability']}。",
                )
            )
        drug_code = item.get("drug_code")
        if liability.drug_list_only and not drug_code:
            raise rule_error(
                RuleInputError(
                    f"expenses.{index}.drug_code",
                    "drug_code_required",
                    "Name the drug (a code from the plan's special-drug list).",
                    "请填写药品（本计划特药清单中的药品代码）。",
                )
            )
        if drug_code is not None and not liability.drug_list_only:
            raise rule_error(
                RuleInputError(
                    f"expenses.{index}.drug_code",
                    "drug_code_not_allowed",
                    f"Only special-drug expenses take a drug code, not {liability.code}.",
                    f"只有特药费用需要填写药品代码，{liability.name.zh}不需要。",
                )
            )
        if drug_code is not None and terms.drug(drug_code) is None:
            raise rule_error(
                RuleInputError(
                    f"expenses.{index}.drug_code",
                    "unknown_drug",
                    f"{drug_code} is not on this plan's special-drug list.",
                    f"{drug_code} 不在本计划的特药清单中。",
                )
            )
        parsed.append(
            Expense(liability.code, item["amount_fen"], item.get("other_paid_fen", 0), drug_code)
        )
    ytd = year_to_date or {}
    used = ytd.get("deductible_used_fen") or {}
    paid = ytd.get("paid_fen") or {}
    for code in used:
        if terms.deductible_group(code) is None:
            raise rule_error(
                RuleInputError(
                    f"year_to_date.deductible_used_fen.{code}",
                    "unknown_deductible_group",
                    f"Unknown deductible group: {code}.",
                    f"未知的免赔额分组：{code}。",
                )
            )
    for code in paid:
        if terms.liability(code) is None:
            raise rule_error(
                RuleInputError(
                    f"year_to_date.paid_fen.{code}",
                    "unknown_liability",
                    f"Unknown liability: {code}.",
                    f"未知的保障责任：{code}。",
                )
            )
    try:
        return compute_payout(terms, Tier(tier_code), parsed, YearToDate(dict(used), dict(paid)))
    except RuleInputError as exc:
        raise rule_error(exc) from exc
