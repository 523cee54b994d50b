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


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": database_url, "APP_ENV": "test"})
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
            bind=database.engine, join_transaction_mode="conservative_savepoint"
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
