"""`flask keys rotate`: re-encrypt personal data under PII_ACTIVE_KEY."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.db import get_session
from app.identity import crypto, rotate

keys_cli = AppGroup("keys", help="Keys for personal data at rest.")


@keys_cli.command("rotate")
def rotate_cmd() -> None:
    """Re-encrypt every encrypted value not under the active key (idempotent)."""
    db = get_session()
    report = rotate.rotate(db, after_batch=db.commit)
    db.commit()
    click.echo(
        f"active key {crypto.ring().active}: {report.rotated} of {report.checked} values "
        f"re-encrypted in {report.columns} columns"
    )
