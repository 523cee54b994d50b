"""Payout: hand-worked figures in fen (1 yuan = 100 fen) for the xm-2023 terms.

xm-2023: one deductible group "hospital" (standard 20,000 yuan, pre-existing 30,000 yuan)
shared by in_catalog (80% / 40%) and out_of_catalog (70% / 35%); special_drugs
(80% / 40%, list only, no deductible, cap 1,000,000 yuan); proton_heavy_ion
(70% / 35%, no deductible, cap 500,000 yuan); in/out-of-catalog caps 1,500,000 yuan;
overall cap 4,500,000 yuan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from app.rules.errors import RuleInputError
from app.rules.payout import (
    MAX_EXPENSE_LINES,
    Expense,
    NotCovered,
    YearToDate,
    compute_payout,
)
from app.rules.terms import Terms, Tier

S, P = Tier.STANDARD, Tier.PRE_EXISTING
E = Expense
IN, OUT, DRUG, PROTON = "in_catalog", "out_of_catalog", "special_drugs", "proton_heavy_ion"
YUAN = 100  # fen


@dataclass(frozen=True)
class Line:
    liability: str
    eligible: int
    applied: int
    payout: int
    capped: str | None = None


@dataclass(frozen=True)
class Case:
    tier: Tier
    expenses: tuple[Expense, ...]
    lines: tuple[Line, ...]
    total: int
    out_of_pocket: int
    deductible_left: int  # the "hospital" group after this bill
    ytd: YearToDate | None = None
    vary: Callable[..., Terms] | None = None  # (variants) -> Terms
    not_covered: tuple[NotCovered, ...] = field(default_factory=tuple)


CASES = [
    # -- the worked examples -------------------------------------------------
    pytest.param(
        # 100,000 − 20,000 deductible = 80,000 × 70% = 56,000
        Case(
            S,
            (E(OUT, 100_000_00),),
            (Line(OUT, 100_000_00, 20_000_00, 56_000_00),),
            total=56_000_00,
            out_of_pocket=44_000_00,
            deductible_left=0,
        ),
        id="worked-standard-out-of-catalog-100k",
    ),
    pytest.param(
        # in: (50,000 − 30,000) × 40% = 8,000; out: deductible used up, 100,000 × 35% = 35,000
        Case(
            P,
            (E(IN, 50_000_00), E(OUT, 100_000_00)),
            (Line(IN, 50_000_00, 30_000_00, 8_000_00), Line(OUT, 100_000_00, 0, 35_000_00)),
            total=43_000_00,
            out_of_pocket=107_000_00,
            deductible_left=0,
        ),
        id="worked-pre-existing-in-50k-out-100k",
    ),
    # -- the deductible ---------------------------------------------------------------
    pytest.param(
        # in: 15,000 all deductible; out: 5,000 deductible left, (10,000 − 5,000) × 70%
        Case(
            S,
            (E(IN, 15_000_00), E(OUT, 10_000_00)),
            (Line(IN, 15_000_00, 15_000_00, 0), Line(OUT, 10_000_00, 5_000_00, 3_500_00)),
            total=3_500_00,
            out_of_pocket=21_500_00,
            deductible_left=0,
        ),
        id="deductible-spread-over-two-liabilities",
    ),
    pytest.param(
        # same bill, lines listed in the other order: liabilities go in terms order
        Case(
            S,
            (E(OUT, 10_000_00), E(IN, 15_000_00)),
            (Line(IN, 15_000_00, 15_000_00, 0), Line(OUT, 10_000_00, 5_000_00, 3_500_00)),
            total=3_500_00,
            out_of_pocket=21_500_00,
            deductible_left=0,
        ),
        id="deductible-in-terms-order-not-bill-order",
    ),
    pytest.param(
        Case(
            S,
            (E(IN, 5_000_00),),
            (Line(IN, 5_000_00, 5_000_00, 0),),
            total=0,
            out_of_pocket=5_000_00,
            deductible_left=15_000_00,
        ),
        id="below-deductible",
    ),
    pytest.param(
        # 12,000 used before: 8,000 left; (30,000 − 8,000) × 80% = 17,600
        Case(
            S,
            (E(IN, 30_000_00),),
            (Line(IN, 30_000_00, 8_000_00, 17_600_00),),
            total=17_600_00,
            out_of_pocket=12_400_00,
            deductible_left=0,
            ytd=YearToDate(deductible_used_fen={"hospital": 12_000_00}),
        ),
        id="deductible-partly-used",
    ),
    pytest.param(
        # 5,000 used: 15,000 left, 10,000 applied, 5,000 still left
        Case(
            S,
            (E(IN, 10_000_00),),
            (Line(IN, 10_000_00, 10_000_00, 0),),
            total=0,
            out_of_pocket=10_000_00,
            deductible_left=5_000_00,
            ytd=YearToDate(deductible_used_fen={"hospital": 5_000_00}),
        ),
        id="deductible-partly-used-still-left",
    ),
    pytest.param(
        # 25,000 used > 20,000: nothing left; 10,000 × 80% = 8,000
        Case(
            S,
            (E(IN, 10_000_00),),
            (Line(IN, 10_000_00, 0, 8_000_00),),
            total=8_000_00,
            out_of_pocket=2_000_00,
            deductible_left=0,
            ytd=YearToDate(deductible_used_fen={"hospital": 25_000_00}),
        ),
        id="deductible-overused-clamped",
    ),
    pytest.param(
        # pre-existing group is 30,000: 5,000 left; (10,000 − 5,000) × 35% = 1,750
        Case(
            P,
            (E(OUT, 10_000_00),),
            (Line(OUT, 10_000_00, 5_000_00, 1_750_00),),
            total=1_750_00,
            out_of_pocket=8_250_00,
            deductible_left=0,
            ytd=YearToDate(deductible_used_fen={"hospital": 25_000_00}),
        ),
        id="pre-existing-group-amount",
    ),
    pytest.param(
        # in: 10,000 + (20,000 − 5,000) = 25,000; − 20,000 = 5,000 × 80% = 4,000
        # out: 30,000 × 70% = 21,000
        Case(
            S,
            (E(IN, 10_000_00), E(IN, 20_000_00, 5_000_00), E(OUT, 30_000_00)),
            (Line(IN, 25_000_00, 20_000_00, 4_000_00), Line(OUT, 30_000_00, 0, 21_000_00)),
            total=25_000_00,
            out_of_pocket=30_000_00,
            deductible_left=0,
        ),
        id="several-lines-one-liability",
    ),
    # -- caps -------------------------------------------------------------------------
    pytest.param(
        # raw 30,000 × 80% = 24,000 but only 1,000 of the 1,500,000 cap is left
        Case(
            S,
            (E(IN, 30_000_00),),
            (Line(IN, 30_000_00, 0, 1_000_00, "liability"),),
            total=1_000_00,
            out_of_pocket=29_000_00,
            deductible_left=0,
            ytd=YearToDate({"hospital": 20_000_00}, {IN: 1_499_000_00}),
        ),
        id="liability-cap-nearly-used",
    ),
    pytest.param(
        # in_catalog exhausted: 0; out_of_catalog unaffected: 10,000 × 70% = 7,000
        Case(
            S,
            (E(IN, 10_000_00), E(OUT, 10_000_00)),
            (Line(IN, 10_000_00, 0, 0, "liability"), Line(OUT, 10_000_00, 0, 7_000_00)),
            total=7_000_00,
            out_of_pocket=13_000_00,
            deductible_left=0,
            ytd=YearToDate({"hospital": 20_000_00}, {IN: 1_500_000_00}),
        ),
        id="liability-cap-exhausted",
    ),
    pytest.param(
        # cap 10,000: (50,000 − 20,000) × 80% = 24,000 → 10,000
        Case(
            S,
            (E(IN, 50_000_00),),
            (Line(IN, 50_000_00, 20_000_00, 10_000_00, "liability"),),
            total=10_000_00,
            out_of_pocket=40_000_00,
            deductible_left=0,
            vary=lambda v: v.liability(IN, annual_cap_fen=10_000_00),
        ),
        id="small-liability-cap",
    ),
    pytest.param(
        # overall 30,000: in pays 24,000 (6,000 left); out 20,000 × 70% = 14,000 → 6,000
        Case(
            S,
            (E(IN, 50_000_00), E(OUT, 20_000_00)),
            (
                Line(IN, 50_000_00, 20_000_00, 24_000_00),
                Line(OUT, 20_000_00, 0, 6_000_00, "overall"),
            ),
            total=30_000_00,
            out_of_pocket=40_000_00,
            deductible_left=0,
            vary=lambda v: v.replace(overall_cap_fen=30_000_00),
        ),
        id="small-overall-cap",
    ),
    pytest.param(
        # overall 100,000 with 90,000 paid: 50,000 × 70% = 35,000 → 10,000
        Case(
            S,
            (E(OUT, 50_000_00),),
            (Line(OUT, 50_000_00, 0, 10_000_00, "overall"),),
            total=10_000_00,
            out_of_pocket=40_000_00,
            deductible_left=0,
            ytd=YearToDate({"hospital": 20_000_00}, {IN: 90_000_00}),
            vary=lambda v: v.replace(overall_cap_fen=100_000_00),
        ),
        id="overall-cap-nearly-used",
    ),
    pytest.param(
        # overall 100,000 all paid (proton): 10,000 × 70% = 7,000 → 0
        Case(
            S,
            (E(PROTON, 10_000_00),),
            (Line(PROTON, 10_000_00, 0, 0, "overall"),),
            total=0,
            out_of_pocket=10_000_00,
            deductible_left=20_000_00,
            ytd=YearToDate(paid_fen={PROTON: 100_000_00}),
            vary=lambda v: v.replace(overall_cap_fen=100_000_00),
        ),
        id="overall-cap-exhausted",
    ),
    pytest.param(
        # 24,000 → liability cap 10,000 → overall cap 5,000: "overall" is reported
        Case(
            S,
            (E(IN, 50_000_00),),
            (Line(IN, 50_000_00, 20_000_00, 5_000_00, "overall"),),
            total=5_000_00,
            out_of_pocket=45_000_00,
            deductible_left=0,
            vary=lambda v: v.replace(
                v.liability(IN, annual_cap_fen=10_000_00), overall_cap_fen=5_000_00
            ),
        ),
        id="both-caps-overall-tighter",
    ),
    pytest.param(
        Case(
            S,
            (E(IN, 50_000_00),),
            (Line(IN, 50_000_00, 20_000_00, 10_000_00, "liability"),),
            total=10_000_00,
            out_of_pocket=40_000_00,
            deductible_left=0,
            vary=lambda v: v.replace(
                v.liability(IN, annual_cap_fen=10_000_00), overall_cap_fen=50_000_00
            ),
        ),
        id="both-caps-liability-tighter",
    ),
    pytest.param(
        # special drugs: 80,000 + 1,200,000 = 1,280,000 × 80% = 1,024,000 → cap 1,000,000
        Case(
            S,
            (
                E(DRUG, 100_000_00, 20_000_00, "pembrolizumab"),
                E(DRUG, 30_000_00, 10_000_00, "foo-mab"),
                E(DRUG, 1_200_000_00, 0, "axi-cel"),
            ),
            (Line(DRUG, 1_280_000_00, 0, 1_000_000_00, "liability"),),
            total=1_000_000_00,
            out_of_pocket=300_000_00,
            deductible_left=20_000_00,
            not_covered=(NotCovered(1, DRUG, "foo-mab", 20_000_00, "drug_not_on_list"),),
        ),
        id="special-drugs-mixed-and-capped",
    ),
    # -- special drugs, proton --------------------------------------------------------
    pytest.param(
        Case(
            S,
            (E(DRUG, 100_000_00, 0, "pembrolizumab"),),
            (Line(DRUG, 100_000_00, 0, 80_000_00),),
            total=80_000_00,
            out_of_pocket=20_000_00,
            deductible_left=20_000_00,
        ),
        id="special-drug-standard-80pct-no-deductible",
    ),
    pytest.param(
        Case(
            P,
            (E(DRUG, 100_000_00, 0, "pembrolizumab"),),
            (Line(DRUG, 100_000_00, 0, 40_000_00),),
            total=40_000_00,
            out_of_pocket=60_000_00,
            deductible_left=30_000_00,
        ),
        id="special-drug-pre-existing-40pct",
    ),
    pytest.param(
        Case(
            S,
            (E(DRUG, 50_000_00, 0, "foo-mab"),),
            (Line(DRUG, 0, 0, 0),),
            total=0,
            out_of_pocket=50_000_00,
            deductible_left=20_000_00,
            not_covered=(NotCovered(0, DRUG, "foo-mab", 50_000_00, "drug_not_on_list"),),
        ),
        id="special-drug-not-on-list",
    ),
    pytest.param(
        Case(
            S,
            (E(IN, 1_000_00), E(DRUG, 50_000_00, 10_000_00)),
            (Line(IN, 1_000_00, 1_000_00, 0), Line(DRUG, 0, 0, 0)),
            total=0,
            out_of_pocket=41_000_00,
            deductible_left=19_000_00,
            not_covered=(NotCovered(1, DRUG, None, 40_000_00, "drug_not_on_list"),),
        ),
        id="special-drug-without-code",
    ),
    pytest.param(
        # a drug code on a liability that is not list-only changes nothing
        Case(
            S,
            (E(IN, 30_000_00, 0, "foo-mab"),),
            (Line(IN, 30_000_00, 20_000_00, 8_000_00),),
            total=8_000_00,
            out_of_pocket=22_000_00,
            deductible_left=0,
        ),
        id="drug-code-ignored-elsewhere",
    ),
    pytest.param(
        Case(
            S,
            (E(PROTON, 100_000_00),),
            (Line(PROTON, 100_000_00, 0, 70_000_00),),
            total=70_000_00,
            out_of_pocket=30_000_00,
            deductible_left=20_000_00,
        ),
        id="proton-standard",
    ),
    pytest.param(
        Case(
            P,
            (E(PROTON, 100_000_00),),
            (Line(PROTON, 100_000_00, 0, 35_000_00),),
            total=35_000_00,
            out_of_pocket=65_000_00,
            deductible_left=30_000_00,
        ),
        id="proton-pre-existing",
    ),
    # -- other_paid -------------------------------------------------------------------
    pytest.param(
        Case(
            S,
            (E(IN, 1_000_00, 2_000_00),),
            (Line(IN, 0, 0, 0),),
            total=0,
            out_of_pocket=0,
            deductible_left=20_000_00,
        ),
        id="other-paid-more-than-amount",
    ),
    pytest.param(
        Case(
            S,
            (E(OUT, 3_000_00, 3_000_00),),
            (Line(OUT, 0, 0, 0),),
            total=0,
            out_of_pocket=0,
            deductible_left=20_000_00,
        ),
        id="other-paid-equals-amount",
    ),
    pytest.param(
        # 150,000 − 50,000 = 100,000 counts: as the worked example, 56,000
        Case(
            S,
            (E(OUT, 150_000_00, 50_000_00),),
            (Line(OUT, 100_000_00, 20_000_00, 56_000_00),),
            total=56_000_00,
            out_of_pocket=44_000_00,
            deductible_left=0,
        ),
        id="other-paid-partial",
    ),
    pytest.param(
        # the over-paid line counts 0 and does not reduce the other line
        Case(
            S,
            (E(PROTON, 1_000_00, 5_000_00), E(PROTON, 2_000_00)),
            (Line(PROTON, 2_000_00, 0, 1_400_00),),
            total=1_400_00,
            out_of_pocket=600_00,
            deductible_left=20_000_00,
        ),
        id="other-paid-excess-does-not-spill",
    ),
    # -- rounding down to the fen -----------------------------------------------------
    pytest.param(
        # 333 × 70% = 233.1 fen → 233
        Case(
            S,
            (E(PROTON, 333),),
            (Line(PROTON, 333, 0, 233),),
            total=233,
            out_of_pocket=100,
            deductible_left=20_000_00,
        ),
        id="round-down-333-fen-70pct",
    ),
    pytest.param(
        # 333 × 35% = 116.55 fen → 116 (not rounded half-up to 117)
        Case(
            P,
            (E(PROTON, 333),),
            (Line(PROTON, 333, 0, 116),),
            total=116,
            out_of_pocket=217,
            deductible_left=30_000_00,
        ),
        id="round-down-333-fen-35pct",
    ),
    pytest.param(
        # deductible used up: 333 × 70% → 233
        Case(
            S,
            (E(OUT, 333),),
            (Line(OUT, 333, 0, 233),),
            total=233,
            out_of_pocket=100,
            deductible_left=0,
            ytd=YearToDate(deductible_used_fen={"hospital": 20_000_00}),
        ),
        id="round-down-after-deductible",
    ),
    pytest.param(
        # (20,000.99 − 20,000) = 99 fen × 80% = 79.2 → 79
        Case(
            S,
            (E(IN, 20_000_99),),
            (Line(IN, 20_000_99, 20_000_00, 79),),
            total=79,
            out_of_pocket=20_000_20,
            deductible_left=0,
        ),
        id="round-down-remainder-after-deductible",
    ),
    pytest.param(
        Case(S, (), (), total=0, out_of_pocket=0, deductible_left=20_000_00),
        id="no-expenses",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_payout_figures(terms, variants, case: Case):
    plan = case.vary(variants) if case.vary else terms
    result = compute_payout(plan, case.tier, case.expenses, case.ytd)
    got = tuple(
        Line(
            line.liability,
            line.eligible_fen,
            line.deductible_applied_fen,
            line.payout_fen,
            line.capped,
        )
        for line in result.lines
    )
    assert got == case.lines
    assert result.total_payout_fen == case.total
    assert result.out_of_pocket_fen == case.out_of_pocket
    assert result.deductible_remaining_fen == {"hospital": case.deductible_left}
    assert result.not_covered == case.not_covered
    assert result.tier == case.tier
    # the definitions hold for every case
    assert result.total_payout_fen == sum(line.payout_fen for line in result.lines)
    net = sum(max(0, e.amount_fen - e.other_paid_fen) for e in case.expenses)
    assert result.out_of_pocket_fen == net - result.total_payout_fen


@pytest.mark.parametrize(
    ("tier", "ratios"),
    [
        pytest.param(S, {IN: 8000, OUT: 7000, DRUG: 8000, PROTON: 7000}, id="standard"),
        pytest.param(P, {IN: 4000, OUT: 3500, DRUG: 4000, PROTON: 3500}, id="pre-existing"),
    ],
)
def test_line_reports_ratio_group_and_raw(terms, tier, ratios):
    expenses = [
        E(IN, 1_000_00),
        E(OUT, 1_000_00),
        E(DRUG, 1_000_00, 0, "olaparib"),
        E(PROTON, 1_000_00),
    ]
    result = compute_payout(terms, tier, expenses)
    assert {line.liability: line.ratio_bp for line in result.lines} == ratios
    assert {line.liability: line.deductible_group for line in result.lines} == {
        IN: "hospital",
        OUT: "hospital",
        DRUG: None,
        PROTON: None,
    }
    # no line is capped here, so before_caps equals payout
    for line in result.lines:
        assert line.before_caps_fen == line.payout_fen
        assert line.capped is None


def test_before_caps_is_the_raw_figure(variants):
    plan = variants.liability(IN, annual_cap_fen=10_000_00)
    (line,) = compute_payout(plan, S, [E(IN, 50_000_00)]).lines
    assert (line.before_caps_fen, line.payout_fen) == (24_000_00, 10_000_00)


def test_tier_may_be_given_as_string(terms):
    result = compute_payout(terms, "pre_existing", [E(PROTON, 100_00)])
    assert result.tier is Tier.PRE_EXISTING
    assert result.total_payout_fen == 35_00


def test_liability_without_expenses_has_no_line(terms):
    result = compute_payout(terms, S, [E(PROTON, 100_00)])
    assert [line.liability for line in result.lines] == [PROTON]


# -- year to date after ------------------------------------------------------------------


def test_year_to_date_after_adds_deductible_and_payouts(terms):
    ytd = YearToDate(
        deductible_used_fen={"hospital": 12_000_00},
        paid_fen={IN: 3_000_00, PROTON: 5_000_00},
    )
    # in: 8,000 deductible left; (30,000 − 8,000) × 80% = 17,600
    # out: 10,000 × 70% = 7,000
    result = compute_payout(terms, S, [E(IN, 30_000_00), E(OUT, 10_000_00)], ytd)
    after = result.year_to_date_after
    assert dict(after.deductible_used_fen) == {"hospital": 20_000_00}
    assert dict(after.paid_fen) == {IN: 20_600_00, OUT: 7_000_00, PROTON: 5_000_00}
    assert after.overall_paid_fen == 32_600_00
    # the input is not changed
    assert dict(ytd.deductible_used_fen) == {"hospital": 12_000_00}
    assert dict(ytd.paid_fen) == {IN: 3_000_00, PROTON: 5_000_00}


def test_year_to_date_after_records_zero_payout_liability(terms):
    result = compute_payout(terms, S, [E(IN, 5_000_00)])
    after = result.year_to_date_after
    assert dict(after.deductible_used_fen) == {"hospital": 5_000_00}
    assert dict(after.paid_fen) == {IN: 0}


def test_year_to_date_after_keeps_overused_deductible(terms):
    ytd = YearToDate(deductible_used_fen={"hospital": 25_000_00})
    result = compute_payout(terms, S, [E(IN, 10_000_00)], ytd)
    assert dict(result.year_to_date_after.deductible_used_fen) == {"hospital": 25_000_00}
    assert dict(result.year_to_date_after.paid_fen) == {IN: 8_000_00}


def test_year_to_date_after_capped_payout(terms):
    ytd = YearToDate({"hospital": 20_000_00}, {IN: 1_499_000_00})
    result = compute_payout(terms, S, [E(IN, 30_000_00)], ytd)
    assert dict(result.year_to_date_after.paid_fen) == {IN: 1_500_000_00}


def test_chaining_two_bills_equals_one_bill(terms):
    """Two bills, the second seeing the first's year-to-date: same as both on one bill."""
    first = compute_payout(terms, S, [E(IN, 15_000_00)])
    second = compute_payout(terms, S, [E(OUT, 10_000_00)], first.year_to_date_after)
    assert (first.total_payout_fen, second.total_payout_fen) == (0, 3_500_00)
    assert second.deductible_remaining_fen == {"hospital": 0}
    assert dict(second.year_to_date_after.paid_fen) == {IN: 0, OUT: 3_500_00}


