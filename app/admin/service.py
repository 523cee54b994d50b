"""Scheme figures per plan, for admins: enrolment against the roster, premiums, claims.

Every figure comes from an aggregate query (GROUP BY plan code, and status / tier / rule
where it applies), never from loading rows; the few groups of each plan are folded in
Python. The queries use portable SQL only (COUNT, COUNT DISTINCT, SUM, COALESCE), so they
run alike on SQLite and PostgreSQL (whose SUM of a BIGINT is a NUMERIC, hence `int()`).

A plan is a plan *code*: the policies and claims of all its versions are added up, and
the latest version names it. Reporting reads the other domains' tables directly (an
aggregate across tables cannot go through their services row by row) and writes nothing.

The definitions, worked through in docs/figures.md:
- enrolled_persons: distinct insured persons (`person_index`) holding an issued (not
  cancelled) policy of the plan;
- insured_rate_bp: enrolled_persons ÷ roster entries with status `normal` (today's
  roster), basis points, floor; None when the roster has no normal entry;
- premium_fen: premiums of issued policies (cancelled ones are left out: their premium
  goes back); refunds are reported on their own (refunded_fen, refund_pending_fen);
- claimed_fen: claimed amounts of filed claims, every status but `draft` (not filed)
  and `withdrawn`; drafts are only counted, in claims_by_status;
- approved_fen: payout_fen of claims `approved` or `paid`; paid_fen: of claims `paid`;
- payout_ratio_bp: paid_fen ÷ premium_fen, basis points, floor; None when no premium.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Result, Select, func, select
from sqlalchemy.orm import Session

from app.claims.models import CLAIM_STATUSES, Claim
from app.core import clock
from app.core.money import BP_PER_UNIT, FEN_PER_YUAN
from app.enrollment.models import OrderLine, Policy
from app.payments.models import Refund
from app.plans import service as plans
from app.plans.models import Plan
from app.roster.models import RosterEntry
from app.rules.terms import TIERS

#: the local date in the CSV file name
REPORT_TIMEZONE = "Asia/Shanghai"

NOT_CLAIMED = frozenset({"draft", "withdrawn"})  # not filed, or taken back
APPROVED = frozenset({"approved", "paid"})
PAID = frozenset({"paid"})
REFUND_DONE = "success"  # the other refund statuses are still owed to the member


def ratio_bp(part: int, whole: int) -> int | None:
    """part ÷ whole in basis points, floor; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (part * BP_PER_UNIT) // whole


@dataclass
class PlanFigures:
    plan_code: str
    plan_version: int
    plan_name_zh: str
    plan_name_en: str
    plan_year: int
    scheme: str
    is_demo: bool
    roster_normal: int = 0
    enrolled_persons: int = 0
    policies_issued: int = 0
    policies_cancelled: int = 0
    policies_by_tier: dict[str, int] = field(default_factory=dict)
    policies_by_premium_rule: dict[str, int] = field(default_factory=dict)
    premium_fen: int = 0
    refunded_fen: int = 0
    refund_pending_fen: int = 0
    claims_by_status: dict[str, int] = field(default_factory=dict)
    claimed_fen: int = 0
    approved_fen: int = 0
    paid_fen: int = 0

    @property
    def insured_rate_bp(self) -> int | None:
        return ratio_bp(self.enrolled_persons, self.roster_normal)

    @property
    def payout_ratio_bp(self) -> int | None:
        return ratio_bp(self.paid_fen, self.premium_fen)

    def as_dict(self) -> dict[str, Any]:
        """The API's PlanFigures (app/admin/schemas.py)."""
        return {
            "plan_code": self.plan_code,
            "plan_version": self.plan_version,
            "plan_name": {"zh": self.plan_name_zh, "en": self.plan_name_en},
            "plan_year": self.plan_year,
            "scheme": self.scheme,
            "is_demo": self.is_demo,
            "roster_normal": self.roster_normal,
            "enrolled_persons": self.enrolled_persons,
            "insured_rate_bp": self.insured_rate_bp,
            "policies_issued": self.policies_issued,
            "policies_cancelled": self.policies_cancelled,
            "policies_by_tier": dict(self.policies_by_tier),
            "policies_by_premium_rule": dict(self.policies_by_premium_rule),
            "premium_fen": self.premium_fen,
            "refunded_fen": self.refunded_fen,
            "refund_pending_fen": self.refund_pending_fen,
            "claims_by_status": dict(self.claims_by_status),
            "claimed_fen": self.claimed_fen,
            "approved_fen": self.approved_fen,
            "paid_fen": self.paid_fen,
            "payout_ratio_bp": self.payout_ratio_bp,
        }


