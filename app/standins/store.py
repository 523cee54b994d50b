"""The stand-ins' own state: test persons, issued codes, access tokens.

A fake third party keeps its state apart from the app's: a SQLite file of its own
(`STANDIN_DB`), opened with the stdlib `sqlite3` for each operation and closed at once,
in WAL mode, so several gunicorn workers (separate processes) share it. Single use of a
code is one conditional UPDATE, which SQLite serialises across processes.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from app.core import clock
from app.standins.sqlite_file import SqliteFile

CODE_TTL_S = 5 * 60  # WeChat codes live 5 minutes; Alipay auth codes too (here)
WECHAT_TOKEN_TTL_S = 7200
ALIPAY_TOKEN_TTL_S = 3600

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS persons (
        id TEXT PRIMARY KEY,
        nickname TEXT NOT NULL,
        wechat_openid TEXT NOT NULL UNIQUE,
        wechat_unionid TEXT,
        alipay_user_id TEXT NOT NULL UNIQUE,
        alipay_open_id TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS codes (
        code TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        app_id TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES persons(id),
        scope TEXT NOT NULL,
        snapshot INTEGER NOT NULL DEFAULT 0,
        open_id_only INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        used_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS tokens (
        token TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        app_id TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES persons(id),
        subject TEXT NOT NULL,
        scope TEXT NOT NULL,
        snapshot INTEGER NOT NULL DEFAULT 0,
        open_id_only INTEGER NOT NULL DEFAULT 0,
        expires_at REAL NOT NULL
    )""",
)

_ALNUM = string.ascii_letters + string.digits
_B64URL = _ALNUM + "-_"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _now() -> float:
    return clock.now().timestamp()


@dataclass(frozen=True)
class Person:
    id: str
    nickname: str
    wechat_openid: str
    wechat_unionid: str | None
    alipay_user_id: str
    alipay_open_id: str


@dataclass(frozen=True)
class Grant:
    """What an authorization code or an access token stands for."""

    person: Person
    app_id: str
    scope: str
    snapshot: bool
    open_id_only: bool
    subject: str = ""  # tokens: the id the token was issued for


