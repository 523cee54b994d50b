"""The stand-ins' shared SQLite file (settings.standin_db): each stand-in keeps its own
tables there, reachable from every gunicorn worker. One short-lived connection per call;
`_transaction` is BEGIN IMMEDIATE, so read-then-write steps are serialised across
processes. Tables are created on first use (WAL journal)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import ClassVar


class SqliteFile:
    SCHEMA: ClassVar[tuple[str, ...]] = ()
    _ready: ClassVar[set[tuple[str, str]]] = set()  # (path, store class) already created
    _ready_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if (self.path, type(self).__name__) not in SqliteFile._ready:
            self._create()
        with closing(self._open()) as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _create(self) -> None:
        key = (self.path, type(self).__name__)
        with SqliteFile._ready_lock:
            if key in SqliteFile._ready:
                return
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with closing(self._open()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                for statement in self.SCHEMA:
                    conn.execute(statement)
            SqliteFile._ready.add(key)