def _new_figures(plan: Plan, roster_normal: int) -> PlanFigures:
    rules = [rule.code for rule in plans.terms_of(plan).premium_rules]
    return PlanFigures(
        plan_code=plan.code,
        plan_version=plan.version,
        plan_name_zh=plan.name_zh,
        plan_name_en=plan.name_en,
        plan_year=plan.plan_year,
        scheme=plan.scheme,
        is_demo=plan.is_demo,
        roster_normal=roster_normal,
        policies_by_tier={str(tier): 0 for tier in TIERS},
        policies_by_premium_rule=dict.fromkeys(rules, 0),
        claims_by_status=dict.fromkeys(CLAIM_STATUSES, 0),
    )


def _n(value: Any) -> int:
    """A COUNT or SUM as an int (SUM of nothing is NULL; PostgreSQL's SUM is NUMERIC)."""
    return int(value or 0)


def plan_figures(session: Session, code: str | None = None) -> list[PlanFigures]:
    """Figures of every plan (latest versions in window order), or of the plan `code`
    (PlanNotFound, a 404, when there is no such plan)."""
    selected = [plans.get_plan(session, code)] if code is not None else plans.list_plans(session)
    roster_normal = _n(
        session.scalar(
            select(func.count()).select_from(RosterEntry).where(RosterEntry.status == "normal")
        )
    )
    by_code = {plan.code: _new_figures(plan, roster_normal) for plan in selected}
    if not by_code:
        return []

    def grouped(query: Select[*tuple[Any, ...]]) -> Result[*tuple[Any, ...]]:
        """Run a GROUP BY query, narrowed to the one plan code when one was asked for."""
        if code is not None:
            query = query.where(Plan.code == code)
        return session.execute(query)

    # policies by state and tier: counts and premiums
    for plan_code, state, tier, count, premium in grouped(
        select(Plan.code, Policy.state, Policy.tier, func.count(), func.sum(Policy.premium_fen))
        .join(Plan, Plan.id == Policy.plan_id)
        .group_by(Plan.code, Policy.state, Policy.tier)
    ):
        figures = by_code.get(plan_code)
        if figures is None:
            continue
        if state == "cancelled":
            figures.policies_cancelled += _n(count)
            continue
        figures.policies_issued += _n(count)
        figures.premium_fen += _n(premium)
        figures.policies_by_tier[tier] = figures.policies_by_tier.get(tier, 0) + _n(count)

    # distinct insured persons with an issued policy
    for plan_code, persons in grouped(
        select(Plan.code, func.count(func.distinct(Policy.person_index)))
        .join(Plan, Plan.id == Policy.plan_id)
        .where(Policy.state != "cancelled")
        .group_by(Plan.code)
    ):
        if plan_code in by_code:
            by_code[plan_code].enrolled_persons = _n(persons)

    # issued policies by the premium rule that priced them (newborn, standard, ...)
    for plan_code, rule, count in grouped(
        select(Plan.code, OrderLine.premium_rule, func.count())
        .select_from(Policy)
        .join(Plan, Plan.id == Policy.plan_id)
        .join(OrderLine, OrderLine.id == Policy.order_line_id)
        .where(Policy.state != "cancelled")
        .group_by(Plan.code, OrderLine.premium_rule)
    ):
        if plan_code in by_code:
            rules = by_code[plan_code].policies_by_premium_rule
            rules[rule] = rules.get(rule, 0) + _n(count)

    # refunds of cancelled policies: paid back, or still owed
    for plan_code, status, amount in grouped(
        select(Plan.code, Refund.status, func.sum(Refund.amount_fen))
        .select_from(Refund)
        .join(Policy, Policy.id == Refund.policy_id)
        .join(Plan, Plan.id == Policy.plan_id)
        .group_by(Plan.code, Refund.status)
    ):
        if plan_code in by_code:
            if status == REFUND_DONE:
                by_code[plan_code].refunded_fen += _n(amount)
            else:
                by_code[plan_code].refund_pending_fen += _n(amount)

    # claims by status: counts, claimed amounts, payouts
    for plan_code, status, count, claimed, payout in grouped(
        select(
            Plan.code,
            Claim.status,
            func.count(),
            func.sum(Claim.claimed_fen),
            func.sum(func.coalesce(Claim.payout_fen, 0)),
        )
        .join(Plan, Plan.id == Claim.plan_id)
        .group_by(Plan.code, Claim.status)
    ):
        figures = by_code.get(plan_code)
        if figures is None:
            continue
        figures.claims_by_status[status] = figures.claims_by_status.get(status, 0) + _n(count)
        if status not in NOT_CLAIMED:
            figures.claimed_fen += _n(claimed)
        if status in APPROVED:
            figures.approved_fen += _n(payout)
        if status in PAID:
            figures.paid_fen += _n(payout)

    return list(by_code.values())


