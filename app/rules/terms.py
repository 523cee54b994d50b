"""Frozen dataclasses for a plan year's terms.

The terms file (YAML/JSON) is validated by `app.plans.terms_schema` and turned
into these objects; the engine reads nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Tier(StrEnum):
    STANDARD = "standard"
    PRE_EXISTING = "pre_existing"


TIERS: tuple[Tier, ...] = (Tier.STANDARD, Tier.PRE_EXISTING)


@dataclass(frozen=True)
class Text:
    """A sentence or name in Chinese and English."""

    zh: str
    en: str


@dataclass(frozen=True)
class EnrollmentWindow:
    """Local (naive) date-times in the plan's timezone; `closes` is exclusive."""

    opens: datetime
    closes: datetime


@dataclass(frozen=True)
class Coverage:
    """Fixed: one start/end for everybody (end inclusive).

    Rolling: cover starts on the first `start_weekday` (0 = Monday) strictly after
    the day of enrollment and lasts `duration_months` months (end inclusive).
    """

    kind: str  # "fixed" | "rolling"
    start: date | None = None
    end: date | None = None
    start_weekday: int | None = None
    duration_months: int | None = None


@dataclass(frozen=True)
class PremiumRule:
    """One pricing rule; the first rule (in terms order) whose conditions hold wins."""

    code: str
    name: Text
    premium_fen: int
    born_on_or_after: date | None = None
    born_before: date | None = None


@dataclass(frozen=True)
class Condition:
    code: str
    name: Text


@dataclass(frozen=True)
class DeductibleGroup:
    code: str
    name: Text
    amount_fen: Mapping[Tier, int]


@dataclass(frozen=True)
class Liability:
    code: str
    name: Text
    description: Text
    deductible_group: str | None
    ratio_bp: Mapping[Tier, int]
    annual_cap_fen: int
    drug_list_only: bool = False


@dataclass(frozen=True)
class SpecialDrug:
    code: str
    generic_name: Text
    brand: Text
    indication: Text
    manufacturer: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    name: Text
    required: bool = True
    when: str | None = None  # e.g. "minor": required only when the insured is a minor


@dataclass(frozen=True)
class ClaimType:
    code: str
    name: Text
    liabilities: tuple[str, ...]
    documents: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Terms:
    code: str
    scheme: str
    plan_year: int
    name: Text
    city: Text
    timezone: str
    window: EnrollmentWindow
    coverage: Coverage
    eligibility_roster_required: bool
    eligibility_roster_status: str
    relations: tuple[str, ...]
    premium_rules: tuple[PremiumRule, ...]
    conditions: tuple[Condition, ...]
    continuous_enrollment: str  # "keep_standard_tier"
    deductible_groups: tuple[DeductibleGroup, ...]
    liabilities: tuple[Liability, ...]
    overall_cap_fen: int
    special_drugs: tuple[SpecialDrug, ...]
    refund_rule: str  # "full_before_coverage_start"
    claim_deadline_years: int
    claim_types: tuple[ClaimType, ...] = field(default_factory=tuple)
    is_demo: bool = False

    def liability(self, code: str) -> Liability | None:
        return next((item for item in self.liabilities if item.code == code), None)

    def deductible_group(self, code: str) -> DeductibleGroup | None:
        return next((item for item in self.deductible_groups if item.code == code), None)

    def drug(self, code: str) -> SpecialDrug | None:
        return next((item for item in self.special_drugs if item.code == code), None)

    def condition(self, code: str) -> Condition | None:
        return next((item for item in self.conditions if item.code == code), None)
