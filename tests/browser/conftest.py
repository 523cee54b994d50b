"""The real server for the browser and first-load tests.

One server per test session, in a subprocess on a free port, with its own SQLite
database: `flask db upgrade`, `flask plans load-samples` (xm-2023 plus a demo plan
whose enrollment window is open today), `flask roster fake 50 --seed 1 --import` (a
fake basic medical insurance roster, the demo people of app/roster/fake.py first),
then gunicorn with deploy/gunicorn.conf.py, as `make run` does (`own_server`: the same,
for one test module alone, with a database of its own). With DEV_STANDINS=1
the WeChat and Alipay logins go to the local stand-ins, whose test persons live in
their own SQLite file next to the database. The server is stopped at the end of the
session. It always uses SQLite: the PostgreSQL test database belongs to the
transactional API tests.

The Playwright fixtures (`browser`, `page`, `console`) drive Debian's Chromium as a phone.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
STARTUP_TIMEOUT_S = 45
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


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


@contextmanager
def _serve(tmp: Path, demo: bool = False) -> Iterator[str]:
    """A server on a free port with its own database in `tmp`; yields its base URL.
    `demo`: also `flask demo seed` (app/demo/seed.py) after the roster import, as
    `make run` does: the plan demo-running, the demo family with its claims, demo-reviewer."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
        "DEV_STANDINS": "1",
        "STANDIN_DB": str(tmp / "standins.sqlite3"),
        # the scopes that return the nickname (the defaults, snsapi_base/auth_base, do not)
        "WECHAT_SCOPE": "snsapi_userinfo",
        "ALIPAY_SCOPE": "auth_user",
        "APP_ENV": "development",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }
    _run_cli(["db", "upgrade"], env)
    _run_cli(["plans", "load-samples"], env)
    _run_cli(["roster", "fake", "50", "--seed", "1", "--import"], env)
    if demo:
        _run_cli(["demo", "seed"], env)

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
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:<port>) of the real app serving the front end."""
    with _serve(tmp_path_factory.mktemp("browser-server")) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server (and database) for one test module alone: the demo people are bound to
    nobody yet, whatever the other modules did on the shared `live_server`."""
    with _serve(tmp_path_factory.mktemp("browser-own-server")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """tests/artifacts/ (git-ignored): screenshots and the first-load report."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Console:
    """Console errors and uncaught page errors seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} @ {message.location}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"pageerror: {error}")

    def allow(self, pattern: str) -> None:
        """An error the test provokes on purpose (e.g. a cut network request)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium (never a downloaded browser), one per test session."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed: make test installs it with apt when run as "
            "root or with CI=true"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
    )
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A fresh phone (own cookies and storage) at 360×640."""
    # The phone's clock is in New York on purpose: dates must show in the plan's timezone.
    context = browser.new_context(**PHONE, locale="zh-CN", timezone_id="America/New_York")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", console.on_console)
    tab.on("pageerror", console.on_page_error)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def desk(browser: Any, console: Console) -> Iterator[Any]:
    """A fresh desktop tab (own cookies) at 1366×900, in Chinese: the staff console."""
    context = browser.new_context(**DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", console.on_console)
    tab.on("pageerror", console.on_page_error)
    try:
        yield tab
    finally:
        context.close()
