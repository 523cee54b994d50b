"""Resident identity numbers (GB 11643-1999) and HK/Macao/Taiwan residence permits.

Valid fixtures are built from 17-digit prefixes with `check_character`; the two
GB examples (11010519491231002X, 440524188001010014) pin the algorithm itself.
"""

from __future__ import annotations

import pickle
import traceback
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.identity.regions import PERMIT_REGIONS, PROVINCES, province_name
from app.identity.resident_id import (
    InvalidResidentId,
    ResidentId,
    check_character,
    parse_resident_id,
)

TODAY = date(2024, 6, 1)
SETTINGS = settings(max_examples=300, deadline=None)
ALL_CHECK_CHARACTERS = "0123456789X"


def make(first17: str) -> str:
    """A number with the right check character."""
    return first17 + check_character(first17)


def wrong_last(number: str) -> str:
    """The same number with another (wrong) check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def parse_error(value: object, today: date | None = TODAY) -> InvalidResidentId:
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(value, today=today)  # type: ignore[arg-type]
    return info.value


GB_EXAMPLE = "11010519491231002X"
XIAMEN_MALE = make("35020319900101123")  # 17th digit 3: male
XIAMEN_FEMALE = make("35020319851120004")  # 17th digit 4: female
HK_PERMIT = make("81000019900101123")
MO_PERMIT = make("82000020000229002")
TW_PERMIT = make("83000019750615001")
TAIWAN_PROVINCE = make("71000019800101005")  # 71: a mainland-format number


# --- check_character -------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        pytest.param("11010519491231002", "X", id="gb-example-beijing"),
        pytest.param("44052418800101001", "4", id="gb-example-guangdong"),
    ],
)
def test_check_character_known_examples(first17: str, expected: str) -> None:
    assert check_character(first17) == expected


def test_check_character_takes_every_value() -> None:
    """The sequence digits alone drive the check character through all 11 values."""
    seen = {check_character(f"35020319900101{seq:03d}") for seq in range(1000)}
    assert seen == set(ALL_CHECK_CHARACTERS)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1101051949123100", id="16-digits"),
        pytest.param("11010519491231002X", id="18-characters"),
        pytest.param("1101051949123100A", id="letter"),
        pytest.param("１１０１０５１９４９１２３１００２", id="full-width-digits"),
        pytest.param("", id="empty"),
        pytest.param(11010519491231002, id="int"),
    ],
)
def test_check_character_rejects_anything_but_17_ascii_digits(value: object) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits") as info:
        check_character(value)  # type: ignore[arg-type]
    if len(str(value)) >= 6:
        assert str(value) not in str(info.value)


# --- valid numbers -----------------------------------------------------------


def parsed(number: str, kind: str, birth_date: date, sex: str) -> ResidentId:
    return ResidentId(
        number=number, kind=kind, region_code=number[:6], birth_date=birth_date, sex=sex
    )


GB_PARSED = parsed(GB_EXAMPLE, "mainland", date(1949, 12, 31), "female")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(GB_EXAMPLE, GB_PARSED, id="gb-example"),
        pytest.param("11010519491231002x", GB_PARSED, id="lower-case-x-normalized"),
        pytest.param(f"  {GB_EXAMPLE}\n", GB_PARSED, id="surrounding-whitespace-stripped"),
        pytest.param(f"\u3000{GB_EXAMPLE}\t", GB_PARSED, id="ideographic-space-stripped"),
        pytest.param(
            XIAMEN_MALE,
            parsed(XIAMEN_MALE, "mainland", date(1990, 1, 1), "male"),
            id="mainland-male",
        ),
        pytest.param(
            XIAMEN_FEMALE,
            parsed(XIAMEN_FEMALE, "mainland", date(1985, 11, 20), "female"),
            id="mainland-female",
        ),
        pytest.param(
            TAIWAN_PROVINCE,
            parsed(TAIWAN_PROVINCE, "mainland", date(1980, 1, 1), "male"),
            id="province-71-taiwan-is-mainland-format",
        ),
        pytest.param(
            HK_PERMIT,
            parsed(HK_PERMIT, "hk_permit", date(1990, 1, 1), "male"),
            id="hong-kong-permit",
        ),
        pytest.param(
            MO_PERMIT,
            parsed(MO_PERMIT, "mo_permit", date(2000, 2, 29), "female"),
            id="macao-permit-leap-day",
        ),
        pytest.param(
            TW_PERMIT,
            parsed(TW_PERMIT, "tw_permit", date(1975, 6, 15), "male"),
            id="taiwan-permit",
        ),
        pytest.param(
            make("11010519000101002"),
            parsed(make("11010519000101002"), "mainland", date(1900, 1, 1), "female"),
            id="first-day-of-1900",
        ),
        pytest.param(
            make("11010520240601002"),
            parsed(make("11010520240601002"), "mainland", TODAY, "female"),
            id="born-today",
        ),
    ],
)
def test_valid_numbers(value: str, expected: ResidentId) -> None:
    assert parse_resident_id(value, today=TODAY) == expected


@pytest.mark.parametrize("digit", "0123456789")
def test_sex_from_the_17th_digit(digit: str) -> None:
    parsed = parse_resident_id(make(f"3502031990010112{digit}"), today=TODAY)
    assert parsed.sex == ("male" if int(digit) % 2 else "female")


def test_future_birth_date_accepted_without_today() -> None:
    """The function never reads the clock: without `today` there is no future check."""
    parsed = parse_resident_id(make("11010520990101002"))
    assert parsed.birth_date == date(2099, 1, 1)


# --- invalid numbers ---------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

INVALID = [
    # format
    pytest.param("110105491231002", "bad_format", id="old-15-digit"),
    pytest.param(GB_EXAMPLE[:17], "bad_format", id="17-digits"),
    pytest.param(GB_EXAMPLE[:17] + "12", "bad_format", id="19-digits"),
    pytest.param(XIAMEN_MALE + "0", "bad_format", id="19-characters"),
    pytest.param("", "bad_format", id="empty"),
    pytest.param("   ", "bad_format", id="only-spaces"),
    pytest.param("11010519491231002Y", "bad_format", id="letter-y-last"),
    pytest.param("1101051949123100X2", "bad_format", id="x-not-last"),
    pytest.param("11010A19491231002X", "bad_format", id="letter-inside"),
    pytest.param("X1010519491231002X", "bad_format", id="letter-first"),
    pytest.param(GB_EXAMPLE.translate(FULL_WIDTH), "bad_format", id="full-width"),
    pytest.param(GB_EXAMPLE[:10] + "１" + GB_EXAMPLE[11:], "bad_format", id="one-full-width-digit"),
    pytest.param(GB_EXAMPLE[:17] + "Ｘ", "bad_format", id="full-width-x"),
    pytest.param(
        "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in GB_EXAMPLE),
        "bad_format",
        id="arabic-indic-digits",
    ),
    pytest.param("110105 19491231002X", "bad_format", id="space-inside"),
    pytest.param("110105-19491231-002X", "bad_format", id="hyphens"),
    pytest.param(GB_EXAMPLE + "\x00", "bad_format", id="trailing-nul"),
    pytest.param(11010519491231002, "bad_format", id="int"),
    pytest.param(None, "bad_format", id="none"),
    pytest.param(GB_EXAMPLE.encode(), "bad_format", id="bytes"),
    # region (otherwise valid: right date and check character)
    pytest.param(make("00010519900101123"), "bad_region", id="province-00"),
    pytest.param(make("10010519900101123"), "bad_region", id="province-10"),
    pytest.param(make("16010519900101123"), "bad_region", id="province-16"),
    pytest.param(make("47010519900101123"), "bad_region", id="province-47"),
    pytest.param(make("72000019900101123"), "bad_region", id="province-72"),
    pytest.param(make("84000019900101123"), "bad_region", id="province-84"),
    pytest.param(make("91000019900101123"), "bad_region", id="province-91"),
    pytest.param(make("99010519900101123"), "bad_region", id="province-99"),
    pytest.param(make("81000119900101123"), "bad_region", id="permit-810001"),
    pytest.param(make("81010019900101123"), "bad_region", id="permit-810100"),
    pytest.param(make("82010519900101123"), "bad_region", id="permit-820105"),
    pytest.param(make("83100019900101123"), "bad_region", id="permit-831000"),
    # birth date (otherwise valid)
    pytest.param(make("35020319900229123"), "bad_birth_date", id="1990-02-29"),
    pytest.param(make("35020319000229123"), "bad_birth_date", id="1900-02-29"),
    pytest.param(make("35020320231301123"), "bad_birth_date", id="month-13"),
    pytest.param(make("35020320230001123"), "bad_birth_date", id="month-00"),
    pytest.param(make("35020320230100123"), "bad_birth_date", id="day-00"),
    pytest.param(make("35020320230431123"), "bad_birth_date", id="april-31"),
    pytest.param(make("35020300000000123"), "bad_birth_date", id="all-zero"),
    pytest.param(make("35020318991231123"), "bad_birth_date", id="1899-12-31"),
    pytest.param(make("44052418800101001"), "bad_birth_date", id="gb-example-born-1880"),
    pytest.param(make("35020320240602123"), "bad_birth_date", id="day-after-today"),
    pytest.param(make("81000020300101123"), "bad_birth_date", id="permit-future"),
    # check character
    pytest.param(wrong_last(GB_EXAMPLE), "bad_check_character", id="gb-example-wrong-last"),
    pytest.param(GB_EXAMPLE[:16] + "3X", "bad_check_character", id="gb-example-17th-digit-changed"),
    pytest.param(wrong_last(XIAMEN_MALE), "bad_check_character", id="mainland-wrong-last"),
    pytest.param(wrong_last(HK_PERMIT), "bad_check_character", id="hk-permit-wrong-last"),
    pytest.param(wrong_last(MO_PERMIT), "bad_check_character", id="mo-permit-wrong-last"),
    pytest.param(wrong_last(TW_PERMIT), "bad_check_character", id="tw-permit-wrong-last"),
]


@pytest.mark.parametrize(("value", "code"), INVALID)
def test_invalid_numbers(value: object, code: str) -> None:
    error = parse_error(value)
    assert error.code == code
    assert isinstance(error, ValueError)
    assert error.message_en
    assert error.message_zh


@pytest.mark.parametrize(("value", "code"), INVALID)
def test_error_messages_do_not_contain_the_number(value: object, code: str) -> None:
    error = parse_error(value)
    text = str(value).strip()
    shown = [
        error.message_en,
        error.message_zh,
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
    ]
    for message in shown:
        if len(text) >= 6:
            assert text not in message
        if len(text) >= 17:
            assert text[:17] not in message
            assert text[6:14] not in message  # nor the birth date


@pytest.mark.parametrize(
    ("code", "zh_fragment"),
    [
        pytest.param("bad_format", "身份证号", id="format"),
        pytest.param("bad_region", "地区码", id="region"),
        pytest.param("bad_birth_date", "出生日期", id="birth-date"),
        pytest.param("bad_check_character", "最后一位", id="check-character"),
    ],
)
def test_each_code_has_a_member_readable_message(code: str, zh_fragment: str) -> None:
    examples = [param.values[0] for param in INVALID if param.values[1] == code]
    assert examples
    for value in examples:
        assert zh_fragment in parse_error(value).message_zh


@pytest.mark.parametrize("wrong", [c for c in ALL_CHECK_CHARACTERS if c != "X"] + ["x"])
def test_every_other_last_character_is_rejected(wrong: str) -> None:
    if wrong == "x":  # x is X: the right one, lower-cased
        assert parse_resident_id(GB_EXAMPLE[:17] + wrong).number == GB_EXAMPLE
        return
    assert parse_error(GB_EXAMPLE[:17] + wrong).code == "bad_check_character"


@pytest.mark.parametrize("position", range(17))
def test_every_single_digit_substitution_is_rejected(position: int) -> None:
    """MOD 11-2 catches any one wrong digit; in the region or the date the change may
    be reported as such instead, but it never parses."""
    for digit in "0123456789":
        if digit == XIAMEN_MALE[position]:
            continue
        changed = XIAMEN_MALE[:position] + digit + XIAMEN_MALE[position + 1 :]
        error = parse_error(changed)
        if position >= 14:  # the sequence digits: only the check character can tell
            assert error.code == "bad_check_character"


@pytest.mark.parametrize("position", range(16))
def test_adjacent_transpositions_are_rejected(position: int) -> None:
    number = make("35020319871025347")
    digits = list(number)
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    swapped = "".join(digits)
    assert swapped != number, "the fixture needs distinct neighbours"
    parse_error(swapped)


def test_invalid_resident_id_pickles() -> None:
    error = parse_error(wrong_last(GB_EXAMPLE))
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.code, copy.message_en, copy.message_zh) == (
        error.code,
        error.message_en,
        error.message_zh,
    )
    assert str(copy) == str(error)


def test_repr_of_a_parsed_number_is_masked() -> None:
    parsed = parse_resident_id(XIAMEN_MALE, today=TODAY)
    assert XIAMEN_MALE not in repr(parsed)
    assert "19900101" not in repr(parsed)
    assert parsed.number == XIAMEN_MALE


# --- regions -----------------------------------------------------------------

EXPECTED_PROVINCES = {
    f"{code}"
    for code in [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
    ]
}


def test_province_table_is_gb_t_2260() -> None:
    assert set(PROVINCES) == EXPECTED_PROVINCES
    assert set(PERMIT_REGIONS) == {"810000", "820000", "830000"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("11", ("北京市", "Beijing"), id="beijing"),
        pytest.param("350203", ("福建省", "Fujian"), id="six-digit-xiamen"),
        pytest.param("65", ("新疆维吾尔自治区", "Xinjiang"), id="xinjiang"),
        pytest.param("71", ("台湾省", "Taiwan"), id="taiwan-province"),
        pytest.param("81", None, id="hong-kong-is-a-permit-code"),
        pytest.param("00", None, id="00"),
        pytest.param("99", None, id="99"),
        pytest.param("1", None, id="one-digit"),
        pytest.param("3502", None, id="four-digits"),
        pytest.param("１１", None, id="full-width"),
        pytest.param("", None, id="empty"),
    ],
)
def test_province_name(code: str, expected: tuple[str, str] | None) -> None:
    assert province_name(code) == expected


# --- properties --------------------------------------------------------------

region_codes = st.one_of(
    st.builds(
        lambda province, rest: province + rest,
        st.sampled_from(sorted(PROVINCES)),
        st.text("0123456789", min_size=4, max_size=4),
    ),
    st.sampled_from(sorted(PERMIT_REGIONS)),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.text("0123456789", min_size=3, max_size=3)


@SETTINGS
@given(region=region_codes, birth_date=birth_dates, sequence=sequences)
def test_property_check_character_decides(region: str, birth_date: date, sequence: str) -> None:
    first17 = region + birth_date.strftime("%Y%m%d") + sequence
    right = check_character(first17)

    parsed = parse_resident_id(first17 + right.lower(), today=TODAY)
    assert parsed.number == first17 + right
    assert parsed.region_code == region
    assert parsed.birth_date == birth_date
    assert parsed.kind == (PERMIT_REGIONS[region][0] if region in PERMIT_REGIONS else "mainland")
    assert parsed.sex == ("male" if int(sequence[-1]) % 2 else "female")

    for wrong in ALL_CHECK_CHARACTERS.replace(right, ""):
        assert parse_error(first17 + wrong).code == "bad_check_character"


@SETTINGS
@given(value=st.text(max_size=24))
def test_property_any_text_parses_or_raises_invalid_resident_id(value: str) -> None:
    try:
        parsed = parse_resident_id(value, today=TODAY)
    except InvalidResidentId as error:
        text = value.strip()
        if len(text) >= 6:
            assert text not in error.message_en
            assert text not in error.message_zh
    else:
        assert len(parsed.number) == 18
        assert parsed.number == value.strip().upper()
