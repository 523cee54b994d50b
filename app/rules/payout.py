"""Payout for one person, one coverage year, one bill (or one claim).

For each liability in the terms' order:
  eligible   = Σ over its expenses of max(0, amount − other_paid)
               (drug-list-only liabilities count only drugs on the plan's list;
               the others are reported as not covered)
  deductible = min(eligible, the group's remaining deductible); the group's
               remaining deductible goes down by it (no group: 0)
  payout     = apply_ratio(eligible − deductible, ratio of the tier)   [floor to the fen]
               then limited by the liability's remaining annual cap and the
               overall remaining annual cap.
The year-to-date state says what was used before this bill; the result says what
is used after it (what an approved claim adds to the accumulators).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.core.money import BP_PER_UNIT, apply_ratio
from app.rules import explain
from app.rules.errors import RuleInputError
from app.rules.explain import Step
from app.rules.terms import Terms, Text, Tier

MAX_EXPENSE_LINES = 200


def net_fen(amount_fen: int, other_paid_fen: int) -> int:
    """What the scheme can pay on: the amount less what others (BMI, other cover) paid."""
    return max(0, amount_fen - other_paid_fen)


@dataclass(frozen=True)
class Expense:
    liability: str
    amount_fen: int
    other_paid_fen: int = 0
    drug_code: str | None = None


@dataclass(frozen=True)
class YearToDate:
    deductible_used_fen: Mapping[str, int] = field(default_factory=dict)
    paid_fen: Mapping[str, int] = field(default_factory=dict)

    @property
    def overall_paid_fen(self) -> int:
        return sum(self.paid_fen.values())


@dataclass(frozen=True)
class NotCovered:
    index: int
    liability: str
    drug_code: str | None
    amount_fen: int
    reason: str


@dataclass(frozen=True)
class PayoutLine:
    liability: str
    eligible_fen: int
    deductible_group: str | None
    deductible_applied_fen: int
    ratio_bp: int
    before_caps_fen: int
    payout_fen: int
    capped: str | None  # None | "liability" | "overall"
    explanation: Text
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class PayoutResult:
    tier: Tier
    total_payout_fen: int
    out_of_pocket_fen: int
    lines: tuple[PayoutLine, ...]
    not_covered: tuple[NotCovered, ...]
    deductible_remaining_fen: Mapping[str, int]
    year_to_date_after: YearToDate
    steps: tuple[Step, ...]
    summary: Text


def _check_int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleInputError(
            path,
            "invalid_amount",
            "Must be a non-negative whole number of fen.",
            "必须是以分为单位的非负整数。",
        )
    return value


def validate_expenses(terms: Terms, expenses: Sequence[Expense]) -> None:
    if len(expenses) > MAX_EXPENSE_LINES:
        raise RuleInputError(
            "expenses",
            "too_many_lines",
            f"At most {MAX_EXPENSE_LINES} expense lines.",
            f"费用明细最多 {MAX_EXPENSE_LINES} 条。",
        )
    for index, expense in enumerate(expenses):
        if terms.liability(expense.liability) is None:
            raise RuleInputError(
                f"expenses.{index}.liability",
                "unknown_liability",
                f"Unknown liability: {expense.liability}.",
                f"未知的保障责任：{expense.liability}。",
            )
        _check_int(expense.amount_fen, f"expenses.{index}.amount_fen")
        _check_int(expense.other_paid_fen, f"expenses.{index}.other_paid_fen")


def compute_payout(
    terms: Terms,
    tier: Tier,
    expenses: Sequence[Expense],
    year_to_date: YearToDate | None = None,
) -> PayoutResult:
    tier = Tier(tier)
    ytd = year_to_date or YearToDate()
    validate_expenses(terms, expenses)
    for code, used in ytd.deductible_used_fen.items():
        _check_int(used, f"year_to_date.deductible_used_fen.{code}")
    for code, paid in ytd.paid_fen.items():
        _check_int(paid, f"year_to_date.paid_fen.{code}")

    group_remaining = {
        group.code: max(0, group.amount_fen[tier] - ytd.deductible_used_fen.get(group.code, 0))
        for group in terms.deductible_groups
    }
    deductible_used = {
        group.code: ytd.deductible_used_fen.get(group.code, 0) for group in terms.deductible_groups
    }
    paid_after = dict(ytd.paid_fen)
    overall_remaining = max(0, terms.overall_cap_fen - ytd.overall_paid_fen)

    lines: list[PayoutLine] = []
    not_covered: list[NotCovered] = []
    all_steps: list[Step] = []
    total_net = 0

    for liability in terms.liabilities:
        indexed = [(i, e) for i, e in enumerate(expenses) if e.liability == liability.code]
        if not indexed:
            continue
        steps: list[Step] = []
        eligible = 0
        for index, expense in indexed:
            net = net_fen(expense.amount_fen, expense.other_paid_fen)
            total_net += net
            if liability.drug_list_only:
                drug = terms.drug(expense.drug_code) if expense.drug_code else None
                if drug is None:
                    not_covered.append(
                        NotCovered(
                            index, liability.code, expense.drug_code, net, "drug_not_on_list"
                        )
                    )
                    steps.append(
                        Step(
                            "not_covered",
                            explain.drug_not_listed_text(expense.drug_code, net),
                            liability.code,
                            {
                                "index": index,
                                "drug_code": expense.drug_code,
                                "amount_fen": net,
                                "reason": "drug_not_on_list",
                            },
                        )
                    )
                    continue
                steps.append(
                    Step(
                        "drug_on_list",
                        explain.drug_listed_text(drug.generic_name, drug.brand),
                        liability.code,
                        {"index": index, "drug_code": drug.code},
                    )
                )
            eligible += net
            steps.append(
                Step(
                    "eligible",
                    explain.expense_text(
                        liability.name, expense.amount_fen, expense.other_paid_fen, net
                    ),
                    liability.code,
                    {
                        "index": index,
                        "amount_fen": expense.amount_fen,
                        "other_paid_fen": expense.other_paid_fen,
                        "eligible_fen": net,
                    },
                )
            )

        applied = 0
        group_code = liability.deductible_group
        if group_code is not None:
            group = terms.deductible_group(group_code)
            assert group is not None  # guaranteed by the terms schema
            before = group_remaining[group_code]
            applied = min(eligible, before)
            group_remaining[group_code] = before - applied
            deductible_used[group_code] += applied
            steps.append(
                Step(
                    "deductible",
                    explain.deductible_text(group.name, before, applied),
                    liability.code,
                    {
                        "group": group_code,
                        "remaining_before_fen": before,
                        "applied_fen": applied,
                        "remaining_after_fen": before - applied,
                    },
                )
            )
        else:
            steps.append(
                Step("no_deductible", explain.no_deductible_text(liability.name), liability.code)
            )

        ratio = liability.ratio_bp[tier]
        base = eligible - applied
        raw = apply_ratio(base, ratio)
        steps.append(
            Step(
                "ratio",
                explain.ratio_text(
                    base, ratio, raw, tier, rounded=(base * ratio) % BP_PER_UNIT != 0
                ),
                liability.code,
                {"base_fen": base, "ratio_bp": ratio, "result_fen": raw},
            )
        )

        payout = raw
        capped: str | None = None
        liability_left = max(0, liability.annual_cap_fen - ytd.paid_fen.get(liability.code, 0))
        if payout > liability_left:
            payout = liability_left
            capped = "liability"
            steps.append(
                Step(
                    "liability_cap",
                    explain.liability_cap_text(
                        liability.name, liability.annual_cap_fen, liability_left, payout
                    ),
                    liability.code,
                    {
                        "cap_fen": liability.annual_cap_fen,
                        "remaining_fen": liability_left,
                        "payout_fen": payout,
                    },
                )
            )
        if payout > overall_remaining:
            payout = overall_remaining
            capped = "overall"
            steps.append(
                Step(
                    "overall_cap",
                    explain.overall_cap_text(terms.overall_cap_fen, overall_remaining, payout),
                    liability.code,
                    {
                        "cap_fen": terms.overall_cap_fen,
                        "remaining_fen": overall_remaining,
                        "payout_fen": payout,
                    },
                )
            )
        overall_remaining -= payout
        paid_after[liability.code] = paid_after.get(liability.code, 0) + payout

        lines.append(
            PayoutLine(
                liability=liability.code,
                eligible_fen=eligible,
                deductible_group=group_code,
                deductible_applied_fen=applied,
                ratio_bp=ratio,
                before_caps_fen=raw,
                payout_fen=payout,
                capped=capped,
                explanation=explain.line_text(
                    liability.name, eligible, applied, ratio, payout, capped
                ),
                steps=tuple(steps),
            )
        )
        all_steps.extend(steps)

    total = sum(line.payout_fen for line in lines)
    out_of_pocket = total_net - total
    summary = explain.total_text(total, out_of_pocket)
    all_steps.append(
        Step(
            "total", summary, None, {"total_payout_fen": total, "out_of_pocket_fen": out_of_pocket}
        )
    )
    return PayoutResult(
        tier=tier,
        total_payout_fen=total,
        out_of_pocket_fen=out_of_pocket,
        lines=tuple(lines),
        not_covered=tuple(not_covered),
        deductible_remaining_fen=dict(group_remaining),
        year_to_date_after=YearToDate(deductible_used, paid_after),
        steps=tuple(all_steps),
        summary=summary,
    )
