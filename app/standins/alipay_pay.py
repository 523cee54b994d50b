"""Development stand-in for Alipay mobile-website payment (手机网站支付): a real protocol peer.

The browser comes to the login stand-in's gateway, `/standins/alipay/gateway.do`, whose
dispatcher hands the payment methods to `handle_gateway(params)`:

    alipay.trade.wap.pay                the cashier page (GET, or the form POST variant)
    alipay.trade.query                  signed JSON, like the real gateway
    alipay.trade.refund                 signed JSON; refunds <= paid - refunded
    alipay.trade.fastpay.refund.query   signed JSON

and this blueprint serves the cashier's own buttons under `/standins/alipay-pay`:

    POST /pay         pay: TRADE_SUCCESS, the async notice POSTed to notify_url (signed
                      with the stand-in Alipay key), then the browser to return_url with
                      Alipay's signed return parameters
    POST /cancel      leave the cashier: the browser to quit_url (return_url if none)
    POST /redeliver   ?out_trade_no=: send the same notice again (same notify_id)
    GET  /deliveries  ?out_trade_no=: what each delivery got back (JSON, for tests)

Notices go out through `current_app.extensions["standin_http"]()` (a requests.Session
factory, set by tests to reach an in-process app) if set, else plain `requests`, with
PROVIDER_TIMEOUT. A delivery counts as acknowledged only when the answer is HTTP 200 with
the body exactly `success`. State lives in the stand-ins' SQLite file (`STANDIN_DB`) in
tables of its own (`alipay_pay_*`); the pages are public, without inline script or style.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app.core import clock
from app.core.money import MoneyError
from app.core.security import public
from app.payments.providers.alipay_pay import (
    NOTIFY_TYPE,
    PRODUCT_CODE,
    QUERY_METHOD,
    REFUND_METHOD,
    REFUND_QUERY_METHOD,
    RETURN_METHOD,
    SUBJECT_MAX,
    TIME_FORMAT,
    TIMEZONE,
    WAP_PAY_METHOD,
    amount_to_fen,
    build_notice,
    fen_to_amount,
)
from app.standins import registry
from app.standins.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

alipay_pay_bp = Blueprint(
    "standins_alipay_pay",
    __name__,
    url_prefix="/standins/alipay-pay",
    template_folder="templates",
)

PAY_METHODS = frozenset({WAP_PAY_METHOD, QUERY_METHOD, REFUND_METHOD, REFUND_QUERY_METHOD})
SELLER_ID = "2088102177000000"  # the test merchant's Alipay PID (2088 + 12 digits)
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")
MAX_AMOUNT_FEN = 100_000_000_00  # Alipay: 0.01 to 100000000.00 yuan

WAIT = "WAIT_BUYER_PAY"
SUCCESS = "TRADE_SUCCESS"
CLOSED = "TRADE_CLOSED"
BUSINESS_FAILED = ("40004", "Business Failed")


# --- state ---------------------------------------------------------------------------

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS alipay_pay_trades (
        app_id TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        trade_no TEXT NOT NULL UNIQUE,
        total_fen INTEGER NOT NULL,
        subject TEXT NOT NULL,
        notify_url TEXT NOT NULL,
        return_url TEXT NOT NULL,
        quit_url TEXT NOT NULL,
        expires_at REAL,
        status TEXT NOT NULL,
        buyer_id TEXT NOT NULL,
        buyer_logon_id TEXT NOT NULL,
        refunded_fen INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        paid_at REAL,
        notice TEXT,
        PRIMARY KEY (app_id, out_trade_no)
    )""",
    """CREATE TABLE IF NOT EXISTS alipay_pay_refunds (
        app_id TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        out_request_no TEXT NOT NULL,
        refund_fen INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (app_id, out_trade_no, out_request_no)
    )""",
    """CREATE TABLE IF NOT EXISTS alipay_pay_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        notify_id TEXT NOT NULL,
        status_code INTEGER,
        acked INTEGER NOT NULL,
        delivered_at REAL NOT NULL
    )""",
)


