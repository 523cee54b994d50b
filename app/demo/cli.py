"""`flask demo seed`: the demo plan with cover running, a demo family with claims, and a
reviewer account (development with the stand-ins only)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.core.db import get_session
from app.core.errors import DomainError
from app.demo import seed as demo

demo_cli = AppGroup("demo", help="The demo data of `make run`.")


@demo_cli.command("seed")
def seed_cmd() -> None:
    """Set up (once) the running demo plan, the demo family's policies and claims, and the
    demo reviewer; print how to log in."""
    settings = current_app.extensions["settings"]
    if not settings.dev_standins or settings.is_production:
        click.echo("error: the demo needs DEV_STANDINS=1 and is never for production", err=True)
        sys.exit(2)
    db = get_session()
    try:
        result = demo.seed(
            db, current_app.extensions["document_storage"], settings.standin_db, click.echo
        )
    except DomainError as exc:
        db.rollback()
        click.echo(f"demo not set up: {exc.message_en} / {exc.message_zh}", err=True)
        sys.exit(2)
    db.commit()
    state = "created" if result.created else "already there"
    click.echo(
        f"demo {state}: plan {result.plan_code}, {result.claims} claims of the family of "
        f"{result.member_nickname}"
    )
    click.echo(
        "  member:  open the app, 微信登录 → pick “" + result.member_nickname + "” on the stand-in"
    )
    click.echo(
        f"  staff:   /staff/  username {demo.REVIEWER}  password {demo.REVIEWER_PASSWORD}  "
        f"TOTP secret {demo.REVIEWER_TOTP_SECRET} (current code: make totp)"
    )
