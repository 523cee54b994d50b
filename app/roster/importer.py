"""Streaming import of the BMI roster file delivered by the medical insurance bureau.

The file (documented for the bureau and operators in docs/roster-format.md)
---------------------------------------------------------------------------
UTF-8 CSV (comma separated, RFC 4180 quoting, LF or CRLF line ends; a UTF-8 byte
order mark is tolerated). The first non-blank line is a header naming the columns;
their order is free and unknown extra columns are ignored (with a warning):

=======================  ==================================================================
column                   value
=======================  ==================================================================
name                     the person's name, 1–50 characters once runs of whitespace are
                         collapsed to one space and the ends trimmed
id_number                18-character resident identity number (or HK/Macao/Taiwan
                         residence permit number), checked with `parse_resident_id`:
                         region, birth date (not in the future), check character
insurance_type           ``employee`` (职工) or ``resident`` (居民)
status                   ``normal`` (正常), ``suspended`` (暂停) or ``terminated`` (终止)
city_code                6 ASCII digits, the insuring city (e.g. 350200 for Xiamen)
account_balance_yuan     employees: their personal-account balance in yuan, ≥ 0 with at
                         most two decimals (``3000``, ``86.50``, ``0.00``); no thousands
                         separators or currency signs. Residents: empty.
=======================  ==================================================================

Cells are trimmed; the English values are case-insensitive. Blank lines (and lines
whose cells are all empty) are skipped. A row must have as many cells as the header.

What an import does
-------------------
Rows are read one at a time (never the whole file), validated, and upserted in
batches keyed by the blind index of the ID number (`RosterEntry.id_index`, unique):
a person already on the roster is updated (name, status, balance, …), a new one
inserted, nobody is ever duplicated, so importing the same file twice changes
nothing but `updated_at`. A bad row is reported with its line number, the field and
the reason, never with the name or the ID number, and the import goes on without
it. An ID number that appears twice in one file: the later row wins and the repeat
is reported as a warning (with the masked number and the earlier line).

A file that cannot be read at all — not UTF-8, no header, a required column
missing — is refused before anything is written (`RosterFileError`).

The pure parts (`validate_row`, `RosterReader`) touch neither the database nor the
key ring; `import_roster` writes with Core `INSERT … ON CONFLICT DO UPDATE`
statements (no ORM objects accumulate), and calls `after_batch` after each batch:
the CLI passes `session.commit`, so memory stays flat and a crash loses at most one
batch; services and tests pass `session.flush`.
"""

from __future__ import annotations

import codecs
import csv
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from app.core import clock
from app.core.money import yuan_to_fen
from app.identity import crypto
from app.identity.masking import mask_id_number, mask_name
from app.identity.regions import PERMIT_PROVINCE_PREFIXES, PROVINCES
from app.identity.resident_id import InvalidResidentId, parse_resident_id
from app.roster.keyset import IntMap
from app.roster.models import RosterEntry

COLUMNS: Final[tuple[str, ...]] = (
    "name",
    "id_number",
    "insurance_type",
    "status",
    "city_code",
    "account_balance_yuan",
)
ROSTER_TIMEZONE: Final[str] = "Asia/Shanghai"  # "today" for birth dates in the future
DEFAULT_BATCH_SIZE: Final[int] = 2000
NAME_MAX_LENGTH: Final[int] = 50

INSURANCE_TYPES: Final[dict[str, str]] = {
    "employee": "employee",
    "职工": "employee",
    "resident": "resident",
    "居民": "resident",
}
STATUSES: Final[dict[str, str]] = {
    "normal": "normal",
    "正常": "normal",
    "suspended": "suspended",
    "暂停": "suspended",
    "terminated": "terminated",
    "终止": "terminated",
}

_CITY_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only
# ASCII digits only; sign and decimals captured to say what is wrong with a bad amount
_AMOUNT_PARTS = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?")
MAX_BALANCE_DIGITS: Final[int] = 12  # below a trillion yuan: the fen fit a BIGINT
_BAD_AMOUNT = (
    "The account balance must be yuan written like 3000 or 86.50 "
    "(no thousands separators, currency signs or exponents)."
)


# --- what validation produces ------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """Why one field of a row is refused: a stable `code` and an operator-readable
    message that never contains the value (it may be personal data)."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class RosterRow:
    """A valid row, normalised: name whitespace collapsed, ID number upper-case,
    enums in English, the balance in integer fen (None for residents)."""

    line: int
    name: str
    id_number: str
    insurance_type: str
    status: str
    city_code: str
    account_balance_fen: int | None

    def __repr__(self) -> str:
        # personal data stays out of logs and tracebacks
        return (
            f"RosterRow(line={self.line}, name={mask_name(self.name)!r}, "
            f"id_number={mask_id_number(self.id_number)!r}, "
            f"insurance_type={self.insurance_type!r}, status={self.status!r}, "
            f"city_code={self.city_code!r}, account_balance_fen={self.account_balance_fen!r})"
        )


