"""Coverage tier from the health declaration and the enrollment history (plan year 2023)."""

from __future__ import annotations

import pytest

from app.rules.errors import RuleInputError
from app.rules.terms import Tier
from app.rules.tier import PriorYear, determine_tier, unbroken_chain

S, P = Tier.STANDARD, Tier.PRE_EXISTING


def years(*pairs: tuple[int, Tier]) -> tuple[PriorYear, ...]:
    return tuple(PriorYear(year, tier) for year, tier in pairs)


@pytest.mark.parametrize(
    ("declared", "history", "tier", "codes", "since"),
    [
        pytest.param((), (), S, ["no_conditions"], None, id="no-conditions"),
        pytest.param(
            (), years((2022, P)), S, ["no_conditions"], None, id="no-conditions-ignores-history"
        ),
        pytest.param(
            ("diabetes",),
            (),
            P,
            ["declared_conditions", "enrollment_chain", "pre_existing"],
            None,
            id="declared-no-history",
        ),
        pytest.param(
            ("diabetes",),
            years((2021, S), (2022, S)),
            S,
            ["declared_conditions", "enrollment_chain", "continuous_enrollment"],
            2021,
            id="unbroken-chain-standard-since-2021",
        ),
        pytest.param(
            ("diabetes",),
            years((2022, S)),
            S,
            ["declared_conditions", "enrollment_chain", "continuous_enrollment"],
            2022,
            id="last-year-standard",
        ),
        pytest.param(
            ("heart_disease",),
            years((2020, P), (2021, S), (2022, S)),
            S,
            ["declared_conditions", "enrollment_chain", "continuous_enrollment"],
            2021,
            id="since-first-standard-year-of-chain",
        ),
        pytest.param(
            ("diabetes",),
            years((2021, S)),
            P,
            ["declared_conditions", "enrollment_chain", "pre_existing"],
            None,
            id="chain-broken-2022-missing",
        ),
        pytest.param(
            ("diabetes",),
            years((2019, S), (2020, S), (2022, P)),
            P,
            ["declared_conditions", "enrollment_chain", "pre_existing"],
            None,
            id="standard-years-before-a-break",
        ),
        pytest.param(
            ("copd",),
            years((2021, P), (2022, P)),
            P,
            ["declared_conditions", "enrollment_chain", "pre_existing"],
            None,
            id="chain-only-pre-existing",
        ),
        pytest.param(
            ("diabetes",),
            years((2023, S), (2024, S)),
            P,
            ["declared_conditions", "enrollment_chain", "pre_existing"],
            None,
            id="same-and-later-years-ignored",
        ),
        pytest.param(
            ("diabetes",),
            years((2022, S), (2023, P)),
            S,
            ["declared_conditions", "enrollment_chain", "continuous_enrollment"],
            2022,
            id="same-year-entry-ignored-not-breaking",
        ),
    ],
)
def test_determine_tier(terms, declared, history, tier, codes, since):
    result = determine_tier(terms, declared, history)
    assert result.tier == tier
    assert [step.code for step in result.reasons] == codes
    for step in result.reasons:
        assert step.text.zh
        assert step.text.en
    keep = [step for step in result.reasons if step.code == "continuous_enrollment"]
    if since is None:
        assert keep == []
    else:
        (step,) = keep
        assert step.values["since_year"] == since
        assert step.values["tier"] == "standard"
        assert f"自 {since} 年起连续参保未中断" in step.text.zh
        assert f"since {since}" in step.text.en


def test_no_conditions_reason_text(terms):
    result = determine_tier(terms, [])
    (step,) = result.reasons
    assert step.text.zh == "未申报任何特定既往症，属于标准人群"
    assert step.text.en == "No listed pre-existing condition declared: standard tier"
    assert step.values == {"tier": "standard"}