class PayProblem(Exception):
    """Alipay's business refusal: `sub_code` (ACQ.…) and its zh/en messages."""

    def __init__(self, sub_code: str, message_zh: str, message_en: str) -> None:
        super().__init__(sub_code)
        self.sub_code = sub_code
        self.message_zh = message_zh
        self.message_en = message_en


NOT_EXIST = ("ACQ.TRADE_NOT_EXIST", "交易不存在", "The trade does not exist.")
HAS_SUCCESS = ("ACQ.TRADE_HAS_SUCCESS", "交易已被支付", "The trade has been paid already.")
HAS_CLOSE = ("ACQ.TRADE_HAS_CLOSE", "交易已经关闭", "The trade is closed.")
INCONSISTENT = (
    "ACQ.CONTEXT_INCONSISTENT",
    "交易信息被篡改",
    "The trade's details differ from the first request for this out_trade_no.",
)
STATUS_ERROR = ("ACQ.TRADE_STATUS_ERROR", "交易状态不合法", "The trade is not paid.")
OVER_REFUND = ("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限", "The refund exceeds the rest.")
REFUND_FEE_ERR = (
    "ACQ.REASON_TRADE_REFUND_FEE_ERR",
    "退款金额无效",
    "The refund amount is invalid.",
)
DISCORDANT = (
    "ACQ.DISCORDANT_REPEAT_REQUEST",
    "不一致的请求",
    "This out_request_no was used for another amount.",
)
INVALID_PARAMETER = ("ACQ.INVALID_PARAMETER", "参数无效", "A parameter is not valid.")


@dataclass(frozen=True)
class Trade:
    app_id: str
    out_trade_no: str
    trade_no: str
    total_fen: int
    subject: str
    notify_url: str
    return_url: str
    quit_url: str
    expires_at: float | None
    status: str  # WAIT_BUYER_PAY | TRADE_SUCCESS | TRADE_CLOSED
    buyer_id: str
    buyer_logon_id: str
    refunded_fen: int
    created_at: float
    paid_at: float | None
    notice: str | None  # the signed notice as JSON, sent again as is


@dataclass(frozen=True)
class Refund:
    out_request_no: str
    refund_fen: int
    created_at: float


@dataclass(frozen=True)
class Delivery:
    notify_id: str
    status_code: int | None
    acked: bool


_TRADE_COLUMNS = (
    "app_id, out_trade_no, trade_no, total_fen, subject, notify_url, return_url, quit_url, "
    "expires_at, status, buyer_id, buyer_logon_id, refunded_fen, created_at, paid_at, notice"
)


def _now() -> float:
    return clock.now().timestamp()


def _digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def _stamp() -> str:
    return clock.now().astimezone(TIMEZONE).strftime("%Y%m%d")


