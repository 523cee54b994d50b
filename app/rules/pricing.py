"""Premium per person: the first matching rule of the plan's ordered list wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.rules import explain
from app.rules.errors import RuleInputError
from app.rules.explain import Step
from app.rules.terms import PremiumRule, Terms


@dataclass(frozen=True)
class PremiumQuote:
    birth_date: date
    premium_fen: int
    rule: str
    steps: tuple[Step, ...]


def rule_matches(rule: PremiumRule, birth_date: date) -> bool:
    if rule.born_on_or_after is not None and birth_date < rule.born_on_or_after:
        return False
    return not (rule.born_before is not None and birth_date >= rule.born_before)


def quote_premium(terms: Terms, birth_date: date, field: str = "birth_date") -> PremiumQuote:
    for rule in terms.premium_rules:
        if rule_matches(rule, birth_date):
            cond = explain.born_condition_text(rule.born_on_or_after, rule.born_before)
            step = Step(
                code="premium_rule",
                text=explain.premium_rule_text(rule.name, birth_date, rule.premium_fen, cond),
                values={
                    "rule": rule.code,
                    "premium_fen": rule.premium_fen,
                    "born_on_or_after": rule.born_on_or_after.isoformat()
                    if rule.born_on_or_after
                    else None,
                    "born_before": rule.born_before.isoformat() if rule.born_before else None,
                },
            )
            return PremiumQuote(birth_date, rule.premium_fen, rule.code, (step,))
    raise RuleInputError(
        field,
        "no_premium_rule",
        "No premium rule of this plan applies to this birth date.",
        "本计划没有适用于该出生日期的保费规则。",
    )
