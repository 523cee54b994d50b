"""Development stand-in for WeChat Pay API v3: a real protocol peer under
/standins/wechatpay (mounted only with DEV_STANDINS=1).

    POST /v3/pay/transactions/jsapi                    api.mch.weixin.qq.com (the server)
    POST /v3/pay/transactions/h5
    GET  /v3/pay/transactions/out-trade-no/<otn>?mchid=
    POST /v3/pay/transactions/out-trade-no/<otn>/close
    POST /v3/refund/domestic/refunds
    GET  /cashier?prepay_id=…[&redirect_url=…]         the payer's side (WeChat's cashier)
    POST /cashier/pay                                  pay or cancel; pay delivers the notice
    POST /cashier/redeliver?out_trade_no=…             WeChat's retry: the same notice again
    GET  /cashier/deliveries?out_trade_no=…            what was delivered (for developers)

Like WeChat Pay it verifies the merchant's `Authorization` signature with the merchant's
public key (401 SIGN_ERROR), answers errors as `{"code", "message"}` with a 4xx status,
signs every API answer with the platform key (`Wechatpay-*` headers) and delivers the
payment notice encrypted with the APIv3 key and signed, server to server, to the
`notify_url` of the order. State lives in the stand-ins' SQLite file (`STANDIN_DB`) in
tables of its own (`wechatpay_*`), so several gunicorn workers share it.

The pages are a fake third-party site: public, no CSRF, no inline script or style.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.core import clock
from app.core.money import fen_to_yuan_str
from app.core.security import public
from app.payments.providers import wechatpay as wxpay
from app.standins import registry
from app.standins.sqlite_file import SqliteFile

R = TypeVar("R", bound=BaseResponse)

# --- the merchant registered with the stand-in ----------------------------------------------

MCH_ID = "1900000109"  # the shape of WeChat Pay's documented test merchant number
APP_ID = registry.WECHAT_APP_ID  # the official account of the WeChat login stand-in
APIV3_KEY = "standin0apiv3key0not0real0000000"  # a stand-in's fixed TEST key (32 chars)
MERCHANT_NAME_ZH = "惠民保（本地替身商户）"
MERCHANT_NAME_EN = "Huimin Bao (stand-in merchant)"
MERCHANT_PRIVATE_KEY_FILE = registry.KEYS_DIR / "wechatpay_merchant_private_key.pem"
MERCHANT_PUBLIC_KEY_FILE = registry.KEYS_DIR / "wechatpay_merchant_public_key.pem"
MERCHANT_SERIAL = "DAA55F8752479022E08517F39ACFC43FB8087289"
PLATFORM_PRIVATE_KEY_FILE = registry.KEYS_DIR / "wechatpay_platform_private_key.pem"
PLATFORM_PUBLIC_KEY_FILE = registry.KEYS_DIR / "wechatpay_platform_public_key.pem"
PLATFORM_SERIAL = "DA712D9C02CCBB0F79D30BB58A4BB8D3FC6784B4"

REQUEST_MAX_SKEW_S = 5 * 60  # WeChat Pay refuses requests whose timestamp is this far off
OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_\-|*]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[A-Za-z0-9_\-|*@]{1,64}$")
DESCRIPTION_MAX_BYTES = 127
REASON_MAX_CHARS = 80
BRAND = {"zh": "微信支付", "en": "WeChat Pay"}


def read_key(path: Path) -> str:
    return path.read_text(encoding="ascii")


# --- state ---------------------------------------------------------------------------------

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS wechatpay_transactions (
        mchid TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        prepay_id TEXT NOT NULL UNIQUE,
        appid TEXT NOT NULL,
        trade_type TEXT NOT NULL,
        description TEXT NOT NULL,
        amount_total INTEGER NOT NULL,
        notify_url TEXT NOT NULL,
        time_expire TEXT,
        payer_openid TEXT,
        payer_client_ip TEXT,
        return_url TEXT,
        trade_state TEXT NOT NULL DEFAULT 'NOTPAY',
        transaction_id TEXT,
        success_time TEXT,
        notice_id TEXT,
        notice_create_time TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (mchid, out_trade_no)
    )""",
    """CREATE TABLE IF NOT EXISTS wechatpay_refunds (
        refund_id TEXT PRIMARY KEY,
        mchid TEXT NOT NULL,
        out_refund_no TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        amount_refund INTEGER NOT NULL,
        amount_total INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        create_time TEXT NOT NULL,
        success_time TEXT,
        created_at REAL NOT NULL,
        UNIQUE (mchid, out_refund_no)
    )""",
    """CREATE TABLE IF NOT EXISTS wechatpay_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        mchid TEXT NOT NULL,
        out_trade_no TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        notify_url TEXT NOT NULL,
        ok INTEGER NOT NULL,
        http_status INTEGER,
        error TEXT,
        at REAL NOT NULL
    )""",
)