def test_empty_bill(terms):
    result = compute_payout(terms, S, [])
    assert result.lines == ()
    assert result.not_covered == ()
    assert dict(result.year_to_date_after.deductible_used_fen) == {"hospital": 0}
    assert dict(result.year_to_date_after.paid_fen) == {}
    assert [step.code for step in result.steps] == ["total"]
    assert result.summary.zh == "合计赔付 0 元，个人仍需自付 0 元"
    assert result.summary.en == "Total payout 0 yuan; you still pay 0 yuan"


# -- explanations ------------------------------------------------------------------------


def test_worked_example_explanation(terms):
    result = compute_payout(terms, S, [E(OUT, 100_000_00)])
    assert [(s.code, s.liability) for s in result.steps] == [
        ("eligible", OUT),
        ("deductible", OUT),
        ("ratio", OUT),
        ("total", None),
    ]
    eligible, deductible, ratio, total = result.steps
    assert (
        eligible.text.zh
        == "医保目录外自费费用：费用 100,000 元，其他途径已报销 0 元，可计入 100,000 元"
    )
    assert eligible.text.en == (
        "Out-of-catalog costs: cost 100,000 yuan, paid elsewhere 0 yuan, counts 100,000 yuan"
    )
    assert eligible.values == {
        "index": 0,
        "amount_fen": 100_000_00,
        "other_paid_fen": 0,
        "eligible_fen": 100_000_00,
    }
    assert deductible.text.zh == "住院及门特免赔额还剩 20,000 元，本次抵扣 20,000 元"
    assert deductible.text.en == (
        "Hospital and outpatient special diseases deductible left 20,000 yuan, "
        "20,000 yuan applied now"
    )
    assert deductible.values == {
        "group": "hospital",
        "remaining_before_fen": 20_000_00,
        "applied_fen": 20_000_00,
        "remaining_after_fen": 0,
    }
    assert ratio.text.zh == "（80,000 元）× 70%（标准人群赔付比例）= 56,000 元"
    assert ratio.text.en == "(80,000 yuan) × 70% (standard tier ratio) = 56,000 yuan"
    assert ratio.values == {"base_fen": 80_000_00, "ratio_bp": 7000, "result_fen": 56_000_00}
    assert total.text.zh == "合计赔付 56,000 元，个人仍需自付 44,000 元"
    assert total.values == {"total_payout_fen": 56_000_00, "out_of_pocket_fen": 44_000_00}
    assert result.summary == total.text
    (line,) = result.lines
    assert line.steps == result.steps[:3]
    assert (
        line.explanation.zh
        == "医保目录外自费费用：可计入 100,000 元，抵扣免赔额 20,000 元，按 70% 赔付 56,000 元"
    )
    assert line.explanation.en == (
        "Out-of-catalog costs: 100,000 yuan counts, 20,000 yuan deductible, 70% pays 56,000 yuan"
    )


