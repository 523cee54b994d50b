"""Roster look-ups for the rest of the service."""

from __future__ import annotations

import pytest
from roster_data import LI_SI, WANG_WU, ZHANG_SAN, ZHAO_LIU, csv_text

from app.roster import service
from app.roster.importer import import_roster

ROWS = [
    ["张三", ZHANG_SAN, "employee", "normal", "350200", "3000.00"],
    ["欧阳 娜娜", LI_SI, "employee", "suspended", "350200", "0"],
    ["王五", WANG_WU, "resident", "terminated", "350200", ""],
]


@pytest.fixture
def roster(session):
    import_roster(session, csv_text(ROWS).splitlines(), after_batch=session.flush)
    return session


def test_find_by_id_number(roster):
    entry = service.find_by_id_number(roster, ZHANG_SAN)
    assert entry is not None and entry.name == "张三"
    assert service.find_by_id_number(roster, f"  {ZHANG_SAN}  ") is entry


def test_find_by_id_number_normalises_a_lower_case_x(roster):
    assert LI_SI.endswith("X") or LI_SI[-1].isdigit()
    entry = service.find_by_id_number(roster, LI_SI.lower())
    assert entry is not None and entry.id_number == LI_SI


@pytest.mark.parametrize("id_number", [ZHAO_LIU, "", "   ", "not a number"])
def test_find_by_id_number_not_on_the_roster(roster, id_number):
    assert service.find_by_id_number(roster, id_number) is None


@pytest.mark.parametrize(
    ("name", "id_number", "matches"),
    [
        ("张三", ZHANG_SAN, True),
        (" 张三 ", ZHANG_SAN, True),
        ("欧阳  娜娜", LI_SI, True),  # whitespace normalised on both sides
        ("欧阳娜娜", LI_SI, False),  # a space is not nothing
        ("张四", ZHANG_SAN, False),  # wrong name
        ("王五", ZHANG_SAN, False),  # someone else's name
        ("", ZHANG_SAN, False),
        ("张三", ZHAO_LIU, False),  # not on the roster
    ],
)
def test_match_person(roster, name, id_number, matches):
    entry = service.match_person(roster, name, id_number)
    assert (entry is not None) is matches
    if matches:
        assert entry.id_number == id_number


def test_summary(roster):
    assert service.summary(roster) == {
        "total": 3,
        "by_status": {"normal": 1, "suspended": 1, "terminated": 1},
        "by_insurance_type": {"employee": 2, "resident": 1},
    }


def test_summary_of_an_empty_roster(session):
    assert service.summary(session) == {
        "total": 0,
        "by_status": {"normal": 0, "suspended": 0, "terminated": 0},
        "by_insurance_type": {"employee": 0, "resident": 0},
    }
