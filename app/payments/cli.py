"""`flask orders sweep`, `flask payments reconcile [--date D]`, `flask payments refunds`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.core import clock
from app.core.db import get_session
from app.enrollment import service as enrollment
from app.enrollment.models import Order
from app.payments import refunds, service
from app.payments.models import Payment

orders_cli = AppGroup("orders", help="Orders.")
payments_cli = AppGroup("payments", help="Payments: reconciliation and refunds.")


@orders_cli.command("sweep")
def sweep_cmd() -> None:
    """Expire unpaid orders past their time and release their persons (reads do this too)."""
    db = get_session()
    count = enrollment.expire_stale(db)
    db.commit()
    click.echo(f"{count} orders expired")


@payments_cli.command("reconcile")
@click.option("--date", "day", default=None, help="Local date (Asia/Shanghai), default today")
def reconcile_cmd(day: str | None) -> None:
    """Ask the providers about every still-open payment created on a day; apply the paid."""
    tz = ZoneInfo("Asia/Shanghai")
    local = date.fromisoformat(day) if day else clock.today("Asia/Shanghai")
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    end = start + timedelta(days=1)
    db = get_session()
    order_ids = list(
        db.scalars(
            select(Payment.order_id)
            .where(
                Payment.status == "created", Payment.created_at >= start, Payment.created_at < end
            )
            .distinct()
        )
    )
    paid = 0
    for order_id in order_ids:
        order = db.get(Order, order_id)
        if order is None:
            continue
        before = order.status
        service.reconcile(db, order)
        db.commit()
        paid += before != "paid" and order.status == "paid"
    click.echo(f"{local}: {len(order_ids)} orders with open payments checked, {paid} now paid")


@payments_cli.command("refunds")
def refunds_cmd() -> None:
    """Send (again) the refunds not yet accepted by their provider."""
    db = get_session()
    ids = refunds.pending_refunds(db)
    done = 0
    for refund_id in ids:
        status = refunds.send(db, refund_id)
        db.commit()
        done += status == "success"
    click.echo(f"{len(ids)} refunds sent, {done} succeeded")
