"""Masking of personal data for display and logs (ID numbers, names, phone numbers).

Each function strips surrounding whitespace and never returns a non-empty value
unmasked. The length is kept, except in Latin names, whose words all become
initial + "**".
"""

from __future__ import annotations

import re
from typing import Final

MASK: Final[str] = "*"
# after the initial of each word of a Latin name, whatever the word's length
LATIN_WORD_MASK: Final[str] = "**"

_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only


def _mask_all_but_last(value: str, keep: int) -> str:
    """All characters but the last `keep`; everything if the value is that short."""
    if len(value) <= keep:
        return MASK * len(value)
    return MASK * (len(value) - keep) + value[-keep:]


def mask_id_number(number: str) -> str:
    """`3502**********123X` for an 18-character number: first 4 and last 4 kept.

    Any other length: all but the last 2 characters masked (all of them if 2 or fewer).
    """
    value = number.strip()
    if len(value) == 18:
        return value[:4] + MASK * 10 + value[-4:]
    return _mask_all_but_last(value, 2)


def mask_name(name: str) -> str:
    """`张*`, `欧***`; a single character: `*`; Latin names: `L** L**` for `Li Lei`.

    A name is Latin if it contains an ASCII letter: each of its words (separated
    by whitespace, which is kept as is) becomes its first character + "**", so
    that the length of the words is not shown either (a name made of one-letter
    words, "A B", thus shows all its letters: initials are kept by design).
    """
    value = name.strip()
    if len(value) <= 1:
        return MASK * len(value)
    if any(char.isascii() and char.isalpha() for char in value):
        return re.sub(r"\S+", lambda word: word[0][0] + LATIN_WORD_MASK, value)
    return value[0] + MASK * (len(value) - 1)


def mask_phone(phone: str) -> str:
    """`138****1234` for an 11-digit mainland mobile number (first 3 and last 4 kept).

    Anything else (landlines, +86 prefixes, separators): all but the last 2
    characters masked.
    """
    value = phone.strip()
    if _CN_MOBILE.fullmatch(value):
        return value[:3] + MASK * 4 + value[-4:]
    return _mask_all_but_last(value, 2)
