"""`flask plans load FILE`, `flask plans load-samples`, `flask plans list`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.core.db import get_session
from app.plans import service
from app.plans.terms_schema import TermsFileError

plans_cli = AppGroup("plans", help="Plan-year terms.")


def _report(result: service.PublishResult) -> None:
    plan = result.plan
    what = "published" if result.created else "unchanged (already published)"
    click.echo(f"{plan.code} v{plan.version}: {what} — {plan.name_zh} / {plan.name_en}")


@plans_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_cmd(path: str) -> None:
    """Validate a terms file (YAML/JSON) and publish it as the plan's next version."""
    session = get_session()
    try:
        result = service.publish_file(session, path)
    except TermsFileError as exc:
        session.rollback()
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(2)
    session.commit()
    _report(result)


@plans_cli.command("load-samples")
def load_samples_cmd() -> None:
    """Publish the sample plan xm-2023 and a demo plan whose enrollment is open today."""
    session = get_session()
    results = service.publish_samples(session)
    session.commit()
    for result in results:
        _report(result)


@plans_cli.command("list")
def list_cmd() -> None:
    """List the latest version of every plan."""
    for plan in service.list_plans(get_session()):
        click.echo(
            f"{plan.code}\tv{plan.version}\t{plan.plan_year}\t"
            f"{plan.enrollment_opens_at.isoformat()} .. {plan.enrollment_closes_at.isoformat()}\t"
            f"{plan.name_zh}"
        )