class PayStore(SqliteFile):
    """The stand-in Alipay's trades, refunds and notice deliveries (one SQLite file shared
    by every worker; each change is one transaction, `BEGIN IMMEDIATE` where it reads
    before it writes)."""

    SCHEMA = SCHEMA

    @staticmethod
    def _find(conn: sqlite3.Connection, app_id: str, out_trade_no: str, trade_no: str = "") -> Any:
        if out_trade_no:
            sql, key = "out_trade_no = ?", out_trade_no
        else:
            sql, key = "trade_no = ?", trade_no
        return conn.execute(
            f"SELECT {_TRADE_COLUMNS} FROM alipay_pay_trades WHERE app_id = ? AND {sql}",  # noqa: S608 - fixed column names
            (app_id, key),
        ).fetchone()

    @staticmethod
    def _expire(conn: sqlite3.Connection, row: Any) -> Trade:
        """An unpaid trade past its time_expire is closed (Alipay closes it itself)."""
        trade = Trade(*row)
        if trade.status == WAIT and trade.expires_at is not None and trade.expires_at <= _now():
            conn.execute(
                "UPDATE alipay_pay_trades SET status = ? WHERE app_id = ? AND out_trade_no = ? "
                "AND status = ?",
                (CLOSED, trade.app_id, trade.out_trade_no, WAIT),
            )
            trade = Trade(*row[:9], CLOSED, *row[10:])
        return trade

    def trade(self, app_id: str, out_trade_no: str = "", trade_no: str = "") -> Trade | None:
        with self._connect() as conn:
            row = self._find(conn, app_id, out_trade_no, trade_no)
            return self._expire(conn, row) if row else None

    def open_trade(
        self,
        *,
        app_id: str,
        out_trade_no: str,
        total_fen: int,
        subject: str,
        notify_url: str,
        return_url: str,
        quit_url: str,
        expires_at: float | None,
    ) -> Trade:
        """Create the trade when the member opens the cashier; the same order opened again
        (same amount and subject) is the same trade."""
        with self._transaction() as conn:
            row = self._find(conn, app_id, out_trade_no)
            if row is None:
                conn.execute(
                    f"INSERT INTO alipay_pay_trades ({_TRADE_COLUMNS}) "  # noqa: S608 - fixed column names
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL)",
                    (
                        app_id,
                        out_trade_no,
                        f"{_stamp()}22001{_digits(15)}",  # 28 digits, like Alipay's trade_no
                        total_fen,
                        subject,
                        notify_url,
                        return_url,
                        quit_url,
                        expires_at,
                        WAIT,
                        "2088" + _digits(12),
                        f"1{_digits(2)}****{_digits(4)}",
                        _now(),
                    ),
                )
                row = self._find(conn, app_id, out_trade_no)
            trade = self._expire(conn, row)
        if trade.status == SUCCESS:
            raise PayProblem(*HAS_SUCCESS)
        if trade.status == CLOSED:
            raise PayProblem(*HAS_CLOSE)
        if (trade.total_fen, trade.subject) != (total_fen, subject):
            raise PayProblem(*INCONSISTENT)
        return trade

    def mark_paid(self, app_id: str, out_trade_no: str, notice: Mapping[str, str]) -> bool:
        """WAIT_BUYER_PAY -> TRADE_SUCCESS with its notice, once (False if it was not
        waiting: paid by another click, or closed)."""
        with self._connect() as conn:
            changed = conn.execute(
                "UPDATE alipay_pay_trades SET status = ?, paid_at = ?, notice = ? "
                "WHERE app_id = ? AND out_trade_no = ? AND status = ?",
                (SUCCESS, _now(), json.dumps(dict(notice)), app_id, out_trade_no, WAIT),
            ).rowcount
        return changed == 1

    def refund(
        self,
        *,
        app_id: str,
        out_trade_no: str,
        trade_no: str,
        out_request_no: str,
        refund_fen: int,
        reason: str,
    ) -> tuple[Trade, Refund, bool]:
        """(trade after, the refund, fund changed now). A repeated out_request_no with the
        same amount is the same refund, answered without a fund change."""
        with self._transaction() as conn:
            row = self._find(conn, app_id, out_trade_no, trade_no)
            if row is None:
                raise PayProblem(*NOT_EXIST)
            trade = self._expire(conn, row)
            out_request_no = out_request_no or trade.out_trade_no
            found = conn.execute(
                "SELECT out_request_no, refund_fen, created_at FROM alipay_pay_refunds "
                "WHERE app_id = ? AND out_trade_no = ? AND out_request_no = ?",
                (app_id, trade.out_trade_no, out_request_no),
            ).fetchone()
            if found is not None:
                if found[1] != refund_fen:
                    raise PayProblem(*DISCORDANT)
                return trade, Refund(*found), False
            if trade.paid_at is None:
                raise PayProblem(*STATUS_ERROR)
            if refund_fen <= 0:
                raise PayProblem(*REFUND_FEE_ERR)
            if refund_fen > trade.total_fen - trade.refunded_fen:
                raise PayProblem(*OVER_REFUND)
            now = _now()
            conn.execute(
                "INSERT INTO alipay_pay_refunds (app_id, out_trade_no, out_request_no, "
                "refund_fen, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (app_id, trade.out_trade_no, out_request_no, refund_fen, reason, now),
            )
            refunded = trade.refunded_fen + refund_fen
            status = CLOSED if refunded == trade.total_fen else trade.status
            conn.execute(
                "UPDATE alipay_pay_trades SET refunded_fen = ?, status = ? "
                "WHERE app_id = ? AND out_trade_no = ?",
                (refunded, status, app_id, trade.out_trade_no),
            )
            row = self._find(conn, app_id, trade.out_trade_no)
        return Trade(*row), Refund(out_request_no, refund_fen, now), True

    def refund_of(self, app_id: str, out_trade_no: str, out_request_no: str) -> Refund | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT out_request_no, refund_fen, created_at FROM alipay_pay_refunds "
                "WHERE app_id = ? AND out_trade_no = ? AND out_request_no = ?",
                (app_id, out_trade_no, out_request_no),
            ).fetchone()
        return Refund(*row) if row else None

    def record_delivery(
        self, trade: Trade, notify_id: str, status_code: int | None, acked: bool
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO alipay_pay_deliveries (app_id, out_trade_no, notify_id, "
                "status_code, acked, delivered_at) VALUES (?, ?, ?, ?, ?, ?)",
                (trade.app_id, trade.out_trade_no, notify_id, status_code, int(acked), _now()),
            )

    def deliveries(self, app_id: str, out_trade_no: str) -> list[Delivery]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT notify_id, status_code, acked FROM alipay_pay_deliveries "
                "WHERE app_id = ? AND out_trade_no = ? ORDER BY id",
                (app_id, out_trade_no),
            ).fetchall()
        return [Delivery(row[0], row[1], bool(row[2])) for row in rows]