def test_continuous_enrollment_reason_texts(terms):
    result = determine_tier(terms, ["diabetes"], years((2021, S), (2022, S)))
    declared, chain, keep = result.reasons
    assert declared.text.zh == "申报了特定既往症：糖尿病"
    assert declared.text.en == "Declared pre-existing condition(s): diabetes"
    assert chain.text.zh == "此前连续参保年度：2021、2022"
    assert chain.text.en == "Earlier years enrolled without a break: 2021, 2022"
    assert chain.values == {"years": "2021,2022"}
    assert (
        keep.text.zh
        == "自 2021 年起连续参保未中断，且该年度为标准人群，2023 年度继续按标准人群保障"
    )
    assert keep.text.en == (
        "Enrolled without a break since 2021, when the tier was standard: "
        "2023 keeps the standard tier"
    )


def test_pre_existing_reason_texts(terms):
    result = determine_tier(terms, ["diabetes"], years((2021, S)))
    _, chain, last = result.reasons
    assert chain.text.zh == "没有上一年度起连续参保的记录，人群按本年度健康告知确定"
    assert chain.text.en == (
        "No unbroken enrollment up to last year on record: the tier follows this year's declaration"
    )
    assert chain.values == {"years": ""}
    assert last.values == {"tier": "pre_existing"}
    assert last.text.zh.startswith("因申报特定既往症，属于特定既往症人群")


def test_duplicates_are_deduplicated_in_order(terms):
    result = determine_tier(terms, ["copd", "diabetes", "copd", "diabetes"])
    declared = result.reasons[0]
    assert declared.values == {"conditions": "copd,diabetes"}
    assert declared.text.zh == "申报了特定既往症：慢性阻塞性肺疾病、糖尿病"
    assert declared.text.en == (
        "Declared pre-existing condition(s): chronic obstructive pulmonary disease (COPD), diabetes"
    )
    assert result.tier == P


def test_declared_conditions_may_be_any_iterable(terms):
    result = determine_tier(terms, (code for code in ["sle"]), iter(years((2022, S))))
    assert result.tier == S


@pytest.mark.parametrize(
    ("declared", "field", "code"),
    [
        pytest.param(["flu"], "declared_conditions.0", "flu", id="only-unknown"),
        pytest.param(["diabetes", "flu"], "declared_conditions.1", "flu", id="second-unknown"),
        pytest.param(
            ["diabetes", "copd", "Diabetes"], "declared_conditions.2", "Diabetes", id="case-matters"
        ),
        pytest.param(["", "diabetes"], "declared_conditions.0", "", id="empty-code"),
    ],
)
def test_unknown_condition(terms, declared, field, code):
    with pytest.raises(RuleInputError) as info:
        determine_tier(terms, declared)
    assert info.value.field == field
    assert info.value.code == "unknown_condition"
    assert code in info.value.message_en
    assert code in info.value.message_zh


def test_unknown_condition_field_uses_the_callers_prefix(terms):
    with pytest.raises(RuleInputError) as info:
        determine_tier(terms, ["flu"], field="members.1.declared_conditions")
    assert info.value.field == "members.1.declared_conditions.0"


def test_unknown_condition_after_a_duplicate_names_the_input_index(terms):
    """The field must point at the bad element of the list the caller sent.

    Input index 2 is "flu"; index 1 is a (valid) repeat of "diabetes".
    """
    with pytest.raises(RuleInputError) as info:
        determine_tier(terms, ["diabetes", "diabetes", "flu"])
    assert info.value.field == "declared_conditions.2"


def test_no_continuous_enrollment_rule_means_pre_existing(variants):
    varied = variants.replace(continuous_enrollment="none")
    result = determine_tier(varied, ["diabetes"], years((2021, S), (2022, S)))
    assert result.tier == P
    assert [step.code for step in result.reasons] == ["declared_conditions", "pre_existing"]


@pytest.mark.parametrize(
    ("history", "chain_years"),
    [
        pytest.param((), [], id="empty"),
        pytest.param(years((2022, S)), [2022], id="last-year"),
        pytest.param(years((2022, P), (2020, S), (2021, S)), [2020, 2021, 2022], id="unordered"),
        pytest.param(years((2019, S), (2021, S), (2022, S)), [2021, 2022], id="stops-at-gap"),
        pytest.param(years((2021, S)), [], id="gap-last-year"),
        pytest.param(years((2023, S), (2025, S)), [], id="future-ignored"),
    ],
)
def test_unbroken_chain(history, chain_years):
    assert [item.plan_year for item in unbroken_chain(2023, history)] == chain_years
