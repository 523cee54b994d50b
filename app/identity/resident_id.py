"""PRC resident identity numbers (GB 11643-1999) and HK/Macao/Taiwan residence permits.

An 18-character number is laid out as

    RRRRRR YYYYMMDD SSS C
    region birth    seq check

where the 17th character (the last of the sequence) is odd for men and even for
women, and C is the ISO 7064 MOD 11-2 check character (0-9 or X).

Residence permits for Hong Kong, Macao and Taiwan residents use the same layout
with the region codes 810000, 820000 and 830000.

Nothing here reads the clock: pass `today` to reject birth dates in the future.
Error messages never contain the number (it is personal data and messages may
be logged or shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from app.identity.masking import mask_id_number
from app.identity.regions import PERMIT_PROVINCE_PREFIXES, PERMIT_REGIONS, PROVINCES

ErrorCode = Literal["bad_format", "bad_region", "bad_birth_date", "bad_check_character"]
Kind = Literal["mainland", "hk_permit", "mo_permit", "tw_permit"]
Sex = Literal["male", "female"]

WEIGHTS: Final[tuple[int, ...]] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final[str] = "10X98765432"  # indexed by the weighted sum mod 11
MIN_BIRTH_YEAR: Final[int] = 1900

# ASCII digits only: \d would also accept full-width and other Unicode digits
_FIRST17 = re.compile(r"[0-9]{17}")
_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")


class InvalidResidentId(ValueError):
    """A number that is not a valid resident identity number.

    `code` is one of "bad_format", "bad_region", "bad_birth_date",
    "bad_check_character"; the messages are member-readable and never contain
    the number.
    """

    code: ErrorCode
    message_en: str
    message_zh: str

    def __init__(self, code: ErrorCode, message_en: str, message_zh: str) -> None:
        # all three in args so that the exception pickles (e.g. across processes)
        super().__init__(code, message_en, message_zh)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


def _bad_format(en: str, zh: str) -> InvalidResidentId:
    return InvalidResidentId("bad_format", en, zh)


_NOT_TEXT = (
    "The ID number must be text.",
    "身份证号格式不正确。",
)
_WRONG_LENGTH = (
    "The ID number must have 18 characters (the old 15-digit numbers are not accepted).",
    "身份证号应为18位（不支持15位旧号码），请核对。",
)
_BAD_CHARACTERS = (
    "The ID number must be 17 digits followed by a digit or X, "
    "without spaces or full-width characters.",
    "身份证号应为17位数字加最后一位数字或X，不能含空格或全角字符，请核对。",
)


@dataclass(frozen=True)
class ResidentId:
    """A parsed, valid number. `number` is normalized (18 chars, upper-case X)."""

    number: str
    kind: Kind
    region_code: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:
        # the number is personal data: keep it out of logs and tracebacks
        return f"ResidentId(number={mask_id_number(self.number)!r}, kind={self.kind!r})"


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character ("0"-"9" or "X") of the first 17 digits.

    Raises ValueError (without echoing the input) unless `first17` is 17 ASCII digits.
    """
    if not isinstance(first17, str) or not _FIRST17.fullmatch(first17):
        raise ValueError("check_character expects exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate and normalize a resident identity number or HK/MO/TW residence permit number.

    Surrounding whitespace is stripped and a trailing lower-case x upper-cased.
    Checks, in this order: format, region, birth date, check character; the
    first failure raises InvalidResidentId. A birth date after `today` is
    rejected only if `today` is given (this function never reads the clock).
    """
    if not isinstance(value, str):
        raise _bad_format(*_NOT_TEXT)
    number = value.strip()
    if len(number) != 18:
        raise _bad_format(*_WRONG_LENGTH)
    if not _NUMBER.fullmatch(number):
        raise _bad_format(*_BAD_CHARACTERS)
    number = number[:17] + number[17].upper()

    region_code = number[:6]
    kind = _kind(region_code)
    birth_date = _birth_date(number[6:14], today)

    if number[17] != check_character(number[:17]):
        raise InvalidResidentId(
            "bad_check_character",
            "The last character (the check character, 18th position) does not match "
            "the first 17 digits: please check the number, especially the last character.",
            "身份证号校验位（第18位）与前17位不符，请核对号码，特别是最后一位。",
        )

    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(
        number=number,
        kind=kind,
        region_code=region_code,
        birth_date=birth_date,
        sex=sex,
    )


def _kind(region_code: str) -> Kind:
    province = region_code[:2]
    if province in PERMIT_PROVINCE_PREFIXES:
        permit = PERMIT_REGIONS.get(region_code)
        if permit is None:
            raise InvalidResidentId(
                "bad_region",
                "The first 6 digits are not a valid region code: Hong Kong, Macao and "
                "Taiwan residence permit numbers start with 810000, 820000 or 830000.",
                "身份证号前6位地区码不正确：港澳台居民居住证号码应以810000、820000或830000开头。",
            )
        return permit[0]
    if province not in PROVINCES:
        raise InvalidResidentId(
            "bad_region",
            "The first 2 digits are not a valid province code.",
            "身份证号前2位不是有效的省级地区码，请核对。",
        )
    return "mainland"


def _birth_date(yyyymmdd: str, today: date | None) -> date:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if year < MIN_BIRTH_YEAR:
        raise InvalidResidentId(
            "bad_birth_date",
            "The birth date (7th to 14th digits) is before 1900.",
            "身份证号中的出生日期（第7至14位）早于1900年，请核对。",
        )
    try:
        birth_date = date(year, month, day)
    except ValueError:
        # `from None`: keep the digits out of chained tracebacks
        raise InvalidResidentId(
            "bad_birth_date",
            "The birth date (7th to 14th digits) is not a real calendar date.",
            "身份证号中的出生日期（第7至14位）不是有效日期，请核对。",
        ) from None
    if today is not None and birth_date > today:
        raise InvalidResidentId(
            "bad_birth_date",
            "The birth date (7th to 14th digits) is in the future.",
            "身份证号中的出生日期（第7至14位）晚于今天，请核对。",
        )
    return birth_date