def figures(session: Session, code: str | None = None) -> dict[str, Any]:
    """The API's answer: {generated_at, plans: [PlanFigures]}."""
    return {
        "generated_at": clock.now(),
        "plans": [f.as_dict() for f in plan_figures(session, code)],
    }


# --- CSV export -------------------------------------------------------------------------

#: cells starting with these are formulas to a spreadsheet (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will show, never run: a formula gets a leading '."""
    return "'" + value if value.startswith(FORMULA_START) else value


def yuan(fen: int) -> Decimal:
    """12345 -> Decimal("123.45"): two decimals, no thousands separator (a number to Excel)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def percent(bp: int | None) -> Decimal | None:
    """1234 bp -> Decimal("12.34") (exact: a basis point is 0.01 %)."""
    return None if bp is None else (Decimal(bp) / 100).quantize(Decimal("0.01"))


def _rules_cell(rules: dict[str, int]) -> str:
    return ";".join(f"{code}:{count}" for code, count in rules.items())


Getter = Callable[[dict[str, Any]], Any]

#: (column, value of a PlanFigures dict): the stable header of the export
CSV_COLUMNS: tuple[tuple[str, Getter], ...] = (
    ("plan_code", lambda p: p["plan_code"]),
    ("plan_version", lambda p: p["plan_version"]),
    ("plan_name_zh", lambda p: p["plan_name"]["zh"]),
    ("plan_name_en", lambda p: p["plan_name"]["en"]),
    ("plan_year", lambda p: p["plan_year"]),
    ("scheme", lambda p: p["scheme"]),
    ("is_demo", lambda p: p["is_demo"]),
    ("roster_normal", lambda p: p["roster_normal"]),
    ("enrolled_persons", lambda p: p["enrolled_persons"]),
    ("insured_rate_bp", lambda p: p["insured_rate_bp"]),
    ("insured_rate_percent", lambda p: percent(p["insured_rate_bp"])),
    ("policies_issued", lambda p: p["policies_issued"]),
    ("policies_cancelled", lambda p: p["policies_cancelled"]),
    *(
        (f"policies_{tier}", lambda p, t=str(tier): p["policies_by_tier"].get(t, 0))
        for tier in TIERS
    ),
    ("policies_by_premium_rule", lambda p: _rules_cell(p["policies_by_premium_rule"])),
    ("premium_fen", lambda p: p["premium_fen"]),
    ("premium_yuan", lambda p: yuan(p["premium_fen"])),
    ("refunded_fen", lambda p: p["refunded_fen"]),
    ("refunded_yuan", lambda p: yuan(p["refunded_fen"])),
    ("refund_pending_fen", lambda p: p["refund_pending_fen"]),
    ("refund_pending_yuan", lambda p: yuan(p["refund_pending_fen"])),
    *(
        (f"claims_{status}", lambda p, s=status: p["claims_by_status"].get(s, 0))
        for status in CLAIM_STATUSES
    ),
    ("claimed_fen", lambda p: p["claimed_fen"]),
    ("claimed_yuan", lambda p: yuan(p["claimed_fen"])),
    ("approved_fen", lambda p: p["approved_fen"]),
    ("approved_yuan", lambda p: yuan(p["approved_fen"])),
    ("paid_fen", lambda p: p["paid_fen"]),
    ("paid_yuan", lambda p: yuan(p["paid_fen"])),
    ("payout_ratio_bp", lambda p: p["payout_ratio_bp"]),
    ("payout_ratio_percent", lambda p: percent(p["payout_ratio_bp"])),
)
CSV_HEADER: tuple[str, ...] = (*(name for name, _ in CSV_COLUMNS), "generated_at")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int):
        return str(value)
    return csv_text(str(value))


def to_csv(answer: dict[str, Any]) -> str:
    """The figures as CSV text, starting with a UTF-8 byte order mark (so that Excel reads
    the Chinese names right): a header row, then one row per plan; CRLF line ends."""
    generated: datetime = answer["generated_at"]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for plan in answer["plans"]:
        writer.writerow([_cell(get(plan)) for _name, get in CSV_COLUMNS] + [generated.isoformat()])
    return out.getvalue()


def csv_filename(generated_at: datetime) -> str:
    local: date = generated_at.astimezone(ZoneInfo(REPORT_TIMEZONE)).date()
    return f"figures-{local:%Y%m%d}.csv"
