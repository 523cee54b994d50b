"""Data shared by the roster tests: valid ID numbers, a fixed date, CSV text."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from app.roster.fake import make_id_number
from app.roster.importer import COLUMNS

TODAY = date(2026, 11, 24)  # the pure tests' "today" in Asia/Shanghai

# valid, distinct ID numbers (none of them a demo person's)
ZHANG_SAN = make_id_number("350206", date(1980, 1, 2), "101")  # male
LI_SI = make_id_number("350211", date(1990, 6, 30), "202")  # female
WANG_WU = make_id_number("350212", date(2015, 9, 9), "301")  # male
ZHAO_LIU = make_id_number("830000", date(1975, 12, 1), "402")  # Taiwan residence permit


def csv_text(rows: Sequence[Sequence[str]], header: Sequence[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