@dataclass(frozen=True)
class BadRow:
    """A row refused, with every field that is wrong."""

    line: int
    errors: tuple[FieldError, ...]


@dataclass(frozen=True)
class Problem:
    """What an import reports: an error (the row was not imported) or a warning."""

    line: int
    field: str
    code: str
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.level == "warning" else ""
        return f"line {self.line}: {prefix}{self.field}: {self.message} [{self.code}]"


class RosterFileError(ValueError):
    """The file as a whole cannot be imported (encoding, header, CSV structure).

    Raised before anything is written, except for a CSV error met in the middle of
    the file: then `report` says what earlier batches wrote.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.report: ImportReport | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class MissingColumns(RosterFileError):
    def __init__(self, columns: Iterable[str], line: int) -> None:
        self.columns = tuple(columns)
        names = ", ".join(self.columns)
        plural = "s" if len(self.columns) > 1 else ""
        super().__init__(
            f"missing column{plural} in the header: {names} "
            f"(required: {', '.join(COLUMNS)}); nothing was imported",
            line,
        )


# --- validation of one row (pure) ------------------------------------------------------


def _name(value: str, errors: list[FieldError]) -> str:
    name = crypto.normalise_name(value)
    if not name:
        errors.append(FieldError("name", "missing", "The name is empty."))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(
            FieldError("name", "too_long", f"The name is longer than {NAME_MAX_LENGTH} characters.")
        )
    elif not name.isprintable():
        errors.append(FieldError("name", "bad_characters", "The name contains control characters."))
    return name


def _id_number(value: str, today: date, errors: list[FieldError]) -> str:
    if not value.strip():
        errors.append(FieldError("id_number", "missing", "The ID number is empty."))
        return ""
    try:
        return parse_resident_id(value, today=today).number
    except InvalidResidentId as exc:
        errors.append(FieldError("id_number", exc.code, exc.message_en))
        return ""


def _choice(
    column: str, value: str, choices: Mapping[str, str], expected: str, errors: list[FieldError]
) -> str:
    text = value.strip()
    found = choices.get(text.lower()) if text.isascii() else choices.get(text)
    if found is None:
        code = "missing" if not text else "bad_value"
        label = column.replace("_", " ")
        errors.append(FieldError(column, code, f"The {label} must be {expected}."))
        return ""
    return found


def _city_code(value: str, errors: list[FieldError]) -> str:
    code = value.strip()
    if not code:
        errors.append(FieldError("city_code", "missing", "The city code is empty."))
    elif not _CITY_CODE.fullmatch(code):
        errors.append(
            FieldError("city_code", "bad_format", "The city code must be 6 digits (e.g. 350200).")
        )
    elif code[:2] not in PROVINCES and code[:2] not in PERMIT_PROVINCE_PREFIXES:
        errors.append(
            FieldError(
                "city_code", "bad_region", "The city code does not start with a province code."
            )
        )
    return code


def _balance(value: str, insurance_type: str, errors: list[FieldError]) -> int | None:
    column = "account_balance_yuan"
    text = value.strip()
    if insurance_type == "resident":
        if text:
            errors.append(
                FieldError(
                    column,
                    "not_allowed",
                    "Residents have no personal account: leave the balance empty.",
                )
            )
        return None
    if insurance_type != "employee":
        return None  # the insurance type is already reported; the rule depends on it
    if not text:
        errors.append(
            FieldError(
                column,
                "missing",
                "Employees need their account balance in yuan (e.g. 3000.00; 0.00 for none).",
            )
        )
        return None
    parts = _AMOUNT_PARTS.fullmatch(text)
    if parts is None or not (parts["whole"] or parts["fraction"]):
        code, message = "bad_amount", _BAD_AMOUNT
    elif parts["sign"]:
        code, message = "negative", "The account balance cannot be negative."
    elif parts["fraction"] is not None and len(parts["fraction"]) > 2:
        code, message = "too_many_decimals", "The account balance has more than two decimals."
    elif not parts["whole"] or parts["fraction"] == "":
        code, message = "bad_amount", _BAD_AMOUNT
    elif len(parts["whole"]) > MAX_BALANCE_DIGITS:
        code, message = "too_large", "The account balance is too large."
    else:
        return yuan_to_fen(text)
    errors.append(FieldError(column, code, message))
    return None


def validate_row(values: Mapping[str, str], line: int, *, today: date) -> RosterRow | BadRow:
    """Check one data row (cells by column name) and normalise it.

    Every bad field is reported, not only the first. `today` (the local date in
    Asia/Shanghai) refuses birth dates in the future. Pure: no database, no keys.
    """
    errors: list[FieldError] = []
    name = _name(values.get("name", ""), errors)
    id_number = _id_number(values.get("id_number", ""), today, errors)
    insurance_type = _choice(
        "insurance_type",
        values.get("insurance_type", ""),
        INSURANCE_TYPES,
        "employee or resident (职工/居民)",
        errors,
    )
    status = _choice(
        "status",
        values.get("status", ""),
        STATUSES,
        "normal, suspended or terminated (正常/暂停/终止)",
        errors,
    )
    city_code = _city_code(values.get("city_code", ""), errors)
    balance = _balance(values.get("account_balance_yuan", ""), insurance_type, errors)
    if errors:
        return BadRow(line, tuple(errors))
    return RosterRow(line, name, id_number, insurance_type, status, city_code, balance)


# --- reading a file (pure) -------------------------------------------------------------------


class RosterReader:
    """Iterates the data rows of a roster CSV given as lines of text (an open file
    or any iterable of strings), yielding `RosterRow` or `BadRow` with the number
    of the line the row starts on. The header is checked on construction:
    `MissingColumns` (or `RosterFileError`) before any row is read."""

    def __init__(self, lines: Iterable[str], *, today: date) -> None:
        self.today = today
        self._reader = csv.reader(lines)
        self.header_line = 0
        self.ignored_columns: tuple[str, ...] = ()
        self._width = 0
        self._index = self._read_header()

    def _next_row(self) -> tuple[int, list[str]] | None:
        before = self._reader.line_num
        try:
            row = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise RosterFileError(f"the file is not valid CSV ({exc})", before + 1) from None
        return before + 1, row

    def _read_header(self) -> dict[str, int]:
        while True:
            found = self._next_row()
            if found is None:
                raise RosterFileError("the file is empty: a header row is required")
            line, row = found
            if line == 1 and row:
                # a BOM, when the lines do not come from a file opened with utf-8-sig
                row[0] = row[0].removeprefix("\ufeff")
            if any(cell.strip() for cell in row):
                break
        self.header_line = line
        names = [cell.strip().lower() for cell in row]
        self._width = len(names)
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            if name in COLUMNS and name in index:
                raise RosterFileError(f"the column {name} appears twice in the header", line)
            index.setdefault(name, position)
        missing = [column for column in COLUMNS if column not in index]
        if missing:
            raise MissingColumns(missing, line)
        self.ignored_columns = tuple(name for name in names if name not in COLUMNS)
        return {column: index[column] for column in COLUMNS}

    def __iter__(self) -> Iterator[RosterRow | BadRow]:
        index, width = self._index, self._width
        while (found := self._next_row()) is not None:
            line, row = found
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                yield BadRow(
                    line,
                    (
                        FieldError(
                            "row",
                            "field_count",
                            f"The row has {len(row)} cells; the header has {width}.",
                        ),
                    ),
                )
                continue
            values = {column: row[position] for column, position in index.items()}
            yield validate_row(values, line, today=self.today)


def check_utf8(path: str | Path) -> None:
    """Read the file once in 1 MiB chunks (never whole) and refuse it, with the line
    of the first bad byte, unless it is UTF-8: then nothing has been written."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, max(0, exc.start - pending))
                raise RosterFileError(
                    "the file is not UTF-8 (save it as UTF-8: GBK/GB18030 and UTF-16 files "
                    "are not accepted); nothing was imported",
                    line,
                ) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise RosterFileError(
                "the file ends in the middle of a UTF-8 character; nothing was imported", line
            ) from None


