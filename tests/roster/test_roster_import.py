"""Importing the roster: upserts keyed by the blind index, reports, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from roster_data import LI_SI, WANG_WU, ZHANG_SAN, ZHAO_LIU, csv_text
from sqlalchemy import func, select, text

from app.identity import crypto
from app.roster import importer
from app.roster.importer import COLUMNS, MissingColumns, Problem, import_roster
from app.roster.models import RosterEntry

ROWS = [
    ["张三", ZHANG_SAN, "employee", "normal", "350200", "3000.00"],
    ["李四", LI_SI, "职工", "正常", "350200", "86.50"],
    ["王五", WANG_WU, "resident", "normal", "350200", ""],
    ["赵六", ZHAO_LIU, "居民", "暂停", "350200", ""],
]
LI_SI_BAD_CHECK = LI_SI[:17] + ("1" if LI_SI[17] != "1" else "2")
IDS = (ZHANG_SAN, LI_SI, WANG_WU, ZHAO_LIU)
NAMES = ("张三", "李四", "王五", "赵六")


def run(session, rows, batch_size=2000, header=COLUMNS):
    problems: list[Problem] = []
    batches: list[int] = []
    report = import_roster(
        session,
        csv_text(rows, header).splitlines(keepends=True),
        after_batch=lambda: (session.flush(), batches.append(1)),
        on_problem=problems.append,
        batch_size=batch_size,
    )
    return report, problems, len(batches)


def entries(session) -> dict[str, RosterEntry]:
    session.expire_all()
    return {e.id_number: e for e in session.scalars(select(RosterEntry))}


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(RosterEntry))


# --- the importer ------------------------------------------------------------------------


def test_import_stores_encrypted_rows_found_by_the_blind_index(session):
    report, problems, batches = run(session, ROWS)
    assert (report.rows_read, report.inserted, report.updated, report.bad) == (4, 4, 0, 0)
    assert problems == [] and batches == 1
    stored = entries(session)
    assert set(stored) == set(IDS)
    zhang = stored[ZHANG_SAN]
    assert zhang.name == "张三"
    assert zhang.id_index == crypto.id_index(ZHANG_SAN)
    assert zhang.name_index == crypto.name_index("张三")
    assert (zhang.insurance_type, zhang.status, zhang.city_code) == ("employee", "normal", "350200")
    assert zhang.account_balance_fen == 300000
    assert stored[LI_SI].account_balance_fen == 8650
    assert (stored[ZHAO_LIU].insurance_type, stored[ZHAO_LIU].status) == ("resident", "suspended")
    assert stored[WANG_WU].account_balance_fen is None
    assert zhang.updated_at.tzinfo is not None and len(zhang.id) == 26


def test_the_raw_columns_are_not_the_plaintext(session):
    run(session, ROWS)
    raw = session.execute(
        text("SELECT id_number, name, id_index FROM roster_entries WHERE id_index = :k"),
        {"k": crypto.id_index(ZHANG_SAN)},
    ).one()
    assert raw.id_number.startswith("v1.") and raw.name.startswith("v1.")
    assert ZHANG_SAN not in raw.id_number and "张三" not in raw.name
    assert ZHANG_SAN not in raw.id_index


def test_the_import_keeps_no_orm_objects_in_the_session(session):
    run(session, ROWS)
    assert len(session.identity_map) == 0


def test_reimport_updates_and_never_duplicates(session, set_clock):
    set_clock(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    run(session, ROWS)
    first = {k: (e.id, e.updated_at) for k, e in entries(session).items()}
    set_clock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    changed = [row[:] for row in ROWS]
    changed[0][3] = "terminated"
    changed[0][5] = "12.34"
    changed[1][0] = "李 四"
    changed[2][2:4] = ["居民", "suspended"]
    report, problems, _ = run(session, changed)
    assert (report.rows_read, report.inserted, report.updated, report.duplicates) == (4, 0, 4, 0)
    assert problems == []
    assert count(session) == 4
    stored = entries(session)
    assert (stored[ZHANG_SAN].status, stored[ZHANG_SAN].account_balance_fen) == ("terminated", 1234)
    assert stored[LI_SI].name == "李 四"
    assert stored[LI_SI].name_index == crypto.name_index("李 四")
    assert stored[WANG_WU].status == "suspended"
    for key, entry in stored.items():
        assert entry.id == first[key][0]  # same row, updated in place
        assert entry.updated_at == datetime(2026, 11, 2, 2, 0, tzinfo=UTC) > first[key][1]


def test_an_employee_becoming_a_resident_loses_the_balance(session):
    run(session, ROWS)
    run(session, [["张三", ZHANG_SAN, "resident", "normal", "350200", ""]])
    assert entries(session)[ZHANG_SAN].account_balance_fen is None


def test_new_and_known_people_in_one_file(session):
    run(session, ROWS[:2])
    report, _, _ = run(session, ROWS)
    assert (report.inserted, report.updated) == (2, 2)
    assert count(session) == 4


def test_bad_rows_are_reported_by_line_and_do_not_stop_the_import(session):
    rows = [
        ROWS[0],
        ["李四", LI_SI_BAD_CHECK, "employee", "normal", "350200", "1"],
        ROWS[2],
        ["赵六", ZHAO_LIU, "resident", "normal", "350200", "5.00"],
        ["", "", "", "", "", ""],  # a blank line: skipped, not counted
        ["钱七", "", "employee", "gone", "350200", "1.234"],
    ]
    report, problems, _ = run(session, rows)
    assert (report.rows_read, report.inserted, report.bad) == (5, 2, 3)
    assert [(p.line, p.field, p.code, p.level) for p in problems] == [
        (3, "id_number", "bad_check_character", "error"),
        (5, "account_balance_yuan", "not_allowed", "error"),
        (7, "id_number", "missing", "error"),
        (7, "status", "bad_value", "error"),
        (7, "account_balance_yuan", "too_many_decimals", "error"),
    ]
    assert set(entries(session)) == {ZHANG_SAN, WANG_WU}


def test_a_duplicate_id_in_one_file_last_row_wins_with_a_warning(session):
    rows = [
        ROWS[0],
        ROWS[1],
        ["张三丰", ZHANG_SAN.lower(), "employee", "suspended", "350200", "1.00"],
        ROWS[2],
        ["张三", ZHANG_SAN, "employee", "normal", "350200", "2.00"],
    ]
    report, problems, _ = run(session, rows)
    assert (report.rows_read, report.inserted, report.updated, report.duplicates) == (5, 3, 0, 2)
    assert [(p.line, p.code, p.level) for p in problems] == [
        (4, "duplicate", "warning"),
        (6, "duplicate", "warning"),
    ]
    assert "line 2" in problems[0].message and "line 2" in problems[1].message
    assert ZHANG_SAN not in problems[0].message and "3502**********" in problems[0].message
    assert count(session) == 3
    assert entries(session)[ZHANG_SAN].account_balance_fen == 200


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5])
def test_batches_duplicates_and_counts_across_batch_boundaries(session, batch_size):
    rows = [ROWS[0], ROWS[1], ROWS[2], ROWS[0], ROWS[3], ROWS[1], ["x", "bad"] + [""] * 4]
    rows[5] = ["李四", LI_SI, "employee", "terminated", "350200", "0"]
    report, problems, batches = run(session, rows, batch_size=batch_size)
    assert (report.inserted, report.updated, report.duplicates, report.bad) == (4, 0, 2, 1)
    assert report.rows_read == report.inserted + report.updated + report.duplicates + report.bad
    assert batches == report.batches >= -(-4 // batch_size)
    assert count(session) == 4
    assert entries(session)[LI_SI].status == "terminated"
    assert [p.code for p in problems if p.level == "warning"] == ["duplicate", "duplicate"]


def test_a_missing_column_writes_nothing(session):
    header = [c for c in COLUMNS if c != "status"]
    rows = [[c for i, c in enumerate(r) if i != 3] for r in ROWS]
    with pytest.raises(MissingColumns) as caught:
        run(session, rows, header=header)
    assert caught.value.columns == ("status",)
    assert count(session) == 0


def test_unknown_columns_are_ignored_with_a_warning(session):
    header = [*COLUMNS, "remark"]
    report, problems, _ = run(session, [[*r, "note"] for r in ROWS], header=header)
    assert report.inserted == 4
    assert [(p.line, p.field, p.code, p.level) for p in problems] == [
        (1, "remark", "unknown_column", "warning")
    ]


def test_upsert_statement_picks_the_dialect():
    for name in ("sqlite", "postgresql"):
        assert "ON CONFLICT" in str(importer.upsert_statement(name).compile(dialect=_dialect(name)))
    with pytest.raises(RuntimeError):
        importer.upsert_statement("mysql")


def _dialect(name):
    from sqlalchemy.dialects import postgresql, sqlite

    return {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[name]


# --- the CLI --------------------------------------------------------------------------------


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["roster", *map(str, args)])


def test_cli_imports_a_file(app, connection, session, roster_file):
    result = invoke(app, "import", roster_file(ROWS, bom=True))
    assert result.exit_code == 0, result.output
    assert "rows read: 4, inserted: 4, updated: 0, duplicates: 0, bad: 0" in result.output
    assert "elapsed" in result.output and "rows/s" in result.output
    stored = entries(session)
    assert {e.id_number: e.name for e in stored.values()} == dict(zip(IDS, NAMES, strict=True))
    assert all(e.id_index == crypto.id_index(e.id_number) for e in stored.values())
    raw = session.execute(text("SELECT id_number, name FROM roster_entries")).all()
    assert len(raw) == 4
    for id_cipher, name_cipher in raw:
        assert id_cipher not in IDS and name_cipher not in NAMES
        assert not any(n in id_cipher for n in IDS) and not any(n in name_cipher for n in NAMES)


def test_cli_reimport_updates(app, connection, session, roster_file):
    assert invoke(app, "import", roster_file(ROWS)).exit_code == 0
    changed = [row[:] for row in ROWS]
    changed[3][3] = "terminated"
    result = invoke(app, "import", roster_file(changed))
    assert result.exit_code == 0, result.output
    assert "inserted: 0, updated: 4" in result.output
    assert count(session) == 4
    assert entries(session)[ZHAO_LIU].status == "terminated"


def test_cli_reports_bad_rows_without_personal_data_and_exits_1(
    app, connection, session, roster_file
):
    rows = [
        ROWS[0],
        ["李四", LI_SI_BAD_CHECK, "employee", "ok", "350200", "1"],
        ["王五", WANG_WU, "resident", "normal", "350200", "-1"],
        ["赵六", ZHAO_LIU, "resident", "normal", "35020", ""],
        ["张三", ZHANG_SAN, "employee", "normal", "350200", "1.00"],
    ]
    result = invoke(app, "import", roster_file(rows, bom=True))
    assert result.exit_code == 1, result.output
    output = result.output
    assert "line 3: id_number: " in output and "[bad_check_character]" in output
    assert "line 3: status: " in output
    assert "line 4: account_balance_yuan: " in output and "[not_allowed]" in output
    assert "line 5: city_code: " in output
    assert "line 6: warning: id_number: " in output and "line 2" in output
    assert "rows read: 5, inserted: 1, updated: 0, duplicates: 1, bad: 3" in output
    for row in rows:
        assert row[1] not in output and row[1][:17] not in output  # no full ID number
        assert row[0] not in output  # no name
    assert count(session) == 1


def test_cli_missing_column_exits_2_and_writes_nothing(app, connection, session, roster_file):
    header = [c for c in COLUMNS if c != "city_code"]
    rows = [[c for i, c in enumerate(r) if i != 4] for r in ROWS]
    result = invoke(app, "import", roster_file(rows, header=header))
    assert result.exit_code == 2
    assert "missing column in the header: city_code" in result.output
    assert count(session) == 0


def test_cli_refuses_a_file_that_is_not_utf8(app, connection, session, tmp_path):
    path = tmp_path / "mixed.csv"
    gbk_row = csv_text([ROWS[0]]).splitlines()[1] + "\n"
    path.write_bytes(csv_text(ROWS * 600).encode() + gbk_row.encode("gb18030"))
    result = invoke(app, "import", path, "--batch-size", "100")
    assert result.exit_code == 2
    assert "line 2402: the file is not UTF-8" in result.output
    assert count(session) == 0  # the first 2400 good rows were not written either


def test_cli_commits_after_each_batch(app, connection, session, roster_file, monkeypatch):
    commits = []
    real_import_file = importer.import_file

    def spy(session, path, *, after_batch, **options):
        assert after_batch == session.commit

        def counted():
            commits.append(1)
            after_batch()

        return real_import_file(session, path, after_batch=counted, **options)

    monkeypatch.setattr(importer, "import_file", spy)
    result = invoke(app, "import", roster_file(ROWS), "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert len(commits) == 2
    assert count(session) == 4


def test_cli_summary(app, connection, roster_file):
    invoke(app, "import", roster_file(ROWS))
    result = invoke(app, "summary")
    assert result.exit_code == 0
    assert "total: 4" in result.output
    assert "normal: 3, suspended: 1, terminated: 0" in result.output
    assert "employee: 2, resident: 2" in result.output
