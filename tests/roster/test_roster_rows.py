"""Row validation and file reading: pure, no database and no keys."""

from __future__ import annotations

from datetime import date

import pytest
from roster_data import LI_SI, TODAY, WANG_WU, ZHANG_SAN, ZHAO_LIU, csv_text

from app.roster.fake import make_id_number
from app.roster.importer import (
    BadRow,
    MissingColumns,
    RosterFileError,
    RosterReader,
    RosterRow,
    check_utf8,
    validate_row,
)

EMPLOYEE = {
    "name": "张三",
    "id_number": ZHANG_SAN,
    "insurance_type": "employee",
    "status": "normal",
    "city_code": "350200",
    "account_balance_yuan": "3000.00",
}
RESIDENT = {**EMPLOYEE, "id_number": WANG_WU, "insurance_type": "resident", "name": "王五"}
RESIDENT["account_balance_yuan"] = ""


def check(values: dict[str, str], today: date = TODAY) -> RosterRow | BadRow:
    return validate_row(values, 7, today=today)


# --- good rows ----------------------------------------------------------------------


def test_an_employee_row_is_normalised():
    row = check(EMPLOYEE)
    assert row == RosterRow(7, "张三", ZHANG_SAN, "employee", "normal", "350200", 300000)


def test_a_resident_row_has_no_balance():
    row = check(RESIDENT)
    assert isinstance(row, RosterRow)
    assert (row.insurance_type, row.account_balance_fen) == ("resident", None)


@pytest.mark.parametrize(
    ("changes", "attribute", "expected"),
    [
        ({"insurance_type": "职工"}, "insurance_type", "employee"),
        ({"insurance_type": " EMPLOYEE "}, "insurance_type", "employee"),
        ({"status": "正常"}, "status", "normal"),
        ({"status": "暂停"}, "status", "suspended"),
        ({"status": "终止"}, "status", "terminated"),
        ({"status": "Suspended"}, "status", "suspended"),
        ({"name": "  张　 三 "}, "name", "张 三"),  # full-width space, runs collapsed
        ({"name": "阿依古丽·买买提"}, "name", "阿依古丽·买买提"),
        ({"name": "x" * 50}, "name", "x" * 50),
        ({"id_number": " " + LI_SI.lower() + " "}, "id_number", LI_SI),
        ({"id_number": ZHAO_LIU}, "id_number", ZHAO_LIU),
        ({"city_code": " 350200 "}, "city_code", "350200"),
        ({"account_balance_yuan": "3000"}, "account_balance_fen", 300000),
        ({"account_balance_yuan": "86.5"}, "account_balance_fen", 8650),
        ({"account_balance_yuan": "0.01"}, "account_balance_fen", 1),
        ({"account_balance_yuan": "0"}, "account_balance_fen", 0),
        ({"account_balance_yuan": " 007.10 "}, "account_balance_fen", 710),
        ({"account_balance_yuan": "999999999999.99"}, "account_balance_fen", 99999999999999),
    ],
)
def test_good_values(changes, attribute, expected):
    row = check({**EMPLOYEE, **changes})
    assert isinstance(row, RosterRow), row
    assert getattr(row, attribute) == expected


def test_resident_alias():
    row = check({**RESIDENT, "insurance_type": "居民"})
    assert isinstance(row, RosterRow)
    assert row.insurance_type == "resident"


def test_a_baby_born_today_is_accepted():
    baby = make_id_number("350203", TODAY, "042")
    row = check({**RESIDENT, "id_number": baby})
    assert isinstance(row, RosterRow)


# --- bad rows: each bad field gives its reason ------------------------------------------

FULL_WIDTH = "３５０２０６１９８００１０２１０１Ｘ"
BAD_CHECK = ZHANG_SAN[:17] + ("0" if ZHANG_SAN[17] != "0" else "1")
FUTURE = make_id_number("350203", date(2026, 11, 25), "011")