def test_second_liability_sees_the_deductible_left(terms):
    result = compute_payout(terms, P, [E(IN, 50_000_00), E(OUT, 100_000_00)])
    texts = [s.text.zh for s in result.steps if s.code == "deductible"]
    assert texts == [
        "住院及门特免赔额还剩 30,000 元，本次抵扣 30,000 元",
        "住院及门特免赔额还剩 0 元，本次抵扣 0 元",
    ]
    ratios = [s.text.zh for s in result.steps if s.code == "ratio"]
    assert ratios == [
        "（20,000 元）× 40%（特定既往症人群赔付比例）= 8,000 元",
        "（100,000 元）× 35%（特定既往症人群赔付比例）= 35,000 元",
    ]
    assert result.summary.zh == "合计赔付 43,000 元，个人仍需自付 107,000 元"


def test_rounding_is_explained(terms):
    result = compute_payout(terms, S, [E(PROTON, 333)])
    codes = [s.code for s in result.steps]
    assert codes == ["eligible", "no_deductible", "ratio", "total"]
    no_deductible, ratio = result.steps[1], result.steps[2]
    assert no_deductible.text.zh == "质子重离子治疗费用不设免赔额"
    assert no_deductible.text.en == "Proton and heavy-ion therapy has no deductible"
    assert ratio.text.zh == "（3.33 元）× 70%（标准人群赔付比例）= 2.33 元（不足 1 分的部分舍去）"
    assert ratio.text.en == (
        "(3.33 yuan) × 70% (standard tier ratio) = 2.33 yuan (rounded down to the fen)"
    )


