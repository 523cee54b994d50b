"""Premium per person: the first matching rule of the plan's ordered list wins."""

from __future__ import annotations

from datetime import date

import pytest

from app.rules.errors import RuleInputError
from app.rules.pricing import quote_premium, rule_matches
from app.rules.terms import PremiumRule, Text

NEWBORN_ZH = "在 2022-07-01 当天或之后出生"
NEWBORN_EN = "born on or after 2022-07-01"


@pytest.mark.parametrize(
    ("birth_date", "premium_fen", "rule"),
    [
        pytest.param(date(2022, 7, 1), 99_00, "newborn", id="cut-off-day-is-newborn"),
        pytest.param(date(2022, 6, 30), 129_00, "standard", id="day-before-cut-off-is-standard"),
        pytest.param(date(2023, 5, 20), 99_00, "newborn", id="born-during-window"),
        pytest.param(date(2022, 12, 31), 99_00, "newborn", id="newborn-end-of-2022"),
        pytest.param(date(1990, 3, 15), 129_00, "standard", id="adult"),
        pytest.param(date(1938, 1, 1), 129_00, "standard", id="elderly"),
        pytest.param(date(2010, 2, 28), 129_00, "standard", id="child"),
    ],
)
def test_xm_2023_premium(terms, birth_date, premium_fen, rule):
    quote = quote_premium(terms, birth_date)
    assert quote.premium_fen == premium_fen
    assert quote.rule == rule
    assert quote.birth_date == birth_date


@pytest.mark.parametrize(
    ("birth_date", "zh", "en"),
    [
        pytest.param(
            date(2022, 7, 1),
            f"出生日期 2022-07-01，{NEWBORN_ZH}，适用“新生儿保费”，保费 99 元",
            f"Born 2022-07-01, {NEWBORN_EN}: the newborn premium rule applies, premium 99 yuan",
            id="newborn",
        ),
        pytest.param(
            date(1990, 3, 15),
            "出生日期 1990-03-15，不限出生日期，适用“标准保费”，保费 129 元",
            "Born 1990-03-15, any birth date: the standard premium rule applies, premium 129 yuan",
            id="standard",
        ),
    ],
)
def test_quote_has_one_step_naming_rule_and_amount(terms, birth_date, zh, en):
    quote = quote_premium(terms, birth_date)
    assert len(quote.steps) == 1
    (step,) = quote.steps
    assert step.code == "premium_rule"
    assert step.text.zh == zh
    assert step.text.en == en
    assert step.values["rule"] == quote.rule
    assert step.values["premium_fen"] == quote.premium_fen
    assert step.as_dict()["zh"] == zh
    assert step.as_dict()["en"] == en


def test_step_values_carry_the_rule_bounds(terms):
    newborn = quote_premium(terms, date(2022, 7, 1)).steps[0]
    assert dict(newborn.values) == {
        "rule": "newborn",
        "premium_fen": 99_00,
        "born_on_or_after": "2022-07-01",
        "born_before": None,
    }
    standard = quote_premium(terms, date(2022, 6, 30)).steps[0]
    assert dict(standard.values) == {
        "rule": "standard",
        "premium_fen": 129_00,
        "born_on_or_after": None,
        "born_before": None,
    }


SENIOR = PremiumRule(
    code="senior",
    name=Text("长者保费", "senior premium"),
    premium_fen=159_00,
    born_before=date(1958, 1, 1),
)
MIDDLE = PremiumRule(
    code="middle",
    name=Text("中年保费", "middle-age premium"),
    premium_fen=139_00,
    born_on_or_after=date(1958, 1, 1),
    born_before=date(1973, 1, 1),
)


@pytest.mark.parametrize(
    ("birth_date", "premium_fen", "rule"),
    [
        pytest.param(date(1957, 12, 31), 159_00, "senior", id="day-before-born-before"),
        pytest.param(date(1930, 6, 1), 159_00, "senior", id="well-before"),
        pytest.param(date(1958, 1, 1), 139_00, "middle", id="born-before-is-exclusive"),
        pytest.param(date(1972, 12, 31), 139_00, "middle", id="last-day-of-range"),
        pytest.param(date(1973, 1, 1), 129_00, "standard", id="range-upper-bound-exclusive"),
        pytest.param(date(2022, 7, 1), 99_00, "newborn", id="newborn-still-first"),
    ],
)
def test_born_before_rules(variants, terms, birth_date, premium_fen, rule):
    newborn, standard = terms.premium_rules
    varied = variants.replace(premium_rules=(newborn, SENIOR, MIDDLE, standard))
    quote = quote_premium(varied, birth_date)
    assert (quote.premium_fen, quote.rule) == (premium_fen, rule)


def test_born_before_step_text(variants, terms):
    newborn, standard = terms.premium_rules
    varied = variants.replace(premium_rules=(newborn, SENIOR, MIDDLE, standard))
    senior = quote_premium(varied, date(1950, 1, 2)).steps[0]
    assert senior.text.zh == (
        "出生日期 1950-01-02，在 1958-01-01 之前出生，适用“长者保费”，保费 159 元"
    )
    assert senior.text.en == (
        "Born 1950-01-02, born before 1958-01-01: the senior premium rule applies, premium 159 yuan"
    )
    assert senior.values["born_before"] == "1958-01-01"
    middle = quote_premium(varied, date(1960, 1, 2)).steps[0]
    assert middle.text.zh == (
        "出生日期 1960-01-02，在 1958-01-01 至 1973-01-01（不含）之间出生，"
        "适用“中年保费”，保费 139 元"
    )
    assert middle.text.en.startswith(
        "Born 1960-01-02, born on or after 1958-01-01 and before 1973-01-01: "
        "the middle-age premium rule applies"
    )


def test_first_matching_rule_wins_over_later_ones(variants, terms):
    newborn, standard = terms.premium_rules
    # standard first: it matches everybody, so the newborn rule is never reached
    varied = variants.replace(premium_rules=(standard, newborn))
    quote = quote_premium(varied, date(2023, 1, 1))
    assert (quote.premium_fen, quote.rule) == (129_00, "standard")


@pytest.mark.parametrize(
    ("field", "expected_field"),
    [
        pytest.param(None, "birth_date", id="default-field"),
        pytest.param("members.2.birth_date", "members.2.birth_date", id="caller-field"),
    ],
)
def test_no_matching_rule_raises(variants, terms, field, expected_field):
    newborn = terms.premium_rules[0]
    varied = variants.replace(premium_rules=(newborn,))
    kwargs = {} if field is None else {"field": field}
    with pytest.raises(RuleInputError) as info:
        quote_premium(varied, date(2022, 6, 30), **kwargs)
    assert info.value.field == expected_field
    assert info.value.code == "no_premium_rule"
    assert info.value.message_en
    assert info.value.message_zh
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("rule", "birth_date", "expected"),
    [
        pytest.param(SENIOR, date(1957, 12, 31), True, id="before-bound"),
        pytest.param(SENIOR, date(1958, 1, 1), False, id="on-bound"),
        pytest.param(MIDDLE, date(1958, 1, 1), True, id="on-lower-bound"),
        pytest.param(MIDDLE, date(1957, 12, 31), False, id="below-lower-bound"),
        pytest.param(MIDDLE, date(1973, 1, 1), False, id="on-upper-bound"),
    ],
)
def test_rule_matches(rule, birth_date, expected):
    assert rule_matches(rule, birth_date) is expected
