"""Masking of ID numbers, names and phone numbers for display and logs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.identity.masking import mask_id_number, mask_name, mask_phone

SETTINGS = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param("35020319900101123X", "3502**********123X", id="18-chars"),
        pytest.param("11010519491231002X", "1101**********002X", id="gb-example"),
        pytest.param("11010519491231002x", "1101**********002x", id="lower-x-kept-as-given"),
        pytest.param(" 35020319900101123X\n", "3502**********123X", id="whitespace-stripped"),
        pytest.param("110105491231002", "*************02", id="old-15-digit"),
        pytest.param("35020319900101123", "***************23", id="17-digits"),
        pytest.param("35020319900101123X0", "*****************X0", id="19-chars"),
        pytest.param("123", "*23", id="3-chars"),
        pytest.param("12", "**", id="2-chars-all-masked"),
        pytest.param("1", "*", id="1-char"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_id_number(number: str, expected: str) -> None:
    assert mask_id_number(number) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("张三", "张*", id="two-chars"),
        pytest.param("李小龙", "李**", id="three-chars"),
        pytest.param("欧阳娜娜", "欧***", id="compound-surname"),
        pytest.param("王", "*", id="single-char"),
        pytest.param(" 张三 ", "张*", id="whitespace-stripped"),
        pytest.param("阿依古丽·买买提", "阿*******", id="middle-dot"),
        pytest.param("Li Lei", "L** L**", id="latin"),
        pytest.param("Han Meimei", "H** M**", id="latin-word-length-hidden"),
        pytest.param("Jean-Luc Picard", "J** P**", id="latin-hyphen"),
        pytest.param("A B", "A** B**", id="latin-initials-only"),
        pytest.param("Li  Lei", "L**  L**", id="latin-spacing-kept"),
        pytest.param("J", "*", id="latin-single-letter"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        pytest.param("13812341234", "138****1234", id="mobile"),
        pytest.param("19912345678", "199****5678", id="mobile-199"),
        pytest.param(" 13812341234 ", "138****1234", id="whitespace-stripped"),
        pytest.param("+8613812341234", "************34", id="with-country-code"),
        pytest.param("138 1234 1234", "***********34", id="with-spaces"),
        pytest.param("12345678901", "*********01", id="not-a-mobile-prefix"),
        pytest.param("1381234123", "********23", id="10-digits"),
        pytest.param("0592-5551234", "**********34", id="landline"),
        pytest.param("１３８１２３４１２３４", "*********３４", id="full-width-digits"),
        pytest.param("12", "**", id="2-chars"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(
    "mask",
    [
        pytest.param(mask_id_number, id="id-number"),
        pytest.param(mask_name, id="name"),
        pytest.param(mask_phone, id="phone"),
    ],
)
@SETTINGS
@given(value=st.text(max_size=30))
def test_property_never_returns_a_value_unmasked(mask: Callable[[str], str], value: str) -> None:
    text = value.strip()
    masked = mask(value)
    if not text:
        assert masked == ""
        return
    assert "*" in masked
    # never more visible characters than the rule shows (an input that is already
    # masked, like "*00", may come back unchanged: nothing more is revealed)
    revealed = sum(1 for c in masked if c != "*" and not c.isspace())
    if mask is mask_id_number:
        assert revealed <= (8 if len(text) == 18 else 2)
    elif mask is mask_phone:
        assert revealed <= 7
    if mask is not mask_name:  # Latin names become initial + "**" per word
        assert len(masked) == len(text)