def test_exact_ratio_has_no_rounding_note(terms):
    result = compute_payout(terms, S, [E(PROTON, 1_000_00)])
    ratio = next(s for s in result.steps if s.code == "ratio")
    assert ratio.text.zh == "（1,000 元）× 70%（标准人群赔付比例）= 700 元"


def test_liability_cap_step(variants):
    plan = variants.liability(IN, annual_cap_fen=10_000_00)
    result = compute_payout(plan, S, [E(IN, 50_000_00)])
    caps = [s for s in result.steps if s.code == "liability_cap"]
    assert len(caps) == 1
    (cap,) = caps
    assert cap.liability == IN
    assert (
        cap.text.zh
        == "医保目录内个人自付费用年度限额 10,000 元，还剩 10,000 元，本次赔付 10,000 元"
    )
    assert cap.text.en == (
        "In-catalog self-paid costs annual cap 10,000 yuan, 10,000 yuan left: pays 10,000 yuan"
    )
    assert cap.values == {"cap_fen": 10_000_00, "remaining_fen": 10_000_00, "payout_fen": 10_000_00}
    assert not [s for s in result.steps if s.code == "overall_cap"]
    (line,) = result.lines
    assert line.explanation.zh.endswith("按 80% 赔付 10,000 元（已达该责任年度限额）")
    assert line.explanation.en.endswith(
        "80% pays 10,000 yuan (this liability's annual cap reached)"
    )


