"""Benchmark: the staff review queue (`app.claims.review.queue`) on PostgreSQL at scale.

    .venv/bin/python bench/claims_queue.py                    # 300,000 claims, 6 files each
    .venv/bin/python bench/claims_queue.py --claims 100000 --shared-fraction 0.05
    .venv/bin/python bench/claims_queue.py --url postgresql+psycopg://postgres@127.0.0.1:5432/DB

By default a scratch database `bench_claims` is created on the local server (trust auth) and
dropped at the end (`--keep` leaves it). With `--url` the database must be empty (no
tables): the schema is made there and its tables are dropped at the end unless `--keep`.

The schema comes from the Alembic migrations (`app.core.cli.upgrade`); the sample plan is
published with `app.plans.service.publish_samples`. Everything else is generated in the
server (`INSERT ... SELECT generate_series`, seeded, so two runs load the same rows):

- `--people` members, each with one insured person and one issued policy of xm-2023 (and
  the roster entry, health declaration, order and order line a policy hangs on); every
  encrypted column holds one real ciphertext, the same for every row;
- `--claims` filed claims (all `submitted_at` set, claim type `hospital`), spread over
  submitted / under_review / need_more_info / approved / paid / rejected; `sla_due_at` as
  `change_status` keeps it: the decision clock (filed + 30 days) for submitted and
  under_review, NULL while paused (need_more_info), the payment clock (approved + 10 days)
  for approved, NULL once paid or rejected — so a part of the open claims is overdue;
  approved and paid claims carry a decision document of the size `approve` stores;
- `--docs-per-claim` files per claim, each with its own SHA-256, except that a share
  `--shared-fraction` of the claims come in pairs holding one common file, whose two rows
  are `shared` (both claims are filed), as `refresh_shared` would have left them.

Then VACUUM ANALYZE (the visibility map and statistics autovacuum would have made).

Each case runs once untimed (caches), then 5 times, each in a fresh `Session` on one
engine; the figures are the median (and the fastest) of the whole call (count + page +
ORM loading), with the median time of its count and page statements alone (from the
engine's cursor events). The `EXPLAIN (ANALYZE, BUFFERS)` summary of the duplicate=True
count follows (`--explain` prints the whole plans of the duplicate filters' statements).

Not a test: speed is measured here, never asserted in the suite.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.claims import service
from app.claims.review import QueueFilter, queue
from app.core.cli import upgrade
from app.models import Base

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
SCRATCH = "bench_claims"
RUNS = 5
PLAN_CODE = "xm-2023"
CLAIM_TYPE = "hospital"
# status, share of the claims (cumulative thresholds below)
STATUSES = (
    ("submitted", 0.10),
    ("under_review", 0.15),
    ("need_more_info", 0.05),
    ("approved", 0.05),
    ("paid", 0.50),
    ("rejected", 0.15),
)


# --- the scratch database ------------------------------------------------------------------


def create_scratch() -> str:
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    admin.dispose()
    return SERVER + SCRATCH


def drop_scratch() -> None:
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
    admin.dispose()


def drop_tables(url: str) -> None:
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def check_empty(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    engine.dispose()
    if tables:
        raise SystemExit(f"{make_url(url).database}: not empty ({len(tables)} tables); refusing")


# --- loading -------------------------------------------------------------------------------


def publish_plan(url: str) -> dict[str, Any]:
    """Publish the sample plans through the app; return what the bulk load needs: the plan,
    one ciphertext per encrypted column, and a decision document as `approve` stores it."""
    from app import create_app
    from app.core.db import get_session
    from app.identity import crypto
    from app.plans import presenters
    from app.plans import service as plans
    from app.rules.payout import YearToDate as Ytd

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        session = get_session()
        published = plans.publish_samples(session)
        session.commit()
        plan = next(r.plan for r in published if r.plan.code == PLAN_CODE)
        terms = plans.terms_of(plan)
        expenses = [
            {"liability": "in_catalog", "amount_fen": 8_000_000, "other_paid_fen": 2_500_000},
            {"liability": "out_of_catalog", "amount_fen": 1_200_000, "other_paid_fen": 0},
        ]
        result = service.run_engine(
            terms, service.claim_type_of(terms, CLAIM_TYPE), "standard", expenses, Ytd()
        )
        before = service.ytd_view(Ytd())
        figures = presenters.payout_result(result)
        ring = crypto.ring()
        return {
            "plan_id": plan.id,
            "scheme": plan.scheme,
            "plan_year": plan.plan_year,
            "coverage_start": plan.coverage_start,
            "coverage_end": plan.coverage_end,
            "expenses": expenses,
            # the files a hospital claim needs, from the plan's checklist (an adult's)
            "kinds": service.required_kinds(service.claim_type_of(terms, CLAIM_TYPE), False),
            "payout_fen": result.total_payout_fen,
            "decision": {
                **figures,
                "year_to_date_before": before,
                "member_estimate": {**figures, "year_to_date": before},
            },
            "cipher": {
                column: ring.encrypt(value, column)
                for column, value in (
                    ("roster_entries.name", "张三"),
                    ("roster_entries.id_number", "350203199001011234"),
                    ("insured_persons.name", "张三"),
                    ("insured_persons.id_number", "350203199001011234"),
                    ("health_declarations.answers", "{}"),
                )
            },
        }


PEOPLE_SQL = """
INSERT INTO roster_entries (id, id_index, name_index, id_number, name, insurance_type, status,
    city_code, account_balance_fen, updated_at)
