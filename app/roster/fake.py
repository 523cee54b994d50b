"""Fake BMI roster for development, demos, tests and benchmarks.

`generate(count, seed=..., today=...)` yields realistic, made-up people: the same
people for the same seed and date (a seeded `random.Random`; nothing else is
read). The demo people come first, then random ones:

- names: common surnames (weighted towards those of southern Fujian: 陈, 林, 黄 …,
  a few compound ones) and 1–2 character given names chosen by sex;
- ID numbers: valid (region code, birth date, sequence with the sex digit, check
  character from `check_character`) and unique; regions mostly Xiamen's districts
  (350203 思明, 350205 海沧, 350206 湖里, 350211 集美, 350212 同安, 350213 翔安), some
  elsewhere in Fujian and China and a few Taiwan residence permits (830000);
- birth dates uniform from 1930-01-01 to 31 December of last year, plus ~1 % babies
  under one year;
- insurance: ~55 % employees, every one with a personal-account balance from 0.00
  to 50,000.00 yuan (~10 % below 129.00, so that "the balance does not cover
  everyone" happens), ~45 % residents (all minors are residents), no balance;
- status: ~95 % normal, ~3 % suspended, ~2 % terminated; city code 350200 (Xiamen).

The demo people (`DEMO_PEOPLE` and `demo_people(today)`) are fixed so that demos
and browser tests can bind a known person:

==========  ====  ==========  ==========  ==========  =====================
name        sex   born        insurance   status      balance (yuan)
==========  ====  ==========  ==========  ==========  =====================
陈建国      M     1968-03-15  employee    normal      3,000.00
林秀英      F     1970-08-22  employee    normal      86.50 (below 129.00)
陈思远      M     2010-05-06  resident    normal      —
陈小满      F     6 months    resident    normal      — (born `today` − 6 months)
王磊        M     1985-11-02  employee    suspended   1,200.00
李娜        F     1992-07-19  resident    terminated  —
==========  ====  ==========  ==========  ==========  =====================

The first four are one family living in 思明区. The baby's ID number contains her
birth date, so it depends on `today`: she is not in the constant `DEMO_PEOPLE` (the
other five, in the order above) but is in `demo_people(today)` (all six, in the
order above) and so in every generated roster.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Final, TextIO

from app.identity.resident_id import check_character
from app.roster.importer import COLUMNS
from app.roster.keyset import IntMap
from app.rules.calendar import add_months

CITY_CODE: Final[str] = "350200"  # Xiamen

XIAMEN_DISTRICTS: Final[dict[str, str]] = {
    "350203": "思明区",
    "350205": "海沧区",
    "350206": "湖里区",
    "350211": "集美区",
    "350212": "同安区",
    "350213": "翔安区",
}
# region code -> (weight in %, name)
REGIONS: Final[dict[str, tuple[float, str]]] = {
    "350203": (22, "厦门市思明区"),
    "350206": (20, "厦门市湖里区"),
    "350211": (14, "厦门市集美区"),
    "350205": (9, "厦门市海沧区"),
    "350212": (9, "厦门市同安区"),
    "350213": (6, "厦门市翔安区"),
    "350102": (3, "福州市鼓楼区"),
    "350503": (3, "泉州市丰泽区"),
    "350602": (3, "漳州市芗城区"),
    "350802": (2, "龙岩市新罗区"),
    "360102": (2, "南昌市东湖区"),
    "440304": (2, "深圳市福田区"),
    "430102": (1.5, "长沙市芙蓉区"),
    "510104": (1.5, "成都市锦江区"),
    "110105": (1, "北京市朝阳区"),
    "830000": (1, "台湾居民居住证"),
}

SURNAMES: Final[dict[str, float]] = {
    "陈": 12, "林": 9, "黄": 6, "李": 5, "王": 5, "张": 4, "吴": 4, "郑": 3.5, "杨": 3,
    "蔡": 3, "许": 2.5, "刘": 2.5, "洪": 2, "苏": 2, "谢": 2, "曾": 2, "庄": 1.8, "叶": 1.8,
    "周": 1.5, "郭": 1.5, "柯": 1.2, "卢": 1, "邱": 1, "何": 1, "赵": 1, "徐": 1, "朱": 1,
    "游": 0.8, "方": 0.8, "孙": 0.8, "胡": 0.8, "高": 0.8, "罗": 0.8, "梁": 0.8, "江": 0.8,
    "颜": 0.7, "傅": 0.6, "施": 0.6, "宋": 0.6, "唐": 0.6, "邓": 0.6, "肖": 0.6, "韩": 0.5,
    "冯": 0.5, "彭": 0.5, "纪": 0.5, "魏": 0.5, "潘": 0.5, "詹": 0.4, "欧阳": 0.15, "司马": 0.05,
}  # fmt: skip
MALE_GIVEN: Final[str] = (
    "伟强磊军勇杰涛明超华建国志文斌鹏辉俊浩宇轩博晨昊天峰鑫海东龙平刚波飞凯振家荣成德毅彬锦坤榕鸿旭阳智远航"
)
FEMALE_GIVEN: Final[str] = (
    "芳娜敏静丽艳娟霞秀英玲燕萍红梅琳婷雪慧颖欣怡佳琪萱涵悦诗雨梦瑶晴思可馨妍洁倩兰凤珍琼惠玉美淑"
)

EARLIEST_BIRTH: Final[date] = date(1930, 1, 1)
BABY_SHARE: Final[float] = 0.01
EMPLOYEE_SHARE: Final[float] = 0.55
STATUS_SHARES: Final[tuple[tuple[str, float], ...]] = (
    ("normal", 0.95),
    ("suspended", 0.03),
    ("terminated", 0.02),
)
MAX_BALANCE_FEN: Final[int] = 50_000_00
SMALL_BALANCE_FEN: Final[int] = 129_00  # below the sample plan's premium


@dataclass(frozen=True)
class FakePerson:
    name: str
    id_number: str
    insurance_type: str
    status: str
    city_code: str
    account_balance_fen: int | None
    note: str = ""

    @property
    def birth_date(self) -> date:
        digits = self.id_number[6:14]
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))

    @property
    def sex(self) -> str:
        return "male" if int(self.id_number[16]) % 2 else "female"

    @property
    def account_balance_yuan(self) -> str:
        fen = self.account_balance_fen
        return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"

    def csv_row(self) -> list[str]:
        """The cells in the order of `COLUMNS` (the import format)."""
        return [
            self.name,
            self.id_number,
            self.insurance_type,
            self.status,
            self.city_code,
            self.account_balance_yuan,
        ]


def make_id_number(region_code: str, birth_date: date, sequence: str) -> str:
    """A valid 18-character number: region, birth date, 3-digit sequence (its last
    digit odd for men, even for women), check character."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


