"""Development stand-in for the official account's API access token and subscription
notifications (订阅通知): a real protocol peer under /standins/wechat, next to the login
stand-in (mounted only with DEV_STANDINS=1).

    GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=   api.weixin.qq.com
    POST /cgi-bin/message/subscribe/bizsend?access_token=
    GET  /subscribe-messages?touser=                 what was sent (for developers, not WeChat's)

Like WeChat it answers HTTP 200 with JSON served as `text/plain`, errors as
`{"errcode", "errmsg"}`; a new access token makes the older ones of the app stop working
five minutes later (40001 "not latest"), an expired one is 42001; `touser` must be an
openid of one of the stand-in's test persons (40003), the template the registered one
(40037), every keyword present with a `value` of the keyword's kind (`thing` at most 20
characters, `time` a date and time: 47003). A person who refused the subscription
(`refuse`) gets 43101. State lives in the stand-ins' SQLite file (`STANDIN_DB`) in tables
of its own (`wechat_api_tokens`, `wechat_subscribe_*`).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import Any

from flask import Blueprint, Response, current_app, request

from app.core import clock
from app.core.security import public
from app.standins import registry
from app.standins.sqlite_file import SqliteFile

# the subscription template registered with the stand-in (claim progress): its keywords
TEMPLATE_ID = "Hmb0StandinClaimProgress0Tmpl0000000000000"
TEMPLATE_KEYWORDS = {"thing1": "thing", "thing2": "thing", "time3": "time"}
TOKEN_TTL_S = 7200
OLD_TOKEN_GRACE_S = 300  # an older token keeps working this long after a new one is issued
THING_MAX = 20
TIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
PAGE_MAX = 1024

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS wechat_api_tokens (
        token TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        expires_at REAL NOT NULL,
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wechat_subscribe_messages (
        msgid INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id TEXT NOT NULL,
        touser TEXT NOT NULL,
        template_id TEXT NOT NULL,
        page TEXT,
        body TEXT NOT NULL,
        sent_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wechat_subscribe_refusals (
        app_id TEXT NOT NULL,
        openid TEXT NOT NULL,
        PRIMARY KEY (app_id, openid)
    )""",
)

_TOKEN_ALPHABET = string.ascii_letters + string.digits + "_-"


def _now() -> float:
    return clock.now().timestamp()