@pytest.mark.parametrize(
    ("base", "changes", "field", "code"),
    [
        (EMPLOYEE, {"name": ""}, "name", "missing"),
        (EMPLOYEE, {"name": "  \t "}, "name", "missing"),
        (EMPLOYEE, {"name": "x" * 51}, "name", "too_long"),
        (EMPLOYEE, {"name": "张\x00三"}, "name", "bad_characters"),
        (EMPLOYEE, {"id_number": ""}, "id_number", "missing"),
        (EMPLOYEE, {"id_number": "35020619800102101"}, "id_number", "bad_format"),
        (EMPLOYEE, {"id_number": FULL_WIDTH}, "id_number", "bad_format"),
        (EMPLOYEE, {"id_number": "99" + ZHANG_SAN[2:]}, "id_number", "bad_region"),
        (EMPLOYEE, {"id_number": "350206198013021014"}, "id_number", "bad_birth_date"),
        (EMPLOYEE, {"id_number": FUTURE}, "id_number", "bad_birth_date"),
        (EMPLOYEE, {"id_number": BAD_CHECK}, "id_number", "bad_check_character"),
        (EMPLOYEE, {"insurance_type": ""}, "insurance_type", "missing"),
        (EMPLOYEE, {"insurance_type": "retired"}, "insurance_type", "bad_value"),
        (EMPLOYEE, {"insurance_type": "职工医保"}, "insurance_type", "bad_value"),
        (EMPLOYEE, {"status": ""}, "status", "missing"),
        (EMPLOYEE, {"status": "active"}, "status", "bad_value"),
        (EMPLOYEE, {"city_code": ""}, "city_code", "missing"),
        (EMPLOYEE, {"city_code": "35020"}, "city_code", "bad_format"),
        (EMPLOYEE, {"city_code": "3502000"}, "city_code", "bad_format"),
        (EMPLOYEE, {"city_code": "３５０２００"}, "city_code", "bad_format"),
        (EMPLOYEE, {"city_code": "990200"}, "city_code", "bad_region"),
        (EMPLOYEE, {"account_balance_yuan": ""}, "account_balance_yuan", "missing"),
        (EMPLOYEE, {"account_balance_yuan": "-1.00"}, "account_balance_yuan", "negative"),
        (EMPLOYEE, {"account_balance_yuan": "-0.5"}, "account_balance_yuan", "negative"),
        (EMPLOYEE, {"account_balance_yuan": "1.234"}, "account_balance_yuan", "too_many_decimals"),
        (EMPLOYEE, {"account_balance_yuan": "0.001"}, "account_balance_yuan", "too_many_decimals"),
        (EMPLOYEE, {"account_balance_yuan": "1,000.00"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "1e3"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "¥10"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "NaN"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "1."}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": ".5"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "+5"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "１００"}, "account_balance_yuan", "bad_amount"),
        (EMPLOYEE, {"account_balance_yuan": "1" * 13}, "account_balance_yuan", "too_large"),
        (RESIDENT, {"account_balance_yuan": "0.00"}, "account_balance_yuan", "not_allowed"),
        (RESIDENT, {"account_balance_yuan": "12.5"}, "account_balance_yuan", "not_allowed"),
    ],
)
def test_bad_field(base, changes, field, code):
    result = check({**base, **changes})
    assert isinstance(result, BadRow)
    assert result.line == 7
    assert [(e.field, e.code) for e in result.errors] == [(field, code)]
    message = result.errors[0].message
    assert message and message[0].isupper()
    if field in ("name", "id_number") and len(changes[field].strip()) > 1:
        assert changes[field].strip() not in message  # personal data is never echoed


def test_every_bad_field_of_a_row_is_reported():
    result = check(
        {
            "name": "",
            "id_number": BAD_CHECK,
            "insurance_type": "employee",
            "status": "gone",
            "city_code": "1",
            "account_balance_yuan": "-3",
        }
    )
    assert isinstance(result, BadRow)
    assert [e.field for e in result.errors] == [
        "name",
        "id_number",
        "status",
        "city_code",
        "account_balance_yuan",
    ]


def test_balance_rule_waits_for_a_valid_insurance_type():
    result = check({**EMPLOYEE, "insurance_type": "other", "account_balance_yuan": "-3"})
    assert isinstance(result, BadRow)
    assert [e.field for e in result.errors] == ["insurance_type"]


def test_a_row_does_not_show_personal_data_in_its_repr():
    row = check(EMPLOYEE)
    text = repr(row)
    assert ZHANG_SAN not in text and "张三" not in text
    assert "3502**********" in text and "张*" in text


# --- reading a file -----------------------------------------------------------------------


def read(text: str) -> list[RosterRow | BadRow]:
    return list(RosterReader(text.splitlines(keepends=True), today=TODAY))


def employee_cells(**changes: str) -> list[str]:
    return list({**EMPLOYEE, **changes}.values())


def test_reader_yields_rows_with_line_numbers():
    text = csv_text([employee_cells(), list(RESIDENT.values())])
    rows = read(text)
    assert [type(r).__name__ for r in rows] == ["RosterRow", "RosterRow"]
    assert [r.line for r in rows] == [2, 3]


def test_reader_tolerates_a_bom_blank_lines_and_crlf():
    text = csv_text([employee_cells(), list(RESIDENT.values())]).replace("\n", "\r\n")
    lines = text.split("\r\n")
    text = "\ufeff" + "\r\n" + "\r\n".join([lines[0], "", ",,,,,", lines[1], "  ", lines[2]])
    rows = read(text)
    assert all(isinstance(r, RosterRow) for r in rows)
    assert [r.line for r in rows] == [5, 7]


def test_reader_matches_columns_by_header_and_ignores_extra_ones():
    header = ["Status", "account_balance_yuan", "remark", "NAME", "city_code", "id_number"]
    header.append("insurance_type")
    text = csv_text([["暂停", "", "moved", "王五", "350200", WANG_WU, "居民"]], header)
    reader = RosterReader(text.splitlines(keepends=True), today=TODAY)
    assert reader.ignored_columns == ("remark",)
    (row,) = list(reader)
    assert row == RosterRow(2, "王五", WANG_WU, "resident", "suspended", "350200", None)


def test_a_quoted_name_over_two_lines_keeps_the_line_numbers():
    text = csv_text([employee_cells(name="张\n三"), list(RESIDENT.values())])
    rows = read(text)
    assert rows[0].name == "张 三"
    assert [r.line for r in rows] == [2, 4]


@pytest.mark.parametrize("cells", [employee_cells()[:5], [*employee_cells(), "extra"]])
def test_a_row_with_the_wrong_number_of_cells_is_bad(cells):
    (row,) = read(csv_text([cells]))
    assert isinstance(row, BadRow)
    assert [(e.field, e.code) for e in row.errors] == [("row", "field_count")]


def test_missing_columns_are_named():
    header = ["name", "id_number", "status", "city_code"]
    with pytest.raises(MissingColumns) as caught:
        read(csv_text([], header))
    assert caught.value.columns == ("insurance_type", "account_balance_yuan")
    assert "insurance_type, account_balance_yuan" in str(caught.value)
    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("name,name,id_number,insurance_type,status,city_code,account_balance_yuan\n", "twice"),
    ],
)
def test_unreadable_headers(text, message):
    with pytest.raises(RosterFileError, match=message):
        read(text)


def test_a_header_alone_is_an_empty_roster():
    assert read(csv_text([])) == []


def test_check_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text([employee_cells(), employee_cells()]).encode("gbk"))
    with pytest.raises(RosterFileError, match="not UTF-8") as caught:
        check_utf8(path)
    assert caught.value.line == 2


def test_check_utf8_across_chunks(tmp_path):
    path = tmp_path / "big.csv"
    good = ("陈" * 100 + "\n").encode()
    data = good * 5000  # several MiB: the 3-byte characters straddle chunk boundaries
    path.write_bytes(data + b"\xe9\x99\n")
    with pytest.raises(RosterFileError) as caught:
        check_utf8(path)
    assert caught.value.line == 5001
    path.write_bytes(data)
    check_utf8(path)
    path.write_bytes(data + b"\xe9\x99")
    with pytest.raises(RosterFileError, match="ends in the middle"):
        check_utf8(path)