SELECT 'RE' || lpad(i::text, 24, '0'), 'idx-' || i, 'name-' || i, :re_id_number, :re_name,
    'resident', 'normal', '350200', NULL, now()
FROM generate_series(1, :people) AS i;

INSERT INTO members (id, created_at, nickname, id_index, birth_date, sex, id_kind,
    roster_entry_id, bound_at)
SELECT 'ME' || lpad(i::text, 24, '0'), now() - interval '400 days', 'member ' || i,
    'idx-' || i, date '1980-01-01' + (i % 10000), CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END,
    'resident_id', 'RE' || lpad(i::text, 24, '0'), now() - interval '400 days'
FROM generate_series(1, :people) AS i;

INSERT INTO insured_persons (id, member_id, relation, name, id_number, id_index, birth_date, sex,
    id_kind, roster_entry_id, created_at)
SELECT 'IP' || lpad(i::text, 24, '0'), 'ME' || lpad(i::text, 24, '0'), 'self', :ip_name,
    :ip_id_number, 'idx-' || i, date '1980-01-01' + (i % 10000),
    CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END, 'resident_id',
    'RE' || lpad(i::text, 24, '0'), now() - interval '400 days'
FROM generate_series(1, :people) AS i;

INSERT INTO health_declarations (id, person_id, plan_id, answers, health_consent_at, tier,
    reasons, created_at)
SELECT 'HD' || lpad(i::text, 24, '0'), 'IP' || lpad(i::text, 24, '0'), :plan_id, :hd_answers,
    now() - interval '400 days', 'standard', '[]'::jsonb, now() - interval '400 days'
FROM generate_series(1, :people) AS i;

INSERT INTO orders (id, member_id, plan_id, status, total_fen, created_at, expires_at, paid_at)
SELECT 'OR' || lpad(i::text, 24, '0'), 'ME' || lpad(i::text, 24, '0'), :plan_id, 'paid', 12900,
    now() - interval '400 days', now() - interval '399 days', now() - interval '400 days'
FROM generate_series(1, :people) AS i;

INSERT INTO order_lines (id, order_id, position, person_id, scheme, plan_year, person_index,
    declaration_id, tier, premium_fen, premium_rule, state)
SELECT 'OL' || lpad(i::text, 24, '0'), 'OR' || lpad(i::text, 24, '0'), 0,
    'IP' || lpad(i::text, 24, '0'), :scheme, :plan_year, 'idx-' || i,
    'HD' || lpad(i::text, 24, '0'), 'standard', 12900, 'standard', 'paid'
FROM generate_series(1, :people) AS i;

INSERT INTO policies (id, policy_number, order_line_id, member_id, person_id, plan_id, scheme,
    plan_year, person_index, tier, premium_fen, coverage_start, coverage_end, verification_code,
    state, issued_at, cancelled_at)
SELECT 'PO' || lpad(i::text, 24, '0'), 'P' || lpad(i::text, 12, '0'),
    'OL' || lpad(i::text, 24, '0'), 'ME' || lpad(i::text, 24, '0'),
    'IP' || lpad(i::text, 24, '0'), :plan_id, :scheme, :plan_year, 'idx-' || i, 'standard',
    12900, :coverage_start, :coverage_end, lpad(i::text, 8, '0'), 'issued',
    now() - interval '400 days', NULL
FROM generate_series(1, :people) AS i;
"""

# the claims: g draws the randoms, s picks the status and the instants, the SELECT writes
CLAIMS_SQL = """
INSERT INTO claims (id, claim_number, member_id, person_id, policy_id, plan_id, claim_type,
    status, service_start, service_end, hospital, expenses, claimed_fen, estimate_fen,
    verified_expenses, decision, payout_fen, reject_reason, reject_detail, info_request,
    bank_reference, sla_due_at, created_at, updated_at, submitted_at, decided_at, paid_at)
