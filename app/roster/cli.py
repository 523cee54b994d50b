"""`flask roster import FILE`, `flask roster fake N`, `flask roster summary`.

Exit status of `import`: 0 all rows imported (warnings allowed), 1 some rows were
bad (the others were imported), 2 the file was refused (nothing written) or stopped
by a CSV error (earlier batches stay; importing the fixed file again is safe).
Names and ID numbers are never printed, ID numbers at most masked.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

import click
from flask.cli import AppGroup

from app.core import clock
from app.core.db import get_session
from app.roster import fake, importer, service

roster_cli = AppGroup("roster", help="The city's basic medical insurance (BMI) roster.")


def _echo_problem(problem: importer.Problem) -> None:
    click.echo(str(problem), err=True)


def _run_import(source: str | Iterable[str], label: str, batch_size: int) -> int:
    """Import a file (a path) or lines, committing after each batch; the exit status."""
    session = get_session()
    run = importer.import_file if isinstance(source, str) else importer.import_roster
    try:
        report = run(
            session,
            source,  # type: ignore[arg-type]
            after_batch=session.commit,
            on_problem=_echo_problem,
            batch_size=batch_size,
        )
    except importer.RosterFileError as exc:
        session.rollback()
        click.echo(f"{label}: {exc}", err=True)
        if exc.report is not None and exc.report.batches:
            click.echo(f"written before the error (committed): {exc.report}", err=True)
        return 2
    click.echo(str(report))
    return 1 if report.bad else 0


@roster_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=importer.DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per INSERT … ON CONFLICT batch; committed after each.",
)
def import_cmd(path: str, batch_size: int) -> None:
    """Import (insert or update) the bureau's roster CSV; see docs/roster-format.md."""
    sys.exit(_run_import(path, path, batch_size))


def _tee(lines: Iterable[str], stream: TextIO) -> Iterator[str]:
    for line in lines:
        stream.write(line)
        yield line


@roster_cli.command("fake")
@click.argument("count", type=click.IntRange(min=0))
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same people.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the CSV to this file (default: standard output).",
)
@click.option(
    "--import",
    "do_import",
    is_flag=True,
    help="Import the people into the roster (streamed through the importer).",
)
def fake_cmd(count: int, seed: int, out: str | None, do_import: bool) -> None:
    """COUNT fake people in the import format, the demo people first (app/roster/fake.py).

    The people depend on the seed and today's date (Asia/Shanghai) only.
    """
    today = clock.today(importer.ROSTER_TIMEZONE)
    lines = fake.csv_lines(fake.generate(count, seed=seed, today=today))
    if do_import:
        batch_size = importer.DEFAULT_BATCH_SIZE
        if out is None:
            sys.exit(_run_import(lines, "fake roster", batch_size))
        with open(out, "w", encoding="utf-8", newline="") as stream:
            status = _run_import(_tee(lines, stream), "fake roster", batch_size)
        sys.exit(status)
    if out is None:
        sys.stdout.writelines(lines)  # not click.echo: it flushes every line
        return
    with open(out, "w", encoding="utf-8", newline="") as stream:
        stream.writelines(lines)
    click.echo(f"wrote {count} people to {out}", err=True)


@roster_cli.command("summary")
def summary_cmd() -> None:
    """Counts of the roster by status and insurance type."""
    figures = service.summary(get_session())
    click.echo(f"total: {figures['total']}")
    for group in ("by_status", "by_insurance_type"):
        click.echo(", ".join(f"{key}: {value}" for key, value in figures[group].items()))