def _store() -> PayStore:
    return PayStore(current_app.extensions["settings"].standin_db)


# --- helpers ---------------------------------------------------------------------------


def _alipay_private_key() -> str:
    return registry.read_key(registry.ALIPAY_PRIVATE_KEY_FILE)


def _time(epoch: float | None = None) -> str:
    moment = clock.now() if epoch is None else datetime.fromtimestamp(epoch, TIMEZONE)
    return moment.astimezone(TIMEZONE).strftime(TIME_FORMAT)


def _business(problem: tuple[str, str, str]) -> login_standin.GatewayError:
    return login_standin.GatewayError(BUSINESS_FAILED, problem[0], problem[1])


def _biz(params: Mapping[str, str]) -> dict[str, Any]:
    try:
        biz = json.loads(params.get("biz_content", ""))
    except ValueError:
        biz = None
    if not isinstance(biz, dict):
        raise _business(INVALID_PARAMETER)
    return biz


def _amount(value: Any) -> int:
    """A positive yuan amount within Alipay's limits, in fen; else ValueError."""
    try:
        fen = amount_to_fen(value)
    except MoneyError:
        raise ValueError("not an amount") from None
    if not 0 < fen <= MAX_AMOUNT_FEN:
        raise ValueError("out of range")
    return fen


def _page_error(code: str, message_zh: str, message_en: str) -> Response:
    return login_standin._error_page(
        "alipay", login_standin.PageError(code, message_zh, message_en)
    )


