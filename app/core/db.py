"""Plain SQLAlchemy 2: the declarative Base, the engine, one session per request.

Services `flush()`; the request commits once at its end (or rolls back on any
error) in `finish_request`, never in a service.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, decide when transactions begin, so that
            # SAVEPOINTs (tests, nested transactions) work as documented
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE: take the write lock at the start (waiting up to busy_timeout), so a
            # transaction that reads and then writes (an audited view, any POST) never fails
            # with "database is locked" when another one wrote meanwhile; SQLite serialises
            # writers anyway, and production runs on PostgreSQL
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The engine and the session factory of one app (in app.extensions["db"])."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.sessionmaker: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    def init_app(self, app: Flask) -> None:
        app.extensions["db"] = self
        app.after_request(_commit_on_success)
        app.teardown_request(_run_deferred)
        app.teardown_appcontext(_close)


def get_db() -> Database:
    database: Database = current_app.extensions["db"]
    return database


def get_session() -> Session:
    """The session of the current request (or app context); created on first use."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    session: Session = g.db_session
    return session


def _commit_on_success(response: Any) -> Any:
    """The one commit: at the end of a successful request; any error status rolls back."""
    session: Session | None = g.get("db_session")
    ok = response.status_code < 400
    if session is not None:
        if ok:
            try:
                session.commit()
            except Exception:
                # end the transaction BEFORE the undo: the undo works in a session of its own,
                # which would otherwise wait on this one's locks (PostgreSQL's advisory lock on
                # the content, SQLite's write lock) until the request gives up
                try:
                    session.rollback()
                except Exception:
                    logging.getLogger(__name__).exception("rollback after a failed commit failed")
                g.pop("after_commit", None)
                _undo_outside_writes()
                raise
        else:
            session.rollback()
    if not ok:
        g.pop("after_commit", None)
        _undo_outside_writes()
    g.pop("on_rollback", None)
    return response


def on_rollback(undo: Any) -> None:
    """Run `undo()` if the request's transaction does not commit: for writes outside the
    database (a stored file) that must not outlive their rows."""
    g.setdefault("on_rollback", []).append(undo)


def _undo_outside_writes() -> None:
    for undo in g.pop("on_rollback", None) or []:
        try:
            undo()
        except Exception:
            logging.getLogger(__name__).exception("undo after rollback failed")


def after_commit(work: Any) -> None:
    """Run `work(session)` once the request's transaction has COMMITTED, in a transaction of
    its own (side effects outside the database, e.g. a refund call, read what the request
    wrote). Dropped if the request fails."""
    g.setdefault("after_commit", []).append(work)


def write_after_request(work: Any) -> None:
    """Run `work(session)` after the request's own transaction has ended (committed or
    rolled back), in a transaction of its own: for records that must outlive a refusal,
    such as the log of a rejected payment notice."""
    g.setdefault("deferred_writes", []).append(work)


def _run_deferred(exc: BaseException | None) -> None:
    works = list(g.pop("deferred_writes", None) or [])
    committed = g.pop("after_commit", None)
    if committed and exc is None:
        works.extend(committed)
    if not works:
        return
    own = get_db().sessionmaker()
    try:
        for work in works:
            work(own)
        own.commit()
    except Exception:
        own.rollback()
        logging.getLogger(__name__).exception("deferred write failed")
    finally:
        own.close()


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored in UTC; SQLite (which has no time zones) gets them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
