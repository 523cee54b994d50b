"""Fixtures for the roster tests (data in roster_data.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from roster_data import csv_text

from app.roster.importer import COLUMNS


@pytest.fixture
def roster_file(tmp_path: Path) -> Callable[..., Path]:
    """roster_file(rows, header=COLUMNS, encoding="utf-8", bom=False) -> path of a CSV."""
    counter = iter(range(1, 1000))

    def write(
        rows: Sequence[Sequence[str]] | str,
        header: Sequence[str] = COLUMNS,
        encoding: str = "utf-8",
        bom: bool = False,
    ) -> Path:
        text = rows if isinstance(rows, str) else csv_text(rows, header)
        path = tmp_path / f"roster-{next(counter)}.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
        return path

    return write