SELECT
    'CL' || lpad(i::text, 24, '0'), 'C' || lpad(i::text, 12, '0'),
    'ME' || lpad(p::text, 24, '0'), 'IP' || lpad(p::text, 24, '0'),
    'PO' || lpad(p::text, 24, '0'), :plan_id, :claim_type, status,
    service_start, LEAST(service_start + (i % 20), CAST(:coverage_end AS date)),
    'Hospital ' || (i % 97), CAST(:expenses AS jsonb), 9200000, 4100000,
    CASE WHEN status IN ('approved', 'paid') THEN CAST(:expenses AS jsonb) END,
    CASE WHEN status IN ('approved', 'paid') THEN CAST(:decision AS jsonb) END,
    CASE WHEN status IN ('approved', 'paid') THEN :payout_fen END,
    CASE WHEN status = 'rejected' THEN 'not_covered' END, NULL,
    CASE WHEN status = 'need_more_info'
        THEN '{"kinds": ["invoice"], "note": "", "documents_before": []}'::jsonb END,
    CASE WHEN status = 'paid' THEN 'BANK' || i END,
    CASE
        WHEN status IN ('submitted', 'under_review') THEN submitted_at + interval '30 days'
        WHEN status = 'approved' THEN decided_at + interval '10 days'
    END,
    submitted_at - r3 * interval '2 days',
    COALESCE(paid_at, decided_at, submitted_at),
    submitted_at, decided_at, paid_at
FROM (
    SELECT i, p, status, r3,
        CAST(:coverage_start AS date) + (i % 340) AS service_start,
        now() - age AS submitted_at,
        CASE
            WHEN status = 'approved' THEN now() - r2 * interval '12 days'
            WHEN status IN ('paid', 'rejected') THEN now() - age + r2 * interval '25 days'
        END AS decided_at,
        CASE WHEN status = 'paid' THEN now() - age + r2 * interval '25 days'
            + r3 * interval '9 days' END AS paid_at
    FROM (
        SELECT i, p, status, r2, r3,
            CASE
                WHEN status IN ('submitted', 'under_review', 'need_more_info')
                    THEN r1 * interval '40 days'
                WHEN status = 'approved' THEN interval '12 days' + r1 * interval '20 days'
                ELSE interval '40 days' + r1 * interval '360 days'
            END AS age
        FROM (
            SELECT i, 1 + (i % :people) AS p, random() AS r1, random() AS r2, random() AS r3,
                CASE {status_case} END AS status
            FROM (SELECT i, random() AS r0 FROM generate_series(1, :claims) AS i) AS g0
        ) AS g
    ) AS a
) AS s
"""

PAIRS_SQL = """
CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS
SELECT i, r / 2 AS pair FROM (
    SELECT i, row_number() OVER (ORDER BY random()) - 1 AS r FROM generate_series(1, :claims) AS i
) AS ranked WHERE r < :shared_claims;
CREATE UNIQUE INDEX ON bench_pairs (i);
ANALYZE bench_pairs;
"""

DOCUMENTS_SQL = """
INSERT INTO claim_documents (id, claim_id, kind, sha256, shared, content_type, size_bytes,
    thumbnail_sha256, width, height, pages, filename, uploaded_by, uploaded_at)
SELECT 'DC' || lpad(g.i::text, 21, '0') || lpad(k::text, 3, '0'), c.id,
    (CAST(:kinds AS text[]))[1 + k % cardinality(CAST(:kinds AS text[]))],
    digest, shared, 'image/jpeg', 150000 + (g.i * 7 + k * 13) % 900000,
    encode(sha256(convert_to('thumb-' || digest, 'UTF8')), 'hex'), 1600, 1200, NULL,
    'scan-' || k || '.jpg', 'member', c.submitted_at - interval '1 hour' + k * interval '1 minute'