class CodeProblem(Exception):
    """An authorization code cannot be exchanged: `reason` is unknown | expired | used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# the person columns in Person's field order (spelled out in each query below)
_SELECT_PERSONS = (
    "SELECT p.id, p.nickname, p.wechat_openid, p.wechat_unionid, p.alipay_user_id, "
    "p.alipay_open_id FROM persons p"
)
_SELECT_CODE = (
    "SELECT c.scope, c.snapshot, c.open_id_only, c.created_at, c.used_at, "
    "p.id, p.nickname, p.wechat_openid, p.wechat_unionid, p.alipay_user_id, p.alipay_open_id "
    "FROM codes c JOIN persons p ON p.id = c.person_id "
    "WHERE c.code = ? AND c.provider = ? AND c.app_id = ?"
)
_SELECT_GRANT_BY_ACCESS = (
    "SELECT t.app_id, t.scope, t.snapshot, t.open_id_only, t.subject, t.expires_at, "
    "p.id, p.nickname, p.wechat_openid, p.wechat_unionid, p.alipay_user_id, p.alipay_open_id "
    "FROM tokens t JOIN persons p ON p.id = t.person_id "
    "WHERE t.token = ? AND t.provider = ?"
)


def _person(row: Any) -> Person:
    return Person(*row[:6])


class StandinStore(SqliteFile):
    SCHEMA = SCHEMA

    # --- persons ----------------------------------------------------------------------

    def persons(self) -> list[Person]:
        with self._connect() as conn:
            rows = conn.execute(_SELECT_PERSONS + " ORDER BY p.created_at, p.id").fetchall()
        return [_person(row) for row in rows]

    def person(self, person_id: str) -> Person | None:
        with self._connect() as conn:
            row = conn.execute(
                _SELECT_PERSONS + " WHERE p.id = ?",
                (person_id,),
            ).fetchone()
        return _person(row) if row else None

    def create_person(self, nickname: str, *, with_unionid: bool = True) -> Person:
        person = Person(
            id=_random(_ALNUM, 12),
            nickname=nickname,
            # shapes of the real ids: openid/unionid 28 characters starting with "o",
            # user_id 2088 + 12 digits, the newer open_id a longer opaque string
            wechat_openid="o" + _random(_B64URL, 27),
            wechat_unionid=("o" + _random(_B64URL, 27)) if with_unionid else None,
            alipay_user_id="2088" + _random(string.digits, 12),
            alipay_open_id="0" + _random(_ALNUM, 45),
        )
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO persons (id, nickname, wechat_openid, wechat_unionid, "
                "alipay_user_id, alipay_open_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    person.id,
                    person.nickname,
                    person.wechat_openid,
                    person.wechat_unionid,
                    person.alipay_user_id,
                    person.alipay_open_id,
                    _now(),
                ),
            )
        return person

    # --- codes ------------------------------------------------------------------------

    def issue_code(
        self,
        provider: str,
        app_id: str,
        person_id: str,
        scope: str,
        *,
        snapshot: bool = False,
        open_id_only: bool = False,
    ) -> str:
        if provider == "wechat":  # 32 characters, like WeChat's
            code = "0" + _random(_ALNUM, 31)
        else:  # 32 hex digits, like Alipay's auth_code
            code = secrets.token_hex(16)
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO codes (code, provider, app_id, person_id, scope, snapshot, "
                "open_id_only, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    provider,
                    app_id,
                    person_id,
                    scope,
                    int(snapshot),
                    int(open_id_only),
                    _now(),
                ),
            )
        return code

    def use_code(self, provider: str, app_id: str, code: str) -> Grant:
        """Mark the code used (once, across processes) and return what it grants."""
        now = _now()
        with self._connect() as conn:
            row = conn.execute(
                _SELECT_CODE,
                (code, provider, app_id),
            ).fetchone()
            if row is None:
                raise CodeProblem("unknown")
            scope, snapshot, open_id_only, created_at, used_at = row[:5]
            if used_at is not None:
                raise CodeProblem("used")
            if now - created_at > CODE_TTL_S:
                raise CodeProblem("expired")
            claimed = conn.execute(
                "UPDATE codes SET used_at = ? WHERE code = ? AND used_at IS NULL", (now, code)
            ).rowcount
            if claimed != 1:  # another worker exchanged it between our SELECT and UPDATE
                raise CodeProblem("used")
        return Grant(
            person=_person(row[5:]),
            app_id=app_id,
            scope=scope,
            snapshot=bool(snapshot),
            open_id_only=bool(open_id_only),
        )

    # --- tokens -----------------------------------------------------------------------

    def issue_token(self, provider: str, grant: Grant, subject: str, ttl_s: int) -> str:
        token = (
            _random(_B64URL, 110) if provider == "wechat" else "authusrB" + secrets.token_hex(20)
        )
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO tokens (token, provider, app_id, person_id, subject, scope, "
                "snapshot, open_id_only, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token,
                    provider,
                    grant.app_id,
                    grant.person.id,
                    subject,
                    grant.scope,
                    int(grant.snapshot),
                    int(grant.open_id_only),
                    _now() + ttl_s,
                ),
            )
        return token

    def token(self, provider: str, token: str) -> Grant | None:
        """The grant of a live access token, else None."""
        with self._connect() as conn:
            row = conn.execute(
                _SELECT_GRANT_BY_ACCESS,
                (token, provider),
            ).fetchone()
        if row is None or row[5] <= _now():
            return None
        return Grant(
            person=_person(row[6:]),
            app_id=row[0],
            scope=row[1],
            snapshot=bool(row[2]),
            open_id_only=bool(row[3]),
            subject=row[4],
        )