def _demo(
    name: str,
    born: date,
    sequence: str,
    insurance_type: str,
    status: str,
    balance_fen: int | None,
    note: str,
    region: str = "350203",
) -> FakePerson:
    return FakePerson(
        name,
        make_id_number(region, born, sequence),
        insurance_type,
        status,
        CITY_CODE,
        balance_fen,
        note,
    )


DEMO_PEOPLE: Final[tuple[FakePerson, ...]] = (
    _demo("陈建国", date(1968, 3, 15), "011", "employee", "normal", 3000_00, "father"),
    _demo("林秀英", date(1970, 8, 22), "022", "employee", "normal", 86_50, "mother, small balance"),
    _demo("陈思远", date(2010, 5, 6), "031", "resident", "normal", None, "son"),
    _demo("王磊", date(1985, 11, 2), "053", "employee", "suspended", 1200_00, "", "350206"),
    _demo("李娜", date(1992, 7, 19), "064", "resident", "terminated", None, "", "350211"),
)


def demo_baby(today: date) -> FakePerson:
    """陈小满, the family's daughter, born six calendar months before `today`."""
    return _demo("陈小满", add_months(today, -6), "042", "resident", "normal", None, "baby")


def demo_people(today: date) -> list[FakePerson]:
    """All six demo people (the family of four first), as of `today`."""
    return [*DEMO_PEOPLE[:3], demo_baby(today), *DEMO_PEOPLE[3:]]


