"""Benchmark: the payout engine alone, and the estimates endpoint in-process.

    .venv/bin/python bench/engine.py [N]

Prints per-call times (median of 5 rounds). Not a test: speed is measured here,
never asserted in the suite.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time

from app import create_app
from app.core.cli import upgrade
from app.core.db import get_session
from app.plans import service
from app.plans.terms_schema import load_terms_file
from app.rules.payout import Expense, YearToDate, compute_payout
from app.rules.terms import Tier


def bills(n: int, terms) -> list[list[Expense]]:
    rng = random.Random(7)
    drugs = [d.code for d in terms.special_drugs]
    out = []
    for _ in range(n):
        lines = []
        for _ in range(rng.randint(1, 6)):
            liability = rng.choice([li.code for li in terms.liabilities])
            drug = rng.choice(drugs) if liability == "special_drugs" else None
            lines.append(
                Expense(liability, rng.randint(0, 50_000_000), rng.randint(0, 1_000_000), drug)
            )
        out.append(lines)
    return out


def timed(fn, rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    _doc, terms = load_terms_file(service.SAMPLE_FILE)
    data = bills(n, terms)
    ytd = YearToDate({"hospital": 500_000}, {"in_catalog": 1_000_000})

    def engine() -> None:
        for lines in data:
            compute_payout(terms, Tier.STANDARD, lines, ytd)

    per_call = timed(engine) / n
    print(f"engine: {per_call * 1e6:.1f} µs per bill ({n} bills, 1-6 lines each)")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        app = create_app({"DATABASE_URL": url})
        with app.app_context():
            service.publish_samples(get_session())
            get_session().commit()
        client = app.test_client()
        body = {
            "tier": "pre_existing",
            "expenses": [
                {"liability": "in_catalog", "amount_fen": 5_000_000},
                {"liability": "out_of_catalog", "amount_fen": 10_000_000},
                {"liability": "special_drugs", "drug_code": "axi-cel", "amount_fen": 120_000_000},
            ],
        }
        m = 300

        def endpoint() -> None:
            for _ in range(m):
                resp = client.post("/api/v1/plans/xm-2023/estimates", json=body)
                assert resp.status_code == 200

        per_request = timed(endpoint) / m
        print(f"POST /estimates in-process: {per_request * 1e3:.2f} ms per request ({m} requests)")


if __name__ == "__main__":
    main()