# --- writing ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """Counts of one import. rows_read = inserted + updated + duplicates + bad."""

    rows_read: int = 0
    inserted: int = 0  # people new to the roster
    updated: int = 0  # people already on it (whether or not anything changed)
    duplicates: int = 0  # rows repeating an ID number of an earlier row of the file
    bad: int = 0
    batches: int = 0
    elapsed_s: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"rows read: {self.rows_read}, inserted: {self.inserted}, updated: {self.updated}, "
            f"duplicates: {self.duplicates}, bad: {self.bad}, "
            f"elapsed: {self.elapsed_s:.2f} s ({self.rows_per_second:,.0f} rows/s)"
        )


# columns a re-import overwrites (all but the primary key and the index it conflicts on);
# the ciphertexts are rewritten too, which also moves them to the active key
UPDATED_COLUMNS: Final[tuple[str, ...]] = (
    "id_number",
    "name",
    "name_index",
    "insurance_type",
    "status",
    "city_code",
    "account_balance_fen",
    "updated_at",
)


def upsert_statement(dialect_name: str) -> Insert:
    """INSERT … ON CONFLICT (id_index) DO UPDATE for the session's database."""
    table: Table = RosterEntry.__table__  # type: ignore[assignment]
    if dialect_name == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect_name == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise RuntimeError(f"roster import supports PostgreSQL and SQLite, not {dialect_name}")
    result: Insert = stmt.on_conflict_do_update(
        index_elements=[table.c.id_index],
        set_={column: stmt.excluded[column] for column in UPDATED_COLUMNS},
    )
    return result