def _url(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return login_standin._check_redirect_uri(value)
    except login_standin.PageError:
        return ""


# --- the gateway: the cashier page ---------------------------------------------------------


def _cashier(params: Mapping[str, str]) -> Response:
    try:
        login_standin._check_common(dict(params))
    except login_standin.GatewayError as exc:
        body = exc.body
        return _page_error(body["sub_code"], body["sub_msg"], f"{body['msg']} ({body['code']})")
    try:
        biz = _biz(params)
    except login_standin.GatewayError:
        return _page_error(INVALID_PARAMETER[0], "biz_content 不是 JSON 对象。", "bad biz_content")
    out_trade_no = biz.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not OUT_TRADE_NO.fullmatch(out_trade_no):
        return _page_error(
            INVALID_PARAMETER[0], "out_trade_no 参数无效。", "out_trade_no is not valid."
        )
    try:
        total_fen = _amount(biz.get("total_amount"))
    except ValueError:
        return _page_error(
            INVALID_PARAMETER[0], "total_amount 参数无效。", "total_amount is not valid."
        )
    subject = biz.get("subject")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > SUBJECT_MAX:
        return _page_error(INVALID_PARAMETER[0], "subject 参数无效。", "subject is not valid.")
    if biz.get("product_code") != PRODUCT_CODE:
        return _page_error(
            "ACQ.PRODUCT_CODE_NOT_SUPPORTED",
            "不支持的产品码（手机网站支付为 QUICK_WAP_WAY）。",
            "product_code must be QUICK_WAP_WAY.",
        )
    expires_at = None
    if biz.get("time_expire"):
        try:
            expires_at = (
                datetime.strptime(str(biz["time_expire"]), TIME_FORMAT)
                .replace(tzinfo=TIMEZONE)
                .timestamp()
            )
        except ValueError:
            return _page_error(
                INVALID_PARAMETER[0], "time_expire 格式错误。", "time_expire is not valid."
            )
    return_url = _url(params.get("return_url", ""))
    try:
        trade = _store().open_trade(
            app_id=params["app_id"],
            out_trade_no=out_trade_no,
            total_fen=total_fen,
            subject=subject,
            notify_url=_url(params.get("notify_url", "")),
            return_url=return_url,
            quit_url=_url(biz.get("quit_url")) or return_url,
            expires_at=expires_at,
        )
    except PayProblem as exc:
        return _page_error(exc.sub_code, exc.message_zh, exc.message_en)
    return _cashier_page(trade)


def _cashier_page(trade: Trade, *, paid: bool = False) -> Response:
    html = render_template(
        "standins/alipay_pay_cashier.html",
        brand=login_standin.BRANDS["alipay"],
        trade=trade,
        amount=fen_to_amount(trade.total_fen),
        paid=paid,
        seller_id=SELLER_ID,
    )
    return login_standin._no_store(Response(html, mimetype="text/html"))


# --- the gateway: signed API methods ---------------------------------------------------


def _trade_of(params: Mapping[str, str], biz: Mapping[str, Any]) -> Trade:
    out_trade_no, trade_no = biz.get("out_trade_no") or "", biz.get("trade_no") or ""
    if not isinstance(out_trade_no, str) or not isinstance(trade_no, str):
        raise _business(INVALID_PARAMETER)
    if not (out_trade_no or trade_no):
        raise _business(INVALID_PARAMETER)
    trade = _store().trade(params["app_id"], out_trade_no, trade_no)
    if trade is None:
        raise _business(NOT_EXIST)
    return trade


def _query(params: Mapping[str, str]) -> dict[str, Any]:
    trade = _trade_of(params, _biz(params))
    paid = fen_to_amount(trade.total_fen) if trade.paid_at is not None else "0.00"
    value: dict[str, Any] = {
        "code": "10000",
        "msg": "Success",
        "buyer_logon_id": trade.buyer_logon_id,
        "buyer_pay_amount": paid,
        "buyer_user_id": trade.buyer_id,
        "invoice_amount": paid,
        "out_trade_no": trade.out_trade_no,
        "point_amount": "0.00",
        "receipt_amount": paid,
        "total_amount": fen_to_amount(trade.total_fen),
        "trade_no": trade.trade_no,
        "trade_status": trade.status,
    }
    if trade.paid_at is not None:
        value["send_pay_date"] = _time(trade.paid_at)
    return value


def _refund(params: Mapping[str, str]) -> dict[str, Any]:
    biz = _biz(params)
    try:
        refund_fen = _amount(biz.get("refund_amount"))
    except ValueError:
        raise _business(REFUND_FEE_ERR) from None
    out_request_no = biz.get("out_request_no") or ""
    reason = biz.get("refund_reason") or ""
    if not isinstance(out_request_no, str) or not isinstance(reason, str):
        raise _business(INVALID_PARAMETER)
    out_trade_no, trade_no = biz.get("out_trade_no"), biz.get("trade_no")
    if not (out_trade_no or trade_no):
        raise _business(INVALID_PARAMETER)
    try:
        trade, refund, changed = _store().refund(
            app_id=params["app_id"],
            out_trade_no=str(out_trade_no or ""),
            trade_no=str(trade_no or ""),
            out_request_no=out_request_no,
            refund_fen=refund_fen,
            reason=reason,
        )
    except PayProblem as exc:
        raise login_standin.GatewayError(BUSINESS_FAILED, exc.sub_code, exc.message_zh) from None
    return {
        "code": "10000",
        "msg": "Success",
        "buyer_logon_id": trade.buyer_logon_id,
        "buyer_user_id": trade.buyer_id,
        "fund_change": "Y" if changed else "N",
        "gmt_refund_pay": _time(refund.created_at),
        "out_trade_no": trade.out_trade_no,
        "refund_fee": fen_to_amount(trade.refunded_fen),  # all refunded so far
        "send_back_fee": fen_to_amount(refund.refund_fen),
        "trade_no": trade.trade_no,
    }


def _refund_query(params: Mapping[str, str]) -> dict[str, Any]:
    biz = _biz(params)
    trade = _trade_of(params, biz)
    out_request_no = biz.get("out_request_no") or trade.out_trade_no
    value: dict[str, Any] = {
        "code": "10000",
        "msg": "Success",
        "out_request_no": out_request_no,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
    }
    refund = _store().refund_of(trade.app_id, trade.out_trade_no, str(out_request_no))
    if refund is not None:  # no such refund: Success without refund_amount
        value.update(
            {
                "refund_amount": fen_to_amount(refund.refund_fen),
                "refund_status": "REFUND_SUCCESS",
                "total_amount": fen_to_amount(trade.total_fen),
            }
        )
        options = biz.get("query_options")
        if isinstance(options, list) and "gmt_refund_pay" in options:
            value["gmt_refund_pay"] = _time(refund.created_at)
    return value


API_METHODS = {QUERY_METHOD: _query, REFUND_METHOD: _refund, REFUND_QUERY_METHOD: _refund_query}


def handle_gateway(params: Mapping[str, str]) -> Response | None:
    """The payment methods of the stand-in gateway; None for any other method (the login
    stand-in's dispatcher carries on)."""
    method = params.get("method", "")
    if method not in PAY_METHODS:
        return None
    if method == WAP_PAY_METHOD:
        return _cashier(params)
    key = method.replace(".", "_") + "_response"
    values = dict(params)
    try:
        login_standin._check_common(values)
        value = API_METHODS[method](values)
    except login_standin.GatewayError as exc:
        return login_standin._gateway_response(key, exc.body)
    return login_standin._gateway_response(key, value)


# --- the cashier's buttons and the notice ----------------------------------------------


def _notice_fields(trade: Trade) -> dict[str, str]:
    amount = fen_to_amount(trade.total_fen)
    now = _time()
    return {
        "gmt_create": _time(trade.created_at),
        "charset": "utf-8",
        "seller_email": "hmb-merchant@example.cn",
        "subject": trade.subject,
        "buyer_id": trade.buyer_id,
        "invoice_amount": amount,
        "notify_id": f"{_stamp()}00222{_digits(21)}",
        "fund_bill_list": json.dumps(
            [{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
        ),
        "notify_type": NOTIFY_TYPE,
        "trade_status": SUCCESS,
        "receipt_amount": amount,
        "buyer_pay_amount": amount,
        "app_id": trade.app_id,
        "seller_id": SELLER_ID,
        "gmt_payment": now,
        "notify_time": now,
        "version": "1.0",
        "out_trade_no": trade.out_trade_no,
        "total_amount": amount,
        "trade_no": trade.trade_no,
        "auth_app_id": trade.app_id,
        "buyer_logon_id": trade.buyer_logon_id,
        "point_amount": "0.00",
    }


def _deliver(trade: Trade, notice: Mapping[str, str]) -> Delivery:
    """POST the notice to the trade's notify_url and record the answer."""
    timeout = current_app.extensions["settings"].provider_timeout_s
    factory = current_app.extensions.get("standin_http")
    status_code: int | None = None
    acked = False
    try:
        if factory is not None:
            with factory() as http:
                resp = http.post(trade.notify_url, data=dict(notice), timeout=timeout)
        else:
            resp = requests.post(trade.notify_url, data=dict(notice), timeout=timeout)
        status_code = resp.status_code
        acked = status_code == 200 and resp.content == b"success"
    except requests.RequestException as exc:
        log.warning("alipay stand-in: notice for %s not delivered: %s", trade.out_trade_no, exc)
    store = _store()
    store.record_delivery(trade, notice["notify_id"], status_code, acked)
    return Delivery(notice["notify_id"], status_code, acked)


def _return_params(trade: Trade) -> dict[str, str]:
    fields = {
        "charset": "utf-8",
        "out_trade_no": trade.out_trade_no,
        "method": RETURN_METHOD,
        "total_amount": fen_to_amount(trade.total_fen),
        "trade_no": trade.trade_no,
        "auth_app_id": trade.app_id,
        "version": "1.0",
        "app_id": trade.app_id,
        "seller_id": SELLER_ID,
        "timestamp": _time(),
    }
    return build_notice(fields, alipay_private_key_pem=_alipay_private_key())


def _form_trade() -> Trade | Response:
    app_id = request.values.get("app_id") or registry.ALIPAY_APP_ID
    trade = _store().trade(app_id, request.values.get("out_trade_no", ""))
    if trade is None:
        return _page_error(*NOT_EXIST)
    return trade


@alipay_pay_bp.post("/pay")
@public
def pay() -> BaseResponse:
    found = _form_trade()
    if isinstance(found, Response):
        return found
    trade = found
    if trade.status == WAIT:
        notice = build_notice(_notice_fields(trade), alipay_private_key_pem=_alipay_private_key())
        if _store().mark_paid(trade.app_id, trade.out_trade_no, notice) and trade.notify_url:
            _deliver(trade, notice)
        trade = _store().trade(trade.app_id, trade.out_trade_no) or trade
    if trade.paid_at is None:  # closed (timed out) before it was paid
        return _page_error(*HAS_CLOSE)
    if not trade.return_url:  # no return_url: Alipay shows its own result page
        return _cashier_page(trade, paid=True)
    target = login_standin._with_query(trade.return_url, list(_return_params(trade).items()))
    return login_standin._no_store(redirect(target, code=302))


@alipay_pay_bp.post("/cancel")
@public
def cancel() -> BaseResponse:
    found = _form_trade()
    if isinstance(found, Response):
        return found
    if not found.quit_url:
        return _page_error("USER_CANCEL", "已取消付款。", "Payment cancelled.")
    return login_standin._no_store(redirect(found.quit_url, code=302))


@alipay_pay_bp.post("/redeliver")
@public
def redeliver() -> Response:
    """Send the trade's notice again, unchanged (same notify_id), as Alipay's retries do."""
    found = _form_trade()
    if isinstance(found, Response):
        return found
    if not found.notice or not found.notify_url:
        return login_standin._no_store(
            Response("no notice to deliver", status=409, mimetype="text/plain")
        )
    delivery = _deliver(found, json.loads(found.notice))
    return login_standin._no_store(
        jsonify(
            {
                "notify_id": delivery.notify_id,
                "status_code": delivery.status_code,
                "acked": delivery.acked,
            }
        )
    )


@alipay_pay_bp.get("/deliveries")
@public
def deliveries() -> Response:
    app_id = request.args.get("app_id") or registry.ALIPAY_APP_ID
    items = _store().deliveries(app_id, request.args.get("out_trade_no", ""))
    return login_standin._no_store(
        jsonify(
            [
                {"notify_id": d.notify_id, "status_code": d.status_code, "acked": d.acked}
                for d in items
            ]
        )
    )


# The login stand-in's gateway checks, error page and signed answers, used at call time.
# Imported last so that routes.py may import this module at its top or in its view.
from app.standins import routes as login_standin  # noqa: E402
