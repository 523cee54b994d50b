"""Coverage tier from the health declaration and the enrollment history.

`pre_existing` if any listed condition is declared, unless the person has been
enrolled without a break (consecutive plan years of the same scheme, up to the
year before this one) since a year in which their tier was `standard`; then they
keep `standard`. No declared condition: `standard`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.rules import explain
from app.rules.errors import RuleInputError
from app.rules.explain import Step
from app.rules.terms import Terms, Tier


@dataclass(frozen=True)
class PriorYear:
    """One earlier plan year of the same scheme in which the person was enrolled."""

    plan_year: int
    tier: Tier


@dataclass(frozen=True)
class TierResult:
    tier: Tier
    reasons: tuple[Step, ...]


def unbroken_chain(plan_year: int, history: Iterable[PriorYear]) -> list[PriorYear]:
    """Earlier years enrolled without a break, ending at plan_year - 1, oldest first."""
    by_year = {item.plan_year: item for item in history if item.plan_year < plan_year}
    chain: list[PriorYear] = []
    year = plan_year - 1
    while year in by_year:
        chain.append(by_year[year])
        year -= 1
    chain.reverse()
    return chain


def determine_tier(
    terms: Terms,
    declared_conditions: Iterable[str],
    history: Iterable[PriorYear] = (),
    field: str = "declared_conditions",
) -> TierResult:
    given = list(declared_conditions)
    for index, code in enumerate(given):  # indices of the caller's list, duplicates included
        if terms.condition(code) is None:
            raise RuleInputError(
                f"{field}.{index}",
                "unknown_condition",
                f"Unknown condition code: {code}.",
                f"未知的既往症代码：{code}。",
            )
    declared = list(dict.fromkeys(given))  # de-duplicate, keep order
    names = [condition.name for code in declared if (condition := terms.condition(code))]

    if not declared:
        step = Step("no_conditions", explain.no_conditions_text(), values={"tier": "standard"})
        return TierResult(Tier.STANDARD, (step,))

    reasons = [
        Step(
            "declared_conditions",
            explain.declared_conditions_text(names),
            values={"conditions": ",".join(declared)},
        )
    ]
    chain = unbroken_chain(terms.plan_year, history)
    if terms.continuous_enrollment == "keep_standard_tier":
        reasons.append(
            Step(
                "enrollment_chain",
                explain.chain_text([item.plan_year for item in chain]),
                values={"years": ",".join(str(item.plan_year) for item in chain)},
            )
        )
        standard_years = [item.plan_year for item in chain if item.tier == Tier.STANDARD]
        if standard_years:
            since = standard_years[0]
            reasons.append(
                Step(
                    "continuous_enrollment",
                    explain.continuous_keep_text(since, terms.plan_year),
                    values={"since_year": since, "tier": "standard"},
                )
            )
            return TierResult(Tier.STANDARD, tuple(reasons))
    reasons.append(
        Step("pre_existing", explain.pre_existing_text(), values={"tier": "pre_existing"})
    )
    return TierResult(Tier.PRE_EXISTING, tuple(reasons))
