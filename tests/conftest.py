"""Test database and app fixtures.

Migrations run once per test session (SQLite file by default, PostgreSQL when
TEST_DATABASE_URL is set); each test then runs inside a connection-level
transaction that is rolled back at its end, with the app's sessions joining it
through SAVEPOINTs, so code under test may commit (pypi/warehouse's recipe).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session

from app import create_app
from app.core import clock
from app.core.cli import upgrade
from app.core.db import Database

REPO = Path(__file__).resolve().parent.parent


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


STANDIN_BASE = "http://standins.test"


@pytest.fixture(scope="session")
def standin_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("standins") / "standins.sqlite3")


@pytest.fixture(scope="session")
def document_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("documents"))


@pytest.fixture(scope="session")
def app(database_url: str, standin_db: str, document_dir: str) -> Iterator[Flask]:
    application = create_app(
        {
            "DOCUMENT_DIR": document_dir,
            "DATABASE_URL": database_url,
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_BASE_URL": STANDIN_BASE,
            "STANDIN_DB": standin_db,
        }
    )
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def connection(app: Flask) -> Iterator[Connection]:
    """One connection per test, in a transaction rolled back at the end."""
    database: Database = app.extensions["db"]
    conn = database.engine.connect()
    outer = conn.begin()
    database.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        database.sessionmaker.configure(
            bind=database.engine, join_transaction_mode="conditional_savepoint"
        )
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session joined to the test's transaction (flush to make rows visible to the app)."""
    sess = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield sess
    finally:
        sess.close()


@pytest.fixture
def client(app: Flask, connection: Connection) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def samples(session: Session) -> dict[str, Any]:
    """The sample plan xm-2023 and today's demo plan, published in the test's transaction."""
    from app.plans import service

    results = service.publish_samples(session)
    session.flush()
    return {r.plan.code: r.plan for r in results}


@pytest.fixture
def set_clock() -> Iterator[Callable[[datetime], None]]:
    """Fix the app's clock for a test: set_clock(datetime(..., tzinfo=UTC))."""

    def _set(value: datetime) -> None:
        clock.set_clock(value)

    yield _set
    clock.set_clock(None)


# --- members, staff and the roster -------------------------------------------------------


@pytest.fixture(autouse=True)
def _keep_key_ring() -> Iterator[None]:
    """Tests that build other apps (production settings, other keys) reconfigure the
    process's key ring; put the suite's back afterwards."""
    from app.identity import crypto

    saved = crypto._current
    yield
    if saved is not None:
        crypto.configure(saved)


@pytest.fixture(autouse=True)
def _reset_rate_limits() -> Iterator[None]:
    from app.extensions import limiter

    try:
        limiter.reset()
    except Exception:  # noqa: S110 - no app bound yet: nothing to reset
        pass
    yield


@pytest.fixture
def roster_person(session: Session) -> Callable[..., Any]:
    """Put a person on the BMI roster: roster_person(name, id_number, status=..., ...)."""
    from app.identity import crypto
    from app.roster.models import RosterEntry

    def _make(
        name: str,
        id_number: str,
        *,
        status: str = "normal",
        insurance_type: str = "employee",
        balance_fen: int | None = 300_000,
        city_code: str = "350203",
    ) -> RosterEntry:
        entry = RosterEntry(
            id_index=crypto.id_index(id_number),
            name_index=crypto.name_index(name),
            id_number=crypto.normalise_id_number(id_number),
            name=crypto.normalise_name(name),
            insurance_type=insurance_type,
            status=status,
            city_code=city_code,
            account_balance_fen=balance_fen if insurance_type == "employee" else None,
            updated_at=clock.now(),
        )
        session.add(entry)
        session.flush()
        return entry

    return _make


def make_id_number(first17: str) -> str:
    from app.identity.resident_id import check_character

    return first17 + check_character(first17)


@pytest.fixture
def member_login(app: Flask, session: Session) -> Callable[..., Any]:
    """Log a client in as a (new) member without the OAuth dance:
    member_login(client) -> (member, csrf_token)."""
    from app.auth import sessions as auth_sessions
    from app.members.models import Member, MemberIdentity

    def _login(client: FlaskClient, nickname: str = "测试用户") -> tuple[Any, str]:
        now = clock.now()
        member = Member(created_at=now, nickname=nickname)
        session.add(member)
        session.flush()
        session.add(
            MemberIdentity(
                member_id=member.id,
                provider="wechat",
                app_id="wxtest",
                subject=f"o-{member.id}",
                nickname=nickname,
                created_at=now,
                last_login_at=now,
            )
        )
        session.flush()
        with app.test_request_context():
            token, row = auth_sessions.create(session, "member", member.id)
            name = auth_sessions.cookie_spec("member").name
        session.flush()
        client.set_cookie(name, token)
        return member, row.csrf_token

    return _login


@pytest.fixture
def staff_user(app: Flask, session: Session) -> Callable[..., Any]:
    """Create a staff user: staff_user("rev1", ["reviewer"]) -> (user, password, totp_secret)."""
    from app.staff import service as staff_service

    def _make(username: str, roles: list[str]) -> tuple[Any, str, str]:
        password = "correct horse battery"
        created = staff_service.create_staff(session, username, username.title(), password, roles)
        session.flush()
        return created.user, password, created.totp_secret

    return _make


@pytest.fixture(scope="session")
def standin_app(standin_db: str) -> Flask:
    """A second app instance serving only as the providers' stand-in (a fake third party),
    sharing the stand-in store with `app`, as two gunicorn workers would."""
    return create_app(
        {
            "DATABASE_URL": "sqlite://",
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_BASE_URL": STANDIN_BASE,
            "STANDIN_DB": standin_db,
        }
    )


@pytest.fixture
def provider_transport(app: Flask, standin_app: Flask) -> Iterator[Any]:
    """Route the app's server-to-server provider calls to the stand-in, in-process.
    Returns the adapter: set `adapter.fail = requests.ConnectTimeout` to simulate an outage."""
    import requests

    from app.standins.transport import WSGIAdapter

    adapter = WSGIAdapter(standin_app)

    def factory() -> requests.Session:
        http = requests.Session()
        http.mount(STANDIN_BASE, adapter)
        return http

    app.extensions["provider_http"] = factory
    try:
        yield adapter
    finally:
        app.extensions.pop("provider_http", None)