def test_liability_cap_step_with_year_to_date(terms):
    ytd = YearToDate({"hospital": 20_000_00}, {IN: 1_499_000_00})
    result = compute_payout(terms, S, [E(IN, 30_000_00)], ytd)
    (cap,) = [s for s in result.steps if s.code == "liability_cap"]
    assert cap.text.zh == (
        "医保目录内个人自付费用年度限额 1,500,000 元，还剩 1,000 元，本次赔付 1,000 元"
    )


def test_overall_cap_step(variants):
    plan = variants.replace(overall_cap_fen=30_000_00)
    result = compute_payout(plan, S, [E(IN, 50_000_00), E(OUT, 20_000_00)])
    (cap,) = [s for s in result.steps if s.code == "overall_cap"]
    assert cap.liability == OUT
    assert cap.text.zh == "年度总限额 30,000 元，还剩 6,000 元，本次赔付 6,000 元"
    assert cap.text.en == "Overall annual cap 30,000 yuan, 6,000 yuan left: pays 6,000 yuan"
    assert cap.values == {"cap_fen": 30_000_00, "remaining_fen": 6_000_00, "payout_fen": 6_000_00}
    assert not [s for s in result.steps if s.code == "liability_cap"]
    assert result.lines[1].explanation.zh.endswith("按 70% 赔付 6,000 元（已达年度总限额）")
    assert result.lines[1].explanation.en.endswith("(overall annual cap reached)")