_TXN_COLUMNS = (
    "mchid, out_trade_no, prepay_id, appid, trade_type, description, amount_total, "
    "notify_url, time_expire, payer_openid, payer_client_ip, return_url, trade_state, "
    "transaction_id, success_time, notice_id, notice_create_time"
)
_REFUND_COLUMNS = (
    "refund_id, mchid, out_refund_no, out_trade_no, amount_refund, amount_total, reason, "
    "status, create_time, success_time"
)


@dataclass(frozen=True)
class Transaction:
    mchid: str
    out_trade_no: str
    prepay_id: str
    appid: str
    trade_type: str  # JSAPI | MWEB
    description: str
    amount_total: int
    notify_url: str
    time_expire: str | None
    payer_openid: str | None
    payer_client_ip: str | None
    return_url: str | None
    trade_state: str  # NOTPAY | SUCCESS | REFUND | CLOSED
    transaction_id: str | None
    success_time: str | None
    notice_id: str | None
    notice_create_time: str | None


@dataclass(frozen=True)
class Refund:
    refund_id: str
    mchid: str
    out_refund_no: str
    out_trade_no: str
    amount_refund: int
    amount_total: int
    reason: str
    status: str
    create_time: str
    success_time: str | None


@dataclass(frozen=True)
class Delivery:
    notice_id: str
    notify_url: str
    ok: bool
    http_status: int | None
    error: str | None
    at: float


