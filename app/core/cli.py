"""`flask db upgrade|current|check`: the schema is created only by Alembic migrations."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup

from app.settings import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"


def alembic_config(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_cmd(revision: str) -> None:
    """Upgrade the database to a revision (default: head)."""
    url = current_app.extensions["settings"].database_url
    upgrade(url, revision)
    click.echo(f"database at {revision}")


@db_cli.command("current")
def current_cmd() -> None:
    """Show the database's revision."""
    command.current(alembic_config(current_app.extensions["settings"].database_url))
