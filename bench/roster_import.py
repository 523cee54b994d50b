"""Benchmark: the streaming roster import, its speed and its (flat) memory.

    .venv/bin/python bench/roster_import.py [N]        # N defaults to 1,000,000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB \\
        .venv/bin/python bench/roster_import.py 200000

Writes fake rosters (app/roster/fake.py) of 100,000 and N rows to temporary CSV
files, imports each into a fresh temporary SQLite database — and, when
BENCH_DATABASE_URL is set, into a scratch schema of that PostgreSQL database,
dropped at the end (nothing else there is touched) — then imports the same file
again (every row an update). Each import runs in its own child process, as
`flask roster import` does (a commit per batch of 2,000), so that the peak RSS
printed (getrusage ru_maxrss) is that import's alone: flat memory shows as about
the same peak for 100,000 and for N rows (plus the duplicate detector's 12–24
bytes per distinct ID number). "RSS before" is the child's peak once the app is
loaded, just before the import starts.

Not a test: speed is measured here, never asserted in the suite.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.core import clock
from app.core.cli import upgrade
from app.roster import fake
from app.roster.importer import ROSTER_TIMEZONE

SMALL = 100_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def import_once(url: str, csv_path: str) -> None:
    """One import in this process; prints its figures as JSON."""
    logging.disable(logging.WARNING)
    from app import create_app
    from app.core.db import get_session
    from app.roster.importer import import_file

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        session = get_session()
        before = peak_rss_mb()
        bad: list[str] = []
        report = import_file(
            session, csv_path, after_batch=session.commit, on_problem=lambda p: bad.append(str(p))
        )
        figures = {
            "rows": report.rows_read,
            "inserted": report.inserted,
            "updated": report.updated,
            "bad": report.bad,
            "elapsed_s": report.elapsed_s,
            "rss_before_mb": before,
            "rss_peak_mb": peak_rss_mb(),
        }
    print(json.dumps(figures))


def generate(size: str, csv_path: str) -> None:
    """Write the fake roster (in a child process too: see run_child)."""
    today = clock.today(ROSTER_TIMEZONE)
    with open(csv_path, "w", encoding="utf-8", newline="") as stream:
        fake.write_csv(fake.generate(int(size), seed=1, today=today), stream)


def run_child(*args: str) -> dict[str, float]:
    """Run this script in a child process. Linux carries the peak RSS across fork and
    exec, so the parent stays small: it generates nothing and imports nothing itself."""
    out = subprocess.run(  # noqa: S603 - this script, with our own arguments
        [sys.executable, __file__, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    lines = out.stdout.strip().splitlines()
    result: dict[str, float] = json.loads(lines[-1]) if lines else {}
    return result


def scratch_postgres(url: str) -> tuple[str, str]:
    """A new schema in the PostgreSQL database and a URL whose search_path is it."""
    schema = f"roster_bench_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, scoped.render_as_string(hide_password=False)


def drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sizes = [SMALL, n] if n > SMALL else [n]
    today = clock.today(ROSTER_TIMEZONE)
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    logging.disable(logging.WARNING)
    print(f"roster import benchmark: {', '.join(f'{s:,}' for s in sizes)} rows; today {today}")
    print(
        f"{'database':<10} {'rows':>10} {'run':<7} {'elapsed':>9} {'rows/s':>8} "
        f"{'peak RSS':>9} {'RSS before':>11}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            csv_path = Path(tmp) / f"roster-{size}.csv"
            started = time.perf_counter()
            run_child("--generate", str(size), str(csv_path))
            print(
                f"# generated {size:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            targets = [("sqlite", f"sqlite:///{tmp}/bench-{size}.db", None)]
            if pg_url:
                schema, scoped = scratch_postgres(pg_url)
                targets.append(("postgresql", scoped, schema))
            for name, url, schema in targets:
                try:
                    upgrade(url)
                    for run in ("insert", "update"):
                        r = run_child("--import", url, str(csv_path))
                        assert r["bad"] == 0 and r["rows"] == size, r
                        print(
                            f"{name:<10} {int(r['rows']):>10,} {run:<7} {r['elapsed_s']:>8.1f}s "
                            f"{r['rows'] / r['elapsed_s']:>8,.0f} {r['rss_peak_mb']:>6.0f} MB "
                            f"{r['rss_before_mb']:>8.0f} MB",
                            flush=True,
                        )
                finally:
                    if schema and pg_url:
                        drop_schema(pg_url, schema)
            csv_path.unlink()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--import":
        import_once(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--generate":
        generate(sys.argv[2], sys.argv[3])
    else:
        main()