def demo_person(name: str, today: date) -> FakePerson:
    for person in demo_people(today):
        if person.name == name:
            return person
    raise LookupError(f"no demo person named {name}")


class _Generator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - made-up people, not secrets
        self.today = today
        self.seen = IntMap()  # first 17 digits of every ID number handed out
        self.regions = list(REGIONS)
        self.region_weights = list(accumulate(weight for weight, _name in REGIONS.values()))
        self.surnames = list(SURNAMES)
        self.surname_weights = list(accumulate(SURNAMES.values()))
        self.first_day = EARLIEST_BIRTH.toordinal()
        self.last_day = date(today.year - 1, 12, 31).toordinal()
        if self.last_day < self.first_day:
            raise ValueError("today must be after 1930")
        adult_until = add_months(today, -18 * 12).toordinal()
        adults = max(0, min(adult_until, self.last_day) - self.first_day + 1)
        adult_share = (1 - BABY_SHARE) * adults / (self.last_day - self.first_day + 1)
        # all employees are adults, so adults are employees more often than 55 %
        self.employee_if_adult = min(1.0, EMPLOYEE_SHARE / adult_share) if adult_share else 0.0
        self.adult_until = adult_until

    def claim(self, id_number: str) -> bool:
        return self.seen.setdefault(int(id_number[:17]), 1) == 0

    def person(self) -> FakePerson:
        rng = self.rng
        male = rng.random() < 0.5
        if rng.random() < BABY_SHARE:
            born = self.today - timedelta(days=rng.randint(0, 360))
        else:
            born = date.fromordinal(rng.randint(self.first_day, self.last_day))
        region = rng.choices(self.regions, cum_weights=self.region_weights)[0]
        sex_digits = "13579" if male else "02468"
        for _attempt in range(1000):
            sequence = f"{rng.randint(0, 99):02d}{rng.choice(sex_digits)}"
            id_number = make_id_number(region, born, sequence)
            if self.claim(id_number):
                break
        else:  # pragma: no cover - 500 numbers per day, region and sex
            raise RuntimeError("no free ID number left for a fake person")
        surname = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        pool = MALE_GIVEN if male else FEMALE_GIVEN
        given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.25 else 2))
        adult = born.toordinal() <= self.adult_until
        if adult and rng.random() < self.employee_if_adult:
            insurance_type, balance = "employee", self.balance()
        else:
            insurance_type, balance = "resident", None
        draw = rng.random()
        status = "terminated"
        for candidate, share in STATUS_SHARES:
            if draw < share:
                status = candidate
                break
            draw -= share
        return FakePerson(surname + given, id_number, insurance_type, status, CITY_CODE, balance)

    def balance(self) -> int:
        rng = self.rng
        draw = rng.random()
        if draw < 0.02:
            return 0
        if draw < 0.10:
            return rng.randint(1, SMALL_BALANCE_FEN - 1)
        # most balances are a few thousand yuan, a long tail up to the maximum
        return min(MAX_BALANCE_FEN, SMALL_BALANCE_FEN + int(rng.expovariate(1 / 8000_00)))


def generate(count: int, *, seed: int = 1, today: date) -> Iterator[FakePerson]:
    """`count` people (the demo people first), the same for the same seed and date."""
    if count < 0:
        raise ValueError("count must be at least 0")
    demo = demo_people(today)
    generator = _Generator(seed, today)
    for person in demo:
        generator.claim(person.id_number)
    yield from demo[:count]
    for _ in range(count - len(demo)):
        yield generator.person()


class _LastLine:
    """A file-like sink for csv.writer that keeps only the last line written."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> int:
        self.value = text
        return len(text)


def csv_lines(people: Iterable[FakePerson]) -> Iterator[str]:
    """The roster CSV (header first) one line at a time, for `import_roster` or a file."""
    sink = _LastLine()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield sink.value
    for person in people:
        writer.writerow(person.csv_row())
        yield sink.value


def write_csv(people: Iterable[FakePerson], stream: TextIO) -> int:
    """Write the roster CSV to `stream`; returns the number of people written."""
    count = -1  # the header is not a person
    for count, line in enumerate(csv_lines(people)):  # noqa: B007 - the count is the result
        stream.write(line)
    return count