def test_both_cap_steps_when_both_bind(variants):
    plan = variants.replace(
        variants.liability(IN, annual_cap_fen=10_000_00), overall_cap_fen=5_000_00
    )
    result = compute_payout(plan, S, [E(IN, 50_000_00)])
    codes = [s.code for s in result.lines[0].steps]
    assert codes == ["eligible", "deductible", "ratio", "liability_cap", "overall_cap"]
    liability_cap, overall_cap = result.lines[0].steps[3:]
    assert liability_cap.values["payout_fen"] == 10_000_00
    assert overall_cap.values == {
        "cap_fen": 5_000_00,
        "remaining_fen": 5_000_00,
        "payout_fen": 5_000_00,
    }


def test_special_drug_steps(terms):
    result = compute_payout(
        terms, S, [E(DRUG, 50_000_00, 0, "foo-mab"), E(DRUG, 100_000_00, 0, "pembrolizumab")]
    )
    codes = [s.code for s in result.steps]
    assert codes == ["not_covered", "drug_on_list", "eligible", "no_deductible", "ratio", "total"]
    not_covered, on_list = result.steps[0], result.steps[1]
    assert not_covered.liability == DRUG
    assert not_covered.text.zh == "药品 foo-mab 不在本计划特药清单内，50,000 元不予赔付"
    assert not_covered.text.en == (
        "Drug foo-mab is not on this plan's special-drug list: 50,000 yuan not covered"
    )
    assert not_covered.values == {
        "index": 0,
        "drug_code": "foo-mab",
        "amount_fen": 50_000_00,
        "reason": "drug_not_on_list",
    }
    assert on_list.text.zh == "药品 帕博利珠单抗注射液（可瑞达）在特药清单内"
    assert on_list.text.en == "Drug pembrolizumab (Keytruda) is on the special-drug list"
    assert on_list.values == {"index": 1, "drug_code": "pembrolizumab"}
    assert result.total_payout_fen == 80_000_00
    assert result.out_of_pocket_fen == 70_000_00


