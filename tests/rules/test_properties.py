"""Properties of the engine over random bills and year-to-date states."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.payout import Expense, YearToDate, compute_payout
from app.rules.pricing import quote_premium
from app.rules.terms import Terms, Tier

LIABILITIES = ("in_catalog", "out_of_catalog", "special_drugs", "proton_heavy_ion")
LISTED_DRUGS = ("axi-cel", "pembrolizumab", "olaparib", "lenvatinib")
MAX_AMOUNT_FEN = 5_000_000_00  # 5,000,000 yuan

SETTINGS = settings(max_examples=200, deadline=None)

amounts = st.integers(min_value=0, max_value=MAX_AMOUNT_FEN)
# small amounts too, so that the deductible and rounding are exercised
small_or_large = st.one_of(st.integers(min_value=0, max_value=50_000_00), amounts)


@st.composite
def expenses(draw: st.DrawFn) -> Expense:
    liability = draw(st.sampled_from(LIABILITIES))
    amount = draw(small_or_large)
    other_paid = draw(st.one_of(st.just(0), small_or_large))
    drug_code = draw(st.one_of(st.none(), st.sampled_from(LISTED_DRUGS), st.just("not-a-drug")))
    return Expense(liability, amount, other_paid, drug_code)


@st.composite
def year_to_date(draw: st.DrawFn) -> YearToDate:
    used = draw(st.integers(min_value=0, max_value=40_000_00))
    paid = {
        code: draw(st.integers(min_value=0, max_value=cap))
        for code, cap in (
            ("in_catalog", 1_500_000_00),
            ("out_of_catalog", 1_500_000_00),
            ("special_drugs", 1_000_000_00),
            ("proton_heavy_ion", 500_000_00),
        )
        if draw(st.booleans())
    }
    return YearToDate({"hospital": used} if draw(st.booleans()) else {}, paid)


bills = st.lists(expenses(), min_size=1, max_size=6)
tiers = st.sampled_from([Tier.STANDARD, Tier.PRE_EXISTING])
ytds = st.one_of(st.just(YearToDate()), year_to_date())


def plans(base: Terms) -> st.SearchStrategy[Terms]:
    """The sample terms, or a variant with small caps so that the caps bind often."""
    small = dataclasses.replace(
        base,
        overall_cap_fen=200_000_00,
        liabilities=tuple(
            dataclasses.replace(item, annual_cap_fen=item.annual_cap_fen // 20)
            for item in base.liabilities
        ),
    )
    return st.sampled_from([base, small])


def net(expense: Expense) -> int:
    return max(0, expense.amount_fen - expense.other_paid_fen)


@SETTINGS
@given(data=st.data(), tier=tiers, bill=bills, ytd=ytds)
def test_payout_invariants(terms, data, tier, bill, ytd):
    plan = data.draw(plans(terms), label="plan")
    result = compute_payout(plan, tier, bill, ytd)
    total_net = sum(net(e) for e in bill)

    # never more than what the member paid, never a negative out-of-pocket
    assert 0 <= result.total_payout_fen <= total_net
    assert result.out_of_pocket_fen == total_net - result.total_payout_fen
    assert result.out_of_pocket_fen >= 0
    assert result.total_payout_fen == sum(line.payout_fen for line in result.lines)

    overall_left = max(0, plan.overall_cap_fen - ytd.overall_paid_fen)
    assert result.total_payout_fen <= overall_left

    group_left = {
        group.code: max(0, group.amount_fen[tier] - ytd.deductible_used_fen.get(group.code, 0))
        for group in plan.deductible_groups
    }
    applied_per_group: dict[str, int] = {}
    for line in result.lines:
        liability = plan.liability(line.liability)
        assert liability is not None
        liability_left = max(0, liability.annual_cap_fen - ytd.paid_fen.get(line.liability, 0))
        assert 0 <= line.payout_fen <= liability_left
        assert 0 <= line.deductible_applied_fen <= line.eligible_fen
        assert line.payout_fen <= line.before_caps_fen
        assert line.payout_fen <= line.eligible_fen - line.deductible_applied_fen
        assert line.ratio_bp == liability.ratio_bp[tier]
        assert line.capped in (None, "liability", "overall")
        assert (line.capped is None) == (line.payout_fen == line.before_caps_fen)
        if line.deductible_group is None:
            assert line.deductible_applied_fen == 0
        else:
            applied_per_group[line.deductible_group] = (
                applied_per_group.get(line.deductible_group, 0) + line.deductible_applied_fen
            )
        # eligible = the net of its lines, minus drugs not on the list
        own = [e for e in bill if e.liability == line.liability]
        if liability.drug_list_only:
            own = [e for e in own if e.drug_code and plan.drug(e.drug_code)]
        assert line.eligible_fen == sum(net(e) for e in own)
    for code, applied in applied_per_group.items():
        assert applied <= group_left[code]
        assert result.deductible_remaining_fen[code] == group_left[code] - applied

    # not covered: special drugs not on the list (or without a code)
    assert [nc.index for nc in result.not_covered] == [
        i
        for i, e in enumerate(bill)
        if e.liability == "special_drugs" and (e.drug_code is None or not plan.drug(e.drug_code))
    ]
    assert all(nc.reason == "drug_not_on_list" for nc in result.not_covered)

    # year to date after = before + this bill
    after = result.year_to_date_after
    for code in group_left:
        assert after.deductible_used_fen[code] == ytd.deductible_used_fen.get(
            code, 0
        ) + applied_per_group.get(code, 0)
    for line in result.lines:
        assert after.paid_fen[line.liability] == ytd.paid_fen.get(line.liability, 0) + (
            line.payout_fen
        )
    assert after.overall_paid_fen == ytd.overall_paid_fen + result.total_payout_fen

    # all figures are ints (not bool, not float, not Decimal)
    figures = [result.total_payout_fen, result.out_of_pocket_fen]
    figures += list(result.deductible_remaining_fen.values())
    figures += list(after.deductible_used_fen.values()) + list(after.paid_fen.values())
    for line in result.lines:
        figures += [
            line.eligible_fen,
            line.deductible_applied_fen,
            line.ratio_bp,
            line.before_caps_fen,
            line.payout_fen,
        ]
    figures += [nc.amount_fen for nc in result.not_covered]
    assert all(type(value) is int for value in figures)

    # every step has both languages
    assert all(step.text.zh and step.text.en for step in result.steps)
    assert result.steps[-1].code == "total"


@SETTINGS
@given(data=st.data(), tier=tiers, bill=bills, ytd=ytds)
def test_payout_is_monotone_in_an_amount(terms, data, tier, bill, ytd):
    plan = data.draw(plans(terms), label="plan")
    index = data.draw(st.integers(min_value=0, max_value=len(bill) - 1), label="index")
    extra = data.draw(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN), label="extra")
    bigger = list(bill)
    bigger[index] = dataclasses.replace(bill[index], amount_fen=bill[index].amount_fen + extra)

    before = compute_payout(plan, tier, bill, ytd)
    after = compute_payout(plan, tier, bigger, ytd)
    assert after.total_payout_fen >= before.total_payout_fen


@SETTINGS
@given(data=st.data(), bill=bills, ytd=ytds)
def test_standard_tier_pays_at_least_pre_existing(terms, data, bill, ytd):
    plan = data.draw(plans(terms), label="plan")
    standard = compute_payout(plan, Tier.STANDARD, bill, ytd)
    pre_existing = compute_payout(plan, Tier.PRE_EXISTING, bill, ytd)
    assert standard.total_payout_fen >= pre_existing.total_payout_fen


@SETTINGS
@given(tier=tiers, bill=bills, ytd=ytds)
def test_expense_order_does_not_matter(terms, tier, bill, ytd):
    forward = compute_payout(terms, tier, bill, ytd)
    backward = compute_payout(terms, tier, list(reversed(bill)), ytd)
    assert forward.total_payout_fen == backward.total_payout_fen
    assert [(line.liability, line.payout_fen) for line in forward.lines] == [
        (line.liability, line.payout_fen) for line in backward.lines
    ]


@SETTINGS
@given(birth_date=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_premium_rules_are_total(terms, birth_date):
    quote = quote_premium(terms, birth_date)
    if birth_date >= date(2022, 7, 1):
        assert (quote.rule, quote.premium_fen) == ("newborn", 99_00)
    else:
        assert (quote.rule, quote.premium_fen) == ("standard", 129_00)
    assert len(quote.steps) == 1
    assert type(quote.premium_fen) is int
