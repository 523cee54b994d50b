"""The real server for the browser and first-load tests.

One server per test session, in a subprocess on a free port, with its own SQLite
database: `flask db upgrade`, `flask plans load-samples` (xm-2023 plus a demo plan
whose enrollment window is open today), then gunicorn with deploy/gunicorn.conf.py,
as `make run` does. It is stopped at the end of the session. It always uses SQLite:
the PostgreSQL test database belongs to the transactional API tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
STARTUP_TIMEOUT_S = 45


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        # the URL is our own server on http://127.0.0.1, built by the fixture below
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app.wsgi", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`flask {' '.join(args)}` failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:<port>) of the real app serving the front end."""
    tmp = tmp_path_factory.mktemp("browser-server")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
        "DEV_STANDINS": "1",
        "APP_ENV": "development",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }
    _run_cli(["db", "upgrade"], env)
    _run_cli(["plans", "load-samples"], env)

    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app.wsgi:app"]

    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _healthy(f"{base_url}/healthz"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the server did not answer /healthz (exit code {proc.poll()}):\n"
                        + log_path.read_text(errors="replace")[-4000:],
                        pytrace=False,
                    )
                time.sleep(0.2)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """tests/artifacts/ (git-ignored): screenshots and the first-load report."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