class StandinError(Exception):
    """An API request WeChat Pay would refuse: HTTP status and `{"code", "message"}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message


class WeChatPayStore(SqliteFile):
    """The stand-in's WeChat Pay tables in the stand-ins' SQLite file (`STANDIN_DB`)."""

    SCHEMA = SCHEMA

    # --- transactions ---------------------------------------------------------------------

    def create_transaction(self, txn: Transaction) -> tuple[Transaction, bool]:
        """Insert the transaction; if (mchid, out_trade_no) exists, the stored one and
        False."""
        with self._transaction() as conn:
            inserted = conn.execute(
                f"INSERT INTO wechatpay_transactions ({_TXN_COLUMNS}, created_at) "  # noqa: S608 - fixed column list
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (mchid, out_trade_no) DO NOTHING",
                (*_txn_values(txn), clock.now().timestamp()),
            ).rowcount
            if inserted == 1:
                return txn, True
            row = conn.execute(
                f"SELECT {_TXN_COLUMNS} FROM wechatpay_transactions "  # noqa: S608 - fixed column list
                "WHERE mchid = ? AND out_trade_no = ?",
                (txn.mchid, txn.out_trade_no),
            ).fetchone()
        return Transaction(*row), False

    def by_prepay_id(self, prepay_id: str) -> Transaction | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_TXN_COLUMNS} FROM wechatpay_transactions WHERE prepay_id = ?",  # noqa: S608
                (prepay_id,),
            ).fetchone()
        return Transaction(*row) if row else None

    def by_out_trade_no(self, mchid: str, out_trade_no: str) -> Transaction | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_TXN_COLUMNS} FROM wechatpay_transactions "  # noqa: S608 - fixed column list
                "WHERE mchid = ? AND out_trade_no = ?",
                (mchid, out_trade_no),
            ).fetchone()
        return Transaction(*row) if row else None

    def set_return_url(self, prepay_id: str, return_url: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE wechatpay_transactions SET return_url = ? WHERE prepay_id = ?",
                (return_url, prepay_id),
            )

    def mark_paid(
        self, prepay_id: str, *, payer_openid: str, success_time: str, notice_create_time: str
    ) -> bool:
        """NOTPAY -> SUCCESS, once across processes; False when it was not NOTPAY."""
        digits = "".join(secrets.choice(string.digits) for _ in range(14))
        day = clock.now().astimezone(wxpay.SHANGHAI).strftime("%Y%m%d")
        transaction_id = f"420000{digits[:4]}{day}{digits[4:]}"  # 28 digits, like WeChat's
        with self._connect() as conn:
            return (
                conn.execute(
                    "UPDATE wechatpay_transactions SET trade_state = 'SUCCESS', "
                    "transaction_id = ?, success_time = ?, payer_openid = ?, notice_id = ?, "
                    "notice_create_time = ? WHERE prepay_id = ? AND trade_state = 'NOTPAY'",
                    (
                        transaction_id,
                        success_time,
                        payer_openid,
                        wxpay.new_event_id(),
                        notice_create_time,
                        prepay_id,
                    ),
                ).rowcount
                == 1
            )

    def close(self, mchid: str, out_trade_no: str) -> Transaction | None:
        """NOTPAY -> CLOSED; the transaction as it is afterwards (None if unknown)."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE wechatpay_transactions SET trade_state = 'CLOSED' "
                "WHERE mchid = ? AND out_trade_no = ? AND trade_state = 'NOTPAY'",
                (mchid, out_trade_no),
            )
        return self.by_out_trade_no(mchid, out_trade_no)

    # --- refunds --------------------------------------------------------------------------

    def refund(
        self,
        mchid: str,
        out_trade_no: str,
        out_refund_no: str,
        amount_refund: int,
        amount_total: int,
        reason: str,
    ) -> Refund:
        """Record a refund (SUCCESS at once), or return the same out_refund_no's refund;
        raises StandinError as WeChat Pay answers."""
        now = clock.now()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT trade_state, amount_total FROM wechatpay_transactions "
                "WHERE mchid = ? AND out_trade_no = ?",
                (mchid, out_trade_no),
            ).fetchone()
            if row is None:
                raise StandinError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            trade_state, trade_total = row
            existing = conn.execute(
                f"SELECT {_REFUND_COLUMNS} FROM wechatpay_refunds "  # noqa: S608 - fixed column list
                "WHERE mchid = ? AND out_refund_no = ?",
                (mchid, out_refund_no),
            ).fetchone()
            if existing is not None:
                refund = Refund(*existing)
                if (refund.out_trade_no, refund.amount_refund) != (out_trade_no, amount_refund):
                    raise StandinError(400, "INVALID_REQUEST", "退款单号重复，且退款参数不一致")
                return refund
            if trade_state not in ("SUCCESS", "REFUND"):
                raise StandinError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount_total != trade_total:
                raise StandinError(400, "INVALID_REQUEST", "订单金额与原订单金额不一致")
            (refunded,) = conn.execute(
                "SELECT COALESCE(SUM(amount_refund), 0) FROM wechatpay_refunds "
                "WHERE mchid = ? AND out_trade_no = ?",
                (mchid, out_trade_no),
            ).fetchone()
            if amount_refund > trade_total - refunded:
                raise StandinError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            stamp = wxpay.rfc3339(now)
            digits = "".join(secrets.choice(string.digits) for _ in range(15))
            refund = Refund(
                refund_id=f"50000000{now.astimezone(wxpay.SHANGHAI):%Y%m%d}{digits}"[:29],
                mchid=mchid,
                out_refund_no=out_refund_no,
                out_trade_no=out_trade_no,
                amount_refund=amount_refund,
                amount_total=amount_total,
                reason=reason,
                status="SUCCESS",
                create_time=stamp,
                success_time=stamp,
            )
            conn.execute(
                f"INSERT INTO wechatpay_refunds ({_REFUND_COLUMNS}, created_at) "  # noqa: S608 - fixed column list
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    refund.refund_id,
                    mchid,
                    out_refund_no,
                    out_trade_no,
                    amount_refund,
                    amount_total,
                    reason,
                    refund.status,
                    refund.create_time,
                    refund.success_time,
                    now.timestamp(),
                ),
            )
            conn.execute(
                "UPDATE wechatpay_transactions SET trade_state = 'REFUND' "
                "WHERE mchid = ? AND out_trade_no = ?",
                (mchid, out_trade_no),
            )
        return refund

    # --- deliveries -----------------------------------------------------------------------

    def record_delivery(self, txn: Transaction, delivery: Delivery) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO wechatpay_deliveries (mchid, out_trade_no, notice_id, notify_url, "
                "ok, http_status, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    txn.mchid,
                    txn.out_trade_no,
                    delivery.notice_id,
                    delivery.notify_url,
                    int(delivery.ok),
                    delivery.http_status,
                    delivery.error,
                    delivery.at,
                ),
            )

    def deliveries(self, mchid: str, out_trade_no: str) -> list[Delivery]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT notice_id, notify_url, ok, http_status, error, at "
                "FROM wechatpay_deliveries WHERE mchid = ? AND out_trade_no = ? ORDER BY id",
                (mchid, out_trade_no),
            ).fetchall()
        return [Delivery(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]


def _txn_values(txn: Transaction) -> tuple[Any, ...]:
    return (
        txn.mchid,
        txn.out_trade_no,
        txn.prepay_id,
        txn.appid,
        txn.trade_type,
        txn.description,
        txn.amount_total,
        txn.notify_url,
        txn.time_expire,
        txn.payer_openid,
        txn.payer_client_ip,
        txn.return_url,
        txn.trade_state,
        txn.transaction_id,
        txn.success_time,
        txn.notice_id,
        txn.notice_create_time,
    )


# --- the blueprint ---------------------------------------------------------------------------

wechatpay_bp = Blueprint(
    "standins_wechatpay",
    __name__,
    url_prefix="/standins/wechatpay",
    template_folder="templates",
)


def _settings() -> Any:
    return current_app.extensions["settings"]


def _store() -> WeChatPayStore:
    return WeChatPayStore(_settings().standin_db)


def _no_store(response: R) -> R:
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed(status: int, body: dict[str, Any] | None) -> Response:
    """An API answer signed with the platform key, as WeChat Pay signs every answer."""
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = Response(raw, status=status)
    if body is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers.update(
        wxpay.signed_headers(
            raw,
            platform_private_key_pem=read_key(PLATFORM_PRIVATE_KEY_FILE),
            platform_serial=PLATFORM_SERIAL,
        )
    )
    response.headers["Request-ID"] = secrets.token_hex(16).upper()
    return _no_store(response)


def _api_error(exc: StandinError) -> Response:
    return _signed(exc.status, {"code": exc.code, "message": exc.message})


def _received_url() -> str:
    """The request's path and query as the client sent them (what it signed)."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        raw = quote(f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}")
    raw = str(raw)
    query = environ.get("QUERY_STRING", "")
    if "?" not in raw and query:
        raw = f"{raw}?{query}"
    return raw


def _authenticate() -> str:
    """Verify the merchant's `Authorization` signature; the merchant's mchid."""
    params = wxpay.parse_authorization(request.headers.get("Authorization", ""))
    if params is None:
        raise StandinError(401, "SIGN_ERROR", "Authorization 头缺失或格式错误")
    if params["mchid"] != MCH_ID:
        raise StandinError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if params["serial_no"] != MERCHANT_SERIAL:
        raise StandinError(401, "SIGN_ERROR", "商户证书序列号有误")
    timestamp = params["timestamp"]
    now = clock.now().timestamp()
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REQUEST_MAX_SKEW_S:
        raise StandinError(401, "SIGN_ERROR", "请求的时间戳已过期")
    message = wxpay.request_message(
        request.method, _received_url(), timestamp, params["nonce_str"], request.get_data()
    )
    if not wxpay.rsa_verify(message, params["signature"], read_key(MERCHANT_PUBLIC_KEY_FILE)):
        raise StandinError(401, "SIGN_ERROR", "错误的签名，验签失败")
    return params["mchid"]


def _api(view: Callable[..., dict[str, Any] | None]) -> Callable[..., Response]:
    """Authenticate, run, sign: a view returns the JSON body (None: 204 No Content)."""

    def wrapped(**kwargs: Any) -> Response:
        try:
            mchid = _authenticate()
            body = view(mchid, **kwargs)
        except StandinError as exc:
            return _api_error(exc)
        return _signed(204 if body is None else 200, body)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return public(wrapped)


def _json_body() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StandinError(400, "PARAM_ERROR", "请求体不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise StandinError(400, "PARAM_ERROR", "请求体不是 JSON 对象")
    return data


def _param_error(path: str, what: str) -> StandinError:
    return StandinError(400, "PARAM_ERROR", f"输入源“/body/{path}”{what}")


def _text(data: dict[str, Any], name: str, path: str | None = None) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise _param_error(path or name, "缺失或不是字符串")
    return value


def _amount(data: dict[str, Any], name: str, path: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _param_error(path, "缺失或不是整数")
    if value <= 0:
        raise _param_error(path, "必须大于 0")
    return value


def _currency(amount: dict[str, Any]) -> None:
    if amount.get("currency", "CNY") != "CNY":
        raise _param_error("amount/currency", "只支持 CNY")


def _check_http_url(value: str, path: str, *, allow_query: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise _param_error(path, "不是合法的 http(s) 地址")
    if parts.query and not allow_query:
        raise _param_error(path, "不能携带参数")
    return value


def _parse_rfc3339(value: str, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _param_error(path, "不是 RFC 3339 时间") from None
    if moment.tzinfo is None or "T" not in value:
        raise _param_error(path, "不是 RFC 3339 时间")
    return moment


def _prepay_id() -> str:
    stamp = clock.now().astimezone(wxpay.SHANGHAI).strftime("%Y%m%d%H%M%S")
    return f"wx{stamp}{secrets.token_hex(10)}"


def _base() -> str:
    return f"{str(_settings().standin_base_url).rstrip('/')}{wechatpay_bp.url_prefix}"


def _create(mchid: str, trade_type: str) -> Transaction:
    data = _json_body()
    appid = _text(data, "appid")
    if _text(data, "mchid") != mchid:
        raise StandinError(400, "PARAM_ERROR", "请求体中的 mchid 与请求头中的商户号不一致")
    if appid != APP_ID:
        raise StandinError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    description = _text(data, "description")
    if len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
        raise _param_error("description", "超过 127 字节")
    out_trade_no = _text(data, "out_trade_no")
    if not OUT_TRADE_NO.match(out_trade_no):
        raise _param_error("out_trade_no", "须为 6-32 位字母、数字、_-|*")
    time_expire = data.get("time_expire")
    if time_expire is not None:
        if not isinstance(time_expire, str):
            raise _param_error("time_expire", "不是字符串")
        if _parse_rfc3339(time_expire, "time_expire") <= clock.now():
            raise StandinError(400, "INVALID_REQUEST", "订单失效时间已过")
    notify_url = _check_http_url(_text(data, "notify_url"), "notify_url", allow_query=False)
    amount = data.get("amount")
    if not isinstance(amount, dict):
        raise _param_error("amount", "缺失")
    total = _amount(amount, "total", "amount/total")
    _currency(amount)
    payer_openid = client_ip = None
    if trade_type == "JSAPI":
        payer = data.get("payer")
        if not isinstance(payer, dict):
            raise _param_error("payer", "缺失")
        payer_openid = _text(payer, "openid", "payer/openid")
    else:
        scene = data.get("scene_info")
        if not isinstance(scene, dict):
            raise _param_error("scene_info", "缺失")
        client_ip = _text(scene, "payer_client_ip", "scene_info/payer_client_ip")
        h5_info = scene.get("h5_info")
        if not isinstance(h5_info, dict):
            raise _param_error("scene_info/h5_info", "缺失")
        _text(h5_info, "type", "scene_info/h5_info/type")
    txn, created = _store().create_transaction(
        Transaction(
            mchid=mchid,
            out_trade_no=out_trade_no,
            prepay_id=_prepay_id(),
            appid=appid,
            trade_type=trade_type,
            description=description,
            amount_total=total,
            notify_url=notify_url,
            time_expire=time_expire,
            payer_openid=payer_openid,
            payer_client_ip=client_ip,
            return_url=None,
            trade_state="NOTPAY",
            transaction_id=None,
            success_time=None,
            notice_id=None,
            notice_create_time=None,
        )
    )
    if not created:
        if txn.trade_state in ("SUCCESS", "REFUND"):
            raise StandinError(400, "ORDERPAID", "该订单已支付")
        if txn.trade_state == "CLOSED":
            raise StandinError(400, "ORDER_CLOSED", "订单已关闭")
        if (txn.amount_total, txn.trade_type, txn.appid) != (total, trade_type, appid):
            raise StandinError(400, "INVALID_REQUEST", "201 商户订单号重复")
    return txn


@wechatpay_bp.post("/v3/pay/transactions/jsapi")
@_api
def jsapi_prepay(mchid: str) -> dict[str, Any]:
    """JSAPI 下单: the prepay_id (the same one again for a repeated identical order)."""
    return {"prepay_id": _create(mchid, "JSAPI").prepay_id}


@wechatpay_bp.post("/v3/pay/transactions/h5")
@_api
def h5_prepay(mchid: str) -> dict[str, Any]:
    """H5 下单: the cashier URL the browser opens (h5_url)."""
    txn = _create(mchid, "MWEB")
    return {"h5_url": f"{_base()}/cashier?prepay_id={txn.prepay_id}"}


def _transaction_body(txn: Transaction) -> dict[str, Any]:
    """A transaction as the query answers it and the notice carries it."""
    body: dict[str, Any] = {
        "appid": txn.appid,
        "mchid": txn.mchid,
        "out_trade_no": txn.out_trade_no,
    }
    paid = txn.trade_state in ("SUCCESS", "REFUND")
    if paid:
        body["transaction_id"] = txn.transaction_id
    body["trade_type"] = txn.trade_type
    body["trade_state"] = txn.trade_state
    body["trade_state_desc"] = {
        "SUCCESS": "支付成功",
        "REFUND": "转入退款",
        "NOTPAY": "订单未支付",
        "CLOSED": "订单已关闭",
    }.get(txn.trade_state, txn.trade_state)
    if paid:
        body["bank_type"] = "OTHERS"
        body["attach"] = ""
        body["success_time"] = txn.success_time
        body["payer"] = {"openid": txn.payer_openid}
        body["amount"] = {
            "total": txn.amount_total,
            "payer_total": txn.amount_total,
            "currency": "CNY",
            "payer_currency": "CNY",
        }
    else:
        body["payer"] = {}
        body["amount"] = {"total": txn.amount_total, "currency": "CNY", "payer_currency": "CNY"}
    return body


@wechatpay_bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
@_api
def query_transaction(mchid: str, out_trade_no: str) -> dict[str, Any]:
    """商户订单号查询订单."""
    if request.args.get("mchid", "") != mchid:
        raise StandinError(400, "PARAM_ERROR", "输入源“/query/mchid”缺失或与请求头不一致")
    txn = _store().by_out_trade_no(mchid, out_trade_no)
    if txn is None:
        raise StandinError(404, "ORDER_NOT_EXIST", "订单不存在")
    return _transaction_body(txn)


@wechatpay_bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
@_api
def close_transaction(mchid: str, out_trade_no: str) -> None:
    """关闭订单: 204; a paid order cannot be closed."""
    if _text(_json_body(), "mchid") != mchid:
        raise StandinError(400, "PARAM_ERROR", "请求体中的 mchid 与请求头中的商户号不一致")
    txn = _store().close(mchid, out_trade_no)
    if txn is None:
        raise StandinError(404, "ORDER_NOT_EXIST", "订单不存在")
    if txn.trade_state in ("SUCCESS", "REFUND"):
        raise StandinError(400, "ORDERPAID", "订单已支付")
    return None


@wechatpay_bp.post("/v3/refund/domestic/refunds")
@_api
def create_refund(mchid: str) -> dict[str, Any]:
    """退款申请: SUCCESS at once (a real refund to 零钱 takes a moment)."""
    data = _json_body()
    out_trade_no = _text(data, "out_trade_no")
    out_refund_no = _text(data, "out_refund_no")
    if not OUT_REFUND_NO.match(out_refund_no):
        raise _param_error("out_refund_no", "须为 1-64 位字母、数字、_-|*@")
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > REASON_MAX_CHARS:
        raise _param_error("reason", "不是字符串或超过 80 个字符")
    amount = data.get("amount")
    if not isinstance(amount, dict):
        raise _param_error("amount", "缺失")
    refund_fen = _amount(amount, "refund", "amount/refund")
    total_fen = _amount(amount, "total", "amount/total")
    _currency(amount)
    if refund_fen > total_fen:
        raise StandinError(400, "INVALID_REQUEST", "退款金额不能大于订单金额")
    store = _store()
    refund = store.refund(mchid, out_trade_no, out_refund_no, refund_fen, total_fen, reason)
    txn = store.by_out_trade_no(mchid, out_trade_no)
    return {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": txn.transaction_id if txn else None,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "success_time": refund.success_time,
        "create_time": refund.create_time,
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.amount_total,
            "refund": refund.amount_refund,
            "payer_total": refund.amount_total,
            "payer_refund": refund.amount_refund,
            "settlement_refund": refund.amount_refund,
            "settlement_total": refund.amount_total,
            "discount_refund": 0,
            "currency": "CNY",
            "refund_fee": 0,
        },
    }


# --- notices -------------------------------------------------------------------------------


def _http_session() -> requests.Session:
    """Tests plug a factory (`app.extensions["standin_http"]`) to reach their endpoint."""
    factory = current_app.extensions.get("standin_http")
    session: requests.Session = factory() if factory is not None else requests.Session()
    return session


def deliver_notice(txn: Transaction) -> Delivery:
    """POST the payment notice of a paid transaction to its notify_url, as WeChat Pay
    does (the same notice id on every delivery, signed afresh), and record the result.
    200 or 204 counts as received; anything else WeChat would retry."""
    if txn.notice_id is None or txn.trade_state not in ("SUCCESS", "REFUND"):
        raise ValueError("only a paid transaction has a notice")
    transaction = _transaction_body(txn)
    transaction["trade_state"] = "SUCCESS"  # the notice describes the payment
    transaction["trade_state_desc"] = "支付成功"
    headers, body = wxpay.build_notice(
        None,
        transaction,
        platform_private_key_pem=read_key(PLATFORM_PRIVATE_KEY_FILE),
        platform_serial=PLATFORM_SERIAL,
        apiv3_key=APIV3_KEY,
        event_id=txn.notice_id,
        create_time=txn.notice_create_time,
    )
    headers["User-Agent"] = "Mozilla/4.0"  # what WeChat Pay's notifier sends
    status: int | None = None
    error: str | None = None
    http = _http_session()
    try:
        resp = http.post(
            txn.notify_url, data=body, headers=headers, timeout=_settings().provider_timeout_s
        )
        status = resp.status_code
    except requests.RequestException as exc:
        error = type(exc).__name__
    finally:
        http.close()
    delivery = Delivery(
        notice_id=txn.notice_id,
        notify_url=txn.notify_url,
        ok=status in (200, 204),
        http_status=status,
        error=error,
        at=clock.now().timestamp(),
    )
    _store().record_delivery(txn, delivery)
    return delivery


def _delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "notice_id": delivery.notice_id,
        "ok": delivery.ok,
        "http_status": delivery.http_status,
        "error": delivery.error,
        "at": datetime.fromtimestamp(delivery.at, UTC).isoformat(),
    }


@wechatpay_bp.post("/cashier/redeliver")
@public
def redeliver() -> tuple[dict[str, Any], int]:
    """Send the same notice again (same id), as WeChat Pay retries: test idempotency."""
    txn = _store().by_out_trade_no(MCH_ID, request.args.get("out_trade_no", ""))
    if txn is None:
        return {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, 404
    if txn.notice_id is None:
        return {"code": "ORDER_NOT_PAID", "message": "订单未支付，没有通知可发"}, 400
    return {"out_trade_no": txn.out_trade_no, **_delivery_json(deliver_notice(txn))}, 200


@wechatpay_bp.get("/cashier/deliveries")
@public
def deliveries() -> dict[str, Any]:
    """The notice deliveries of an order, oldest first."""
    out_trade_no = request.args.get("out_trade_no", "")
    return {
        "out_trade_no": out_trade_no,
        "deliveries": [_delivery_json(d) for d in _store().deliveries(MCH_ID, out_trade_no)],
    }


# --- the cashier (the payer's side) ----------------------------------------------------------


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(f"standins/{template}", brand=BRAND, **context)
    return _no_store(Response(html, status=status, mimetype="text/html"))


def _result_page(kind: str, status: int = 200, **context: Any) -> Response:
    return _page("wechatpay_result.html", status, kind=kind, **context)


def _expired(txn: Transaction) -> bool:
    if not txn.time_expire:
        return False
    try:
        return datetime.fromisoformat(txn.time_expire) <= clock.now()
    except ValueError:
        return False


def _redirect_url(value: str) -> str | None:
    """The H5 `redirect_url` if it is an absolute http(s) URL."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return value


def _yuan(fen: int) -> str:
    return fen_to_yuan_str(fen, always_decimals=True)


@wechatpay_bp.get("/cashier")
@public
def cashier() -> Response:
    """WeChat's cashier: what is paid, to whom, and the confirm/cancel buttons."""
    store = _store()
    txn = store.by_prepay_id(request.args.get("prepay_id", ""))
    if txn is None:
        return _result_page("unknown", 404)
    redirect_url = _redirect_url(request.args.get("redirect_url", ""))
    if redirect_url and redirect_url != txn.return_url:
        store.set_return_url(txn.prepay_id, redirect_url)
    return_url = redirect_url or txn.return_url
    if txn.trade_state in ("SUCCESS", "REFUND"):
        return _result_page("paid", txn=txn, amount=_yuan(txn.amount_total), return_url=return_url)
    if txn.trade_state == "CLOSED" or _expired(txn):
        return _result_page("closed", 400, txn=txn, return_url=return_url)
    return _page(
        "wechatpay_cashier.html",
        txn=txn,
        amount=_yuan(txn.amount_total),
        merchant_zh=MERCHANT_NAME_ZH,
        merchant_en=MERCHANT_NAME_EN,
        return_url=return_url or "",
        action=url_for("standins_wechatpay.cashier_pay"),
    )


@wechatpay_bp.post("/cashier/pay")
@public
def cashier_pay() -> BaseResponse:
    """Pay (SUCCESS, then the notice server to server) or cancel; back to the merchant."""
    store = _store()
    txn = store.by_prepay_id(request.form.get("prepay_id", ""))
    if txn is None:
        return _result_page("unknown", 404)
    redirect_url = _redirect_url(request.form.get("redirect_url", "")) or txn.return_url
    if request.form.get("action") == "cancel":
        if redirect_url:
            return _no_store(redirect(redirect_url, code=302))
        return _result_page("cancelled", txn=txn)
    if txn.trade_state == "NOTPAY":
        if _expired(txn):
            return _result_page("closed", 400, txn=txn, return_url=redirect_url)
        now = wxpay.rfc3339(clock.now())
        payer_openid = txn.payer_openid or "o" + secrets.token_urlsafe(20)[:27]
        if store.mark_paid(
            txn.prepay_id, payer_openid=payer_openid, success_time=now, notice_create_time=now
        ):
            paid = store.by_prepay_id(txn.prepay_id)
            if paid is not None:
                deliver_notice(paid)
        txn = store.by_prepay_id(txn.prepay_id) or txn
    if txn.trade_state not in ("SUCCESS", "REFUND"):  # closed meanwhile
        return _result_page("closed", 400, txn=txn, return_url=redirect_url)
    if redirect_url:
        return _no_store(redirect(redirect_url, code=302))
    return _result_page("paid", txn=txn, amount=_yuan(txn.amount_total), return_url=None)
