"""`flask staff create USERNAME --role reviewer [--role admin] [--name ...] [--password ...]`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.core.db import get_session
from app.core.errors import DomainError
from app.staff import service

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(service.ROLES))
@click.option("--name", "display_name", default="", help="Display name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters (prompted when omitted)",
)
def create_cmd(username: str, roles: tuple[str, ...], display_name: str, password: str) -> None:
    """Create a staff user; prints the TOTP secret to enrol in an authenticator app."""
    db = get_session()
    try:
        created = service.create_staff(db, username, display_name, password, list(roles))
    except DomainError as exc:
        db.rollback()
        click.echo(f"error: {exc.message_en} / {exc.message_zh}", err=True)
        sys.exit(2)
    db.commit()
    click.echo(f"created {username} ({','.join(sorted(set(roles)))})")
    click.echo(f"TOTP secret: {created.totp_secret}")
    click.echo(f"authenticator URI: {created.provisioning_uri}")


@staff_cli.command("totp")
@click.argument("username")
def totp_cmd(username: str) -> None:
    """Print a staff user's current one-time code (development only: in production the
    secret lives in the user's authenticator app)."""
    from flask import current_app
    from sqlalchemy import select

    from app.auth.models import StaffUser
    from app.core import clock
    from app.staff import passwords

    if current_app.extensions["settings"].is_production:
        click.echo("error: not available in production", err=True)
        sys.exit(2)
    user = get_session().scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        click.echo(f"error: no staff user {username}", err=True)
        sys.exit(2)
    step = passwords.totp_step(clock.now().timestamp())
    click.echo(passwords.totp_at(user.totp_secret, step))