def _fingerprint(key: str) -> int:
    """60 bits of the blind index (hex HMAC). Two different ID numbers share one with a
    chance of about 4 in 10 million in a file of a million rows; it would only add a
    false "duplicate" warning and miscount one row (the upsert uses the full index)."""
    return int(key[:15], 16)


def import_roster(
    session: Session,
    lines: Iterable[str],
    *,
    after_batch: Callable[[], None],
    on_problem: Callable[[Problem], None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    today: date | None = None,
) -> ImportReport:
    """Import roster CSV `lines` (an open text file or any iterable of lines).

    Raises `RosterFileError` (e.g. `MissingColumns`) before writing anything when
    the header is wrong. Bad rows and duplicates go to `on_problem` and the import
    goes on. `after_batch` runs after each batch is written (commit or flush).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    report = ImportReport()
    today = today or clock.today(ROSTER_TIMEZONE)
    reader = RosterReader(lines, today=today)
    emit = on_problem or (lambda _problem: None)
    for column in reader.ignored_columns:
        emit(
            Problem(
                reader.header_line,
                column or "(blank)",
                "unknown_column",
                "column not part of the roster format: ignored",
                "warning",
            )
        )
    upsert = upsert_statement(session.get_bind().dialect.name)
    seen = IntMap()  # fingerprint of each ID number -> the line it was first seen on
    # id_index -> (the latest row, whether the ID's first row in the file is in this batch)
    batch: dict[str, tuple[RosterRow, bool]] = {}
    try:
        for item in reader:
            report.rows_read += 1
            if isinstance(item, BadRow):
                report.bad += 1
                for error in item.errors:
                    emit(Problem(item.line, error.field, error.code, error.message))
                continue
            key = crypto.id_index(item.id_number)
            earlier = seen.setdefault(_fingerprint(key), item.line)
            if earlier:
                report.duplicates += 1
                emit(
                    Problem(
                        item.line,
                        "id_number",
                        "duplicate",
                        f"the same ID number ({mask_id_number(item.id_number)}) as line "
                        f"{earlier}: this later row wins",
                        "warning",
                    )
                )
            previous = batch.get(key)
            batch[key] = (item, previous[1] if previous else not earlier)
            if len(batch) >= batch_size:
                _write_batch(session, upsert, batch, report)
                batch = {}
                after_batch()
        if batch:
            _write_batch(session, upsert, batch, report)
            after_batch()
    except RosterFileError as exc:
        exc.report = report
        raise
    finally:
        report.elapsed_s = time.perf_counter() - started
    return report


def _write_batch(
    session: Session, upsert: Insert, batch: dict[str, tuple[RosterRow, bool]], report: ImportReport
) -> None:
    table: Table = RosterEntry.__table__  # type: ignore[assignment]
    keys = list(batch)
    existing = set(session.scalars(select(table.c.id_index).where(table.c.id_index.in_(keys))))
    stamp = clock.now()
    params = []
    for key, (row, first_in_file) in batch.items():
        if first_in_file:
            if key in existing:
                report.updated += 1
            else:
                report.inserted += 1
        params.append(
            {
                "id_index": key,
                "name_index": crypto.name_index(row.name),
                "id_number": row.id_number,
                "name": row.name,
                "insurance_type": row.insurance_type,
                "status": row.status,
                "city_code": row.city_code,
                "account_balance_fen": row.account_balance_fen,
                "updated_at": stamp,
            }
        )
    session.execute(upsert, params)
    report.batches += 1


def import_file(
    session: Session,
    path: str | Path,
    *,
    after_batch: Callable[[], None],
    on_problem: Callable[[Problem], None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    today: date | None = None,
) -> ImportReport:
    """`import_roster` on a file: checked to be UTF-8 first (so that an encoding
    error writes nothing), then streamed (a BOM is skipped)."""
    check_utf8(path)
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return import_roster(
            session,
            stream,
            after_batch=after_batch,
            on_problem=on_problem,
            batch_size=batch_size,
            today=today,
        )