FROM (
    SELECT i, k,
        CASE WHEN k = 0 AND bp.pair IS NOT NULL
            THEN encode(sha256(convert_to('shared-' || bp.pair, 'UTF8')), 'hex')
            ELSE encode(sha256(convert_to('doc-' || i || '-' || k, 'UTF8')), 'hex')
        END AS digest,
        (k = 0 AND bp.pair IS NOT NULL) AS shared
    FROM generate_series(1, :claims) AS i
    CROSS JOIN generate_series(0, :docs - 1) AS k
    LEFT JOIN bench_pairs AS bp USING (i)
) AS g
JOIN claims AS c ON c.id = 'CL' || lpad(g.i::text, 24, '0')
"""


def status_case() -> str:
    parts, upto = [], 0.0
    for name, share in STATUSES[:-1]:
        upto += share
        parts.append(f"WHEN r0 < {upto:.4f} THEN '{name}'")
    return " ".join(parts) + f" ELSE '{STATUSES[-1][0]}'"


def run_script(conn: Any, sql: str, params: dict[str, Any]) -> None:
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(text(statement), params)


def load(engine: Engine, ref: dict[str, Any], args: argparse.Namespace) -> int:
    """Bulk-load people, claims and documents; returns how many claims share a file."""
    import json

    shared_claims = 0
    if args.docs_per_claim > 0:
        shared_claims = 2 * round(args.claims * args.shared_fraction / 2)
    cipher = ref["cipher"]
    params = {
        "people": args.people,
        "claims": args.claims,
        "docs": args.docs_per_claim,
        "shared_claims": shared_claims,
        "plan_id": ref["plan_id"],
        "scheme": ref["scheme"],
        "plan_year": ref["plan_year"],
        "coverage_start": ref["coverage_start"],
        "coverage_end": ref["coverage_end"],
        "claim_type": CLAIM_TYPE,
        "expenses": json.dumps(ref["expenses"]),
        "decision": json.dumps(ref["decision"], ensure_ascii=False),
        "payout_fen": ref["payout_fen"],
        "kinds": ref["kinds"],
        "re_name": cipher["roster_entries.name"],
        "re_id_number": cipher["roster_entries.id_number"],
        "ip_name": cipher["insured_persons.name"],
        "ip_id_number": cipher["insured_persons.id_number"],
        "hd_answers": cipher["health_declarations.answers"],
    }
    steps: list[tuple[str, Callable[[Any], None]]] = [
        ("people", lambda conn: run_script(conn, PEOPLE_SQL, params)),
        (
            "claims",
            lambda conn: conn.execute(
                text(CLAIMS_SQL.replace("{status_case}", status_case())), params
            ),
        ),
        (
            "documents",
            lambda conn: (
                run_script(conn, PAIRS_SQL, params),
                conn.execute(text(DOCUMENTS_SQL), params) if args.docs_per_claim > 0 else None,
            ),
        ),
    ]
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        for name, step in steps:
            started = time.perf_counter()
            step(conn)
            print(f"# loaded {name} in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"# VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
    return shared_claims


def describe(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT status, count(*), count(sla_due_at), count(*) FILTER "
                "(WHERE sla_due_at < now()) FROM claims GROUP BY status ORDER BY status"
            )
        ).all()
        docs, shared, flagged = conn.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE shared), "
                "count(DISTINCT claim_id) FILTER (WHERE shared) FROM claim_documents"
            )
        ).one()
        sizes = conn.execute(
            text(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relname IN ('claims', 'claim_documents') ORDER BY relname"
            )
        ).all()
    print(
        "# claims by status (with sla_due_at, overdue): "
        + ", ".join(f"{s} {n:,} ({due:,}, {late:,})" for s, n, due, late in rows)
    )
    print(f"# documents {docs:,}, shared {shared:,}, claims flagged {flagged:,}")
    print("# sizes (with indexes and TOAST): " + ", ".join(f"{n} {s}" for n, s in sizes))


# --- timing --------------------------------------------------------------------------------


class StatementTimes:
    """The time of every statement the engine runs (cursor execute, i.e. the server's work
    and the transfer, not the ORM's), with its SQL and parameters."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[tuple[str, Any, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _stmt: str, _params: Any, _ctx: Any, _many: bool):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, stmt: str, params: Any, _ctx: Any, _many: bool):
        self.seen.append((stmt, params, time.perf_counter() - conn.info.pop("bench_started")))

    def take(self) -> list[tuple[str, Any, float]]:
        seen, self.seen = self.seen, []
        return seen


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def time_case(
    engine: Engine, clock: StatementTimes, work: Callable[[Session], Any]
) -> tuple[list[float], list[list[float]], Any, list[tuple[str, Any, float]]]:
    """RUNS runs of `work` in fresh sessions, after one untimed: the calls' times, each
    statement's times, the last answer and the last run's statements."""
    calls: list[float] = []
    statements: list[list[float]] = []
    answer: Any = None
    last: list[tuple[str, Any, float]] = []
    for run in range(RUNS + 1):
        with Session(engine) as session:
            clock.take()
            started = time.perf_counter()
            answer = work(session)
            elapsed = time.perf_counter() - started
            last = clock.take()
            if run:  # the first run only warms the caches up
                calls.append(elapsed)
                statements.append([seconds for _, _, seconds in last])
    return calls, statements, answer, last


def explain(engine: Engine, stmt: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        return [
            row[0]
            for row in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params).all()
        ]


def summary(plan: list[str]) -> list[str]:
    """The top node, its buffers, and the planning and execution times."""
    buffers = [line for line in plan[1:3] if line.strip().startswith("Buffers:")]
    times = [line for line in plan if line.startswith(("Planning Time", "Execution Time"))]
    return [plan[0], *buffers, *times]


def benchmark(engine: Engine, args: argparse.Namespace) -> None:
    clock = StatementTimes(engine)
    cases: list[tuple[str, QueueFilter, int]] = [
        ("all, per_page 20", QueueFilter(), 20),
        ("all, per_page 100", QueueFilter(), 100),
        ("duplicate=True", QueueFilter(duplicate=True), 20),
        ("duplicate=False", QueueFilter(duplicate=False), 20),
        ("status=under_review", QueueFilter(status="under_review"), 20),
        ("overdue=True", QueueFilter(overdue=True), 20),
    ]
    print(
        f"\n{'case':<22} {'total':>9} {'rows':>5} {'median ms':>10} {'min ms':>8} "
        f"{'count ms':>9} {'page ms':>8}"
    )
    captured: dict[str, list[tuple[str, Any, float]]] = {}
    page_ids: list[str] = []
    for name, flt, per_page in cases:
        calls, statements, (rows, total), last = time_case(
            engine, clock, lambda s, f=flt, n=per_page: queue(s, f, 1, n)
        )
        captured[name] = last
        if per_page == 100 and flt == QueueFilter():
            page_ids = [c.id for c in rows]
        count_ms = statistics.median(s[0] for s in statements)
        page_ms = statistics.median(s[1] for s in statements)
        print(
            f"{name:<22} {total:>9,} {len(rows):>5} {ms(statistics.median(calls)):>10} "
            f"{ms(min(calls)):>8} {ms(count_ms):>9} {ms(page_ms):>8}",
            flush=True,
        )
    calls, statements, flagged, _ = time_case(
        engine, clock, lambda s: service.flagged_claims(s, page_ids)
    )
    print(
        f"{'flagged_claims(100)':<22} {len(flagged):>9,} {len(page_ids):>5} "
        f"{ms(statistics.median(calls)):>10} {ms(min(calls)):>8} {'':>9} "
        f"{ms(statistics.median(s[0] for s in statements)):>8}"
    )

    to_explain = [("duplicate=True", 0, "count")]
    if args.explain:
        to_explain = [
            (name, index, kind)
            for name in ("duplicate=True", "duplicate=False")
            for index, kind in ((0, "count"), (1, "page"))
        ]
    for name, index, kind in to_explain:
        stmt, params, _ = captured[name][index]
        plan = explain(engine, stmt, params)
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) {name} {kind}:")
        for line in plan if args.explain else summary(plan):
            print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a scratch one)")
    parser.add_argument("--claims", type=int, default=300_000)
    parser.add_argument("--docs-per-claim", type=int, default=6)
    parser.add_argument(
        "--shared-fraction",
        type=float,
        default=0.01,
        help="share of the claims holding a file another filed claim holds",
    )
    parser.add_argument("--people", type=int, default=1_000, help="members (one policy each)")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument("--explain", action="store_true", help="print the whole plans")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    url = args.url or create_scratch()
    if args.url:
        check_empty(url)
    engine: Engine | None = None
    try:
        started = time.perf_counter()
        upgrade(url)
        print(f"# schema (alembic upgrade head) in {time.perf_counter() - started:.1f} s")
        ref = publish_plan(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            buffers = conn.execute(text("SHOW shared_buffers")).scalar()
            work_mem = conn.execute(text("SHOW work_mem")).scalar()
        print(
            f"claims queue benchmark: PostgreSQL {version} (shared_buffers {buffers}, "
            f"work_mem {work_mem}); {args.claims:,} claims, {args.docs_per_claim} files each, "
            f"{args.people:,} members; median of {RUNS} runs"
        )
        started = time.perf_counter()
        shared = load(engine, ref, args)
        print(
            f"# load total {time.perf_counter() - started:.1f} s; {shared:,} claims "
            f"({shared / max(args.claims, 1):.2%}) share a file with another"
        )
        describe(engine)
        benchmark(engine, args)
    finally:
        if engine is not None:
            engine.dispose()
        if args.keep:
            print(f"\n# kept {make_url(url).render_as_string(hide_password=True)}")
        elif args.url:
            drop_tables(url)
        else:
            drop_scratch()


if __name__ == "__main__":
    main()