def test_special_drug_without_code_step(terms):
    result = compute_payout(terms, S, [E(DRUG, 50_000_00)])
    (not_covered,) = [s for s in result.steps if s.code == "not_covered"]
    assert not_covered.text.zh == "药品 — 不在本计划特药清单内，50,000 元不予赔付"
    assert not_covered.values["drug_code"] is None
    assert result.total_payout_fen == 0


def test_steps_as_dict(terms):
    result = compute_payout(terms, S, [E(OUT, 100_000_00)])
    assert result.steps[1].as_dict() == {
        "code": "deductible",
        "liability": OUT,
        "values": {
            "group": "hospital",
            "remaining_before_fen": 20_000_00,
            "applied_fen": 20_000_00,
            "remaining_after_fen": 0,
        },
        "zh": "住院及门特免赔额还剩 20,000 元，本次抵扣 20,000 元",
        "en": "Hospital and outpatient special diseases deductible left 20,000 yuan, "
        "20,000 yuan applied now",
    }


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expenses", "field", "code"),
    [
        pytest.param(
            [E("dental", 100)], "expenses.0.liability", "unknown_liability", id="unknown-liability"
        ),
        pytest.param(
            [E(IN, 100), E(OUT, 100), E("IN_CATALOG", 100)],
            "expenses.2.liability",
            "unknown_liability",
            id="unknown-liability-third-line",
        ),
        pytest.param([E(IN, -1)], "expenses.0.amount_fen", "invalid_amount", id="negative"),
        pytest.param(
            [E(IN, 100), E(IN, True)], "expenses.1.amount_fen", "invalid_amount", id="bool-true"
        ),
        pytest.param([E(IN, False)], "expenses.0.amount_fen", "invalid_amount", id="bool-false"),
        pytest.param([E(IN, 1.5)], "expenses.0.amount_fen", "invalid_amount", id="float"),
        pytest.param([E(IN, 100.0)], "expenses.0.amount_fen", "invalid_amount", id="whole-float"),
        pytest.param([E(IN, "100")], "expenses.0.amount_fen", "invalid_amount", id="string"),
        pytest.param([E(IN, None)], "expenses.0.amount_fen", "invalid_amount", id="none"),
        pytest.param(
            [E(IN, 100, -5)],
            "expenses.0.other_paid_fen",
            "invalid_amount",
            id="negative-other-paid",
        ),
        pytest.param(
            [E(OUT, 100), E(IN, 100, 5.0)],
            "expenses.1.other_paid_fen",
            "invalid_amount",
            id="float-other-paid",
        ),
        pytest.param(
            [E(PROTON, 100)] * (MAX_EXPENSE_LINES + 1), "expenses", "too_many_lines", id="201-lines"
        ),
    ],
)
def test_bad_expenses(terms, expenses, field, code):
    with pytest.raises(RuleInputError) as info:
        compute_payout(terms, S, expenses)
    assert info.value.field == field
    assert info.value.code == code
    assert info.value.message_en
    assert info.value.message_zh


def test_200_lines_are_allowed(terms):
    assert MAX_EXPENSE_LINES == 200
    # 200 × 100 yuan = 20,000 yuan of proton therapy × 70% = 14,000 yuan
    result = compute_payout(terms, S, [E(PROTON, 100_00)] * 200)
    assert result.total_payout_fen == 14_000_00
    assert result.out_of_pocket_fen == 6_000_00


@pytest.mark.parametrize(
    ("ytd", "field"),
    [
        pytest.param(
            YearToDate(deductible_used_fen={"hospital": -1}),
            "year_to_date.deductible_used_fen.hospital",
            id="negative-deductible-used",
        ),
        pytest.param(
            YearToDate(paid_fen={IN: True}), "year_to_date.paid_fen.in_catalog", id="bool-paid"
        ),
        pytest.param(
            YearToDate(paid_fen={OUT: 1.0}), "year_to_date.paid_fen.out_of_catalog", id="float-paid"
        ),
    ],
)
def test_bad_year_to_date(terms, ytd, field):
    with pytest.raises(RuleInputError) as info:
        compute_payout(terms, S, [E(IN, 100)], ytd)
    assert info.value.field == field
    assert info.value.code == "invalid_amount"