class WeChatMessageStore(SqliteFile):
    SCHEMA = SCHEMA

    # --- access tokens ------------------------------------------------------------------

    def issue_token(self, app_id: str) -> str:
        """A new token; the app's older ones stop working OLD_TOKEN_GRACE_S from now."""
        now = _now()
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(136))
        with self._transaction() as conn:
            conn.execute(
                "UPDATE wechat_api_tokens SET expires_at = MIN(expires_at, ?) WHERE app_id = ?",
                (now + OLD_TOKEN_GRACE_S, app_id),
            )
            conn.execute(
                "INSERT INTO wechat_api_tokens (token, app_id, expires_at, created_at) "
                "VALUES (?, ?, ?, ?)",
                (token, app_id, now + TOKEN_TTL_S, now),
            )
        return token

    def token_state(self, token: str) -> tuple[str | None, str]:
        """(app id, "ok" | "expired" | "unknown")."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT app_id, expires_at FROM wechat_api_tokens WHERE token = ?", (token,)
            ).fetchone()
        if row is None:
            return None, "unknown"
        return row[0], ("ok" if row[1] > _now() else "expired")

    def invalidate_tokens(self, app_id: str) -> None:
        """Forget the app's tokens (as if another server had fetched one long ago): 40001."""
        with self._connect() as conn:
            conn.execute("DELETE FROM wechat_api_tokens WHERE app_id = ?", (app_id,))

    def expire_tokens(self, app_id: str) -> None:
        """Make the app's tokens expired: 42001."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE wechat_api_tokens SET expires_at = ? WHERE app_id = ?",
                (_now() - 1, app_id),
            )

    # --- subscriptions and messages -----------------------------------------------------

    def refuse(self, app_id: str, openid: str) -> None:
        """The person refuses the subscription: sends to them answer 43101."""
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO wechat_subscribe_refusals (app_id, openid) VALUES (?, ?)",
                (app_id, openid),
            )

    def refused(self, app_id: str, openid: str) -> bool:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM wechat_subscribe_refusals WHERE app_id = ? AND openid = ?",
                (app_id, openid),
            ).fetchone()
        return row is not None

    def is_known_openid(self, openid: str) -> bool:
        """An openid of one of the login stand-in's test persons (its `persons` table)."""
        from app.standins.store import StandinStore

        with StandinStore(self.path)._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM persons WHERE wechat_openid = ?", (openid,)
            ).fetchone()
        return row is not None

    def record(self, app_id: str, body: dict[str, Any]) -> int:
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO wechat_subscribe_messages (app_id, touser, template_id, page, "
                "body, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    app_id,
                    body["touser"],
                    body["template_id"],
                    body.get("page"),
                    json.dumps(body, ensure_ascii=False),
                    _now(),
                ),
            )
            msgid = cursor.lastrowid
        return int(msgid or 0)

    def sent(self, touser: str | None = None) -> list[dict[str, Any]]:
        """What was sent (oldest first): {msgid, app_id, body, sent_at}."""
        query = "SELECT msgid, app_id, body, sent_at FROM wechat_subscribe_messages"
        params: tuple[Any, ...] = ()
        if touser is not None:
            query += " WHERE touser = ?"
            params = (touser,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY msgid", params).fetchall()
        return [
            {"msgid": r[0], "app_id": r[1], "body": json.loads(r[2]), "sent_at": r[3]} for r in rows
        ]


# --- the API ---------------------------------------------------------------------------

wechat_messages_bp = Blueprint("standins_wechat_messages", __name__, url_prefix="/standins/wechat")


def _store() -> WeChatMessageStore:
    return WeChatMessageStore(current_app.extensions["settings"].standin_db)


def _json(body: dict[str, Any]) -> Response:
    """WeChat's API answers: HTTP 200, JSON served as text/plain without a charset."""
    response = Response(json.dumps(body, ensure_ascii=False), status=200)
    response.headers["Content-Type"] = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(errcode: int, errmsg: str) -> Response:
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return _json({"errcode": errcode, "errmsg": f"{errmsg} rid: {rid}"})


@wechat_messages_bp.get("/cgi-bin/token")
@public
def api_token() -> Response:
    args = request.args
    if args.get("grant_type") != "client_credential":
        return _error(40002, "invalid grant_type")
    if not args.get("appid"):
        return _error(41002, "appid missing")
    if args["appid"] != registry.WECHAT_APP_ID:
        return _error(40013, "invalid appid")
    if not args.get("secret"):
        return _error(41004, "appsecret missing")
    if not secrets.compare_digest(args["secret"], registry.WECHAT_APP_SECRET):
        return _error(40125, "invalid appsecret")
    token = _store().issue_token(args["appid"])
    return _json({"access_token": token, "expires_in": TOKEN_TTL_S})


def _check_data(data: Any) -> str | None:
    """The first problem of the `data` object (47003's message), or None."""
    if not isinstance(data, dict):
        return "argument invalid! data invalid"
    for keyword, kind in TEMPLATE_KEYWORDS.items():
        item = data.get(keyword)
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value:
            return f"argument invalid! data.{keyword}.value is empty"
        if kind == "thing" and len(value) > THING_MAX:
            return f"argument invalid! data.{keyword}.value invalid"
        if kind == "time" and not TIME_VALUE.match(value):
            return f"argument invalid! data.{keyword}.value invalid"
    return None


@wechat_messages_bp.post("/cgi-bin/message/subscribe/bizsend")
@public
def subscribe_send() -> Response:
    token = request.args.get("access_token", "")
    if not token:
        return _error(41001, "access_token missing")
    store = _store()
    app_id, state = store.token_state(token)
    if state == "unknown" or app_id is None:
        return _error(40001, "invalid credential, access_token is invalid or not latest")
    if state == "expired":
        return _error(42001, "access_token expired")
    try:
        body = json.loads(request.get_data().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(47001, "data format error")
    if not isinstance(body, dict):
        return _error(47001, "data format error")
    touser = body.get("touser")
    if not isinstance(touser, str) or not touser:
        return _error(40003, "invalid openid")
    if body.get("template_id") != TEMPLATE_ID:
        return _error(40037, "invalid template_id")
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or len(page) > PAGE_MAX):
        return _error(47003, "argument invalid! page invalid")
    problem = _check_data(body.get("data"))
    if problem:
        return _error(47003, problem)
    if not store.is_known_openid(touser):
        return _error(40003, "invalid openid")
    if store.refused(app_id, touser):
        return _error(43101, "user refuse to accept the msg")
    msgid = store.record(app_id, body)
    return _json({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@wechat_messages_bp.get("/subscribe-messages")
@public
def sent_messages() -> Response:
    """For developers and tests: the notifications the stand-in accepted."""
    touser = request.args.get("touser") or None
    response = Response(
        json.dumps({"items": _store().sent(touser)}, ensure_ascii=False),
        status=200,
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
