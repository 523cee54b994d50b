"""The fake roster: deterministic, valid, realistic, demo people first."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from roster_data import TODAY
from sqlalchemy import func, select

from app.identity.resident_id import parse_resident_id
from app.roster import fake, service
from app.roster.importer import BadRow, RosterReader
from app.roster.models import RosterEntry
from app.rules.calendar import add_months


@pytest.fixture(scope="module")
def people() -> list[fake.FakePerson]:
    return list(fake.generate(20_000, seed=11, today=TODAY))


def test_the_same_seed_and_date_give_the_same_people():
    first = list(fake.generate(500, seed=3, today=TODAY))
    assert first == list(fake.generate(500, seed=3, today=TODAY))
    assert first != list(fake.generate(500, seed=4, today=TODAY))
    assert first[:100] == list(fake.generate(100, seed=3, today=TODAY))  # a prefix


def test_the_demo_people_come_first(people):
    demo = fake.demo_people(TODAY)
    assert people[: len(demo)] == demo
    assert [p.name for p in demo] == ["陈建国", "林秀英", "陈思远", "陈小满", "王磊", "李娜"]
    assert list(fake.generate(2, seed=1, today=TODAY)) == demo[:2]
    assert fake.DEMO_PEOPLE == (*demo[:3], *demo[4:])


def test_the_demo_people_are_who_the_docs_say():
    father, mother, son, baby, suspended, terminated = fake.demo_people(TODAY)
    assert (father.sex, father.birth_date, father.insurance_type, father.status) == (
        "male",
        date(1968, 3, 15),
        "employee",
        "normal",
    )
    assert father.account_balance_fen == 3000_00 and father.account_balance_yuan == "3000.00"
    assert (mother.sex, mother.birth_date.year) == ("female", 1970)
    assert mother.account_balance_fen == 86_50
    assert (son.insurance_type, son.account_balance_fen) == ("resident", None)
    assert son.birth_date.year == 2010
    assert baby.sex == "female" and baby.birth_date == add_months(TODAY, -6) == date(2026, 5, 24)
    assert (suspended.name, suspended.status) == ("王磊", "suspended")
    assert suspended.insurance_type == "employee"
    assert (terminated.name, terminated.status) == ("李娜", "terminated")
    assert fake.demo_person("陈小满", TODAY) == baby
    for person in fake.demo_people(TODAY):
        parsed = parse_resident_id(person.id_number, today=TODAY)
        assert parsed.number == person.id_number and parsed.sex == person.sex
        assert person.city_code == "350200"


def test_ids_are_valid_unique_and_match_sex_and_birth_date(people):
    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == len(numbers)
    regions = Counter()
    for person in people:
        parsed = parse_resident_id(person.id_number, today=TODAY)
        assert parsed.number == person.id_number
        assert (parsed.sex, parsed.birth_date) == (person.sex, person.birth_date)
        assert date(1930, 1, 1) <= person.birth_date <= TODAY
        regions[parsed.region_code] += 1
    xiamen = sum(regions[code] for code in fake.XIAMEN_DISTRICTS)
    assert 0.75 < xiamen / len(people) < 0.85
    assert regions["830000"] > 0  # a few Taiwan residence permits


def test_the_distribution_is_roughly_as_specified(people):
    n = len(people)
    kinds = Counter(p.insurance_type for p in people)
    assert 0.52 < kinds["employee"] / n < 0.58
    statuses = Counter(p.status for p in people)
    assert 0.935 < statuses["normal"] / n < 0.965
    assert 0.02 < statuses["suspended"] / n < 0.04
    assert 0.01 < statuses["terminated"] / n < 0.03
    babies = [p for p in people if p.birth_date > add_months(TODAY, -12)]
    assert 0.005 < len(babies) / n < 0.02
    born_last_year = [p for p in people if p.birth_date.year == TODAY.year - 1]
    assert born_last_year
    assert all(p.birth_date.year < TODAY.year for p in people[6:] if p not in babies)
    for person in people:
        if person.insurance_type == "employee":
            assert 0 <= person.account_balance_fen <= 50_000_00
            assert add_months(person.birth_date, 18 * 12) <= TODAY  # adults only
        else:
            assert person.account_balance_fen is None
    balances = [p.account_balance_fen for p in people if p.insurance_type == "employee"]
    small = sum(1 for b in balances if b < 129_00)
    assert 0.07 < small / len(balances) < 0.13
    assert max(balances) > 30_000_00
    assert all(2 <= len(p.name) <= 4 for p in people)
    assert len({p.name[0] for p in people}) > 30
    assert Counter(p.name[0] for p in people).most_common(1)[0][0] == "陈"


def test_the_csv_goes_through_the_importer_without_a_bad_row(people):
    reader = RosterReader(fake.csv_lines(people[:3000]), today=TODAY)
    rows = list(reader)
    assert len(rows) == 3000
    assert not [r for r in rows if isinstance(r, BadRow)]
    first = rows[0]
    assert (first.line, first.name, first.id_number) == (2, "陈建国", people[0].id_number)
    assert first.account_balance_fen == 3000_00


def test_write_csv(tmp_path):
    path = tmp_path / "fake.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        assert fake.write_csv(fake.generate(10, seed=2, today=TODAY), stream) == 10
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "name,id_number,insurance_type,status,city_code,account_balance_yuan"
    assert len(lines) == 11 and lines[1].startswith("陈建国,")


# --- the CLI ------------------------------------------------------------------------------


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["roster", "fake", *map(str, args)])


def test_cli_writes_csv_to_stdout(app, connection):
    result = invoke(app, 8, "--seed", 5)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 9 and lines[0].startswith("name,id_number")
    assert lines[1].startswith("陈建国,")
    assert result.stdout == invoke(app, 8, "--seed", 5).stdout


def test_cli_writes_a_file(app, connection, tmp_path):
    out = tmp_path / "roster.csv"
    result = invoke(app, 50, "--out", out)
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 51


def test_cli_imports_directly_and_again(app, connection, session, tmp_path):
    result = invoke(app, 40, "--seed", 9, "--import")
    assert result.exit_code == 0, result.output
    assert "rows read: 40, inserted: 40, updated: 0, duplicates: 0, bad: 0" in result.output
    out = tmp_path / "copy.csv"
    again = invoke(app, 40, "--seed", 9, "--import", "--out", out)
    assert "inserted: 0, updated: 40" in again.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 41
    assert session.scalar(select(func.count()).select_from(RosterEntry)) == 40
    today = fake.demo_people(TODAY)[0]
    entry = service.match_person(session, today.name, today.id_number)
    assert entry is not None and entry.account_balance_fen == 3000_00
