"""WeChat Pay API v3 (微信支付 APIv3), merchant side: JSAPI and H5 payments, notices,
queries and refunds.

Wire format, as WeChat Pay documents it:

- Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",
  nonce_str="…",signature="…",timestamp="…",serial_no="…"`, the signature being
  base64(SHA256withRSA, PKCS#1 v1.5) with the merchant's private key over
  `"{METHOD}\\n{path?query}\\n{timestamp}\\n{nonce}\\n{body}\\n"`.
- Every response (and every notice) carries `Wechatpay-Timestamp`, `Wechatpay-Nonce`,
  `Wechatpay-Signature`, `Wechatpay-Serial`: SHA256withRSA with the platform key over
  `"{timestamp}\\n{nonce}\\n{body}\\n"`, verified with the platform public key of that
  serial. Errors are `{"code": "PARAM_ERROR", "message": "…"}` with a 4xx/5xx status.
- A payment notice's `resource` is AEAD_AES_256_GCM-encrypted with the APIv3 key
  (nonce and associated_data as UTF-8, ciphertext base64 with the 16-byte tag at its end).

Every call goes through the caller's `requests.Session` (its mounted adapters: tests
mount the stand-in there) with `timeout=config.timeout_s`. Nothing here logs or raises a
key, a signature, a notice's plaintext or a full response body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import requests
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core import clock
from app.payments.providers.base import (
    NoticeRejected,
    PaymentNotice,
    PaymentProviderError,
    PrepayRequest,
    PrepayResult,
    RefundResult,
    TradeState,
)
from app.payments.providers.wechatpay_config import (
    WeChatPayConfig,
    load_private_key,
    load_public_key,
)

log = logging.getLogger(__name__)

PROVIDER: Final = "wechatpay"
AUTH_SCHEMA: Final = "WECHATPAY2-SHA256-RSA2048"
USER_AGENT: Final = "huiminbao/0.1 (WeChatPay-APIv3; python-requests)"
NOTICE_MAX_SKEW: Final = timedelta(minutes=5)
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
CURRENCY: Final = "CNY"
H5_SCENE_TYPE: Final = "Wap"
NOTICE_SUMMARY: Final = "支付成功"

# trade_state -> TradeState.state
TRADE_STATES: Final = {
    "SUCCESS": "paid",
    "NOTPAY": "unpaid",
    "USERPAYING": "unpaid",
    "ACCEPT": "unpaid",  # 已接收，等待扣款 (payment code / deduction scenarios)
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "closed",
    "REFUND": "refunded",
}
# refund status -> RefundResult.status (CLOSED / ABNORMAL are raised as "rejected")
REFUND_STATUSES: Final = {"SUCCESS": "success", "PROCESSING": "processing"}

HEADER_TIMESTAMP: Final = "Wechatpay-Timestamp"
HEADER_NONCE: Final = "Wechatpay-Nonce"
HEADER_SIGNATURE: Final = "Wechatpay-Signature"
HEADER_SERIAL: Final = "Wechatpay-Serial"
HEADER_SIGNATURE_TYPE: Final = "Wechatpay-Signature-Type"

_NONCE_ALPHABET: Final = string.ascii_uppercase + string.digits
_AUTH_PARAM = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*(?:,|$)')


# --- signatures ----------------------------------------------------------------------------


def nonce_str(length: int = 32) -> str:
    """A random nonce of upper-case letters and digits (WeChat's shape)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def _as_bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def request_message(
    method: str, canonical_url: str, timestamp: str, nonce: str, body: str | bytes
) -> bytes:
    """What a merchant signs: `"{METHOD}\\n{path?query}\\n{timestamp}\\n{nonce}\\n{body}\\n"`."""
    head = f"{method.upper()}\n{canonical_url}\n{timestamp}\n{nonce}\n".encode()
    return head + _as_bytes(body) + b"\n"


def response_message(timestamp: str, nonce: str, body: str | bytes) -> bytes:
    """What WeChat Pay signs in a response or a notice: `"{timestamp}\\n{nonce}\\n{body}\\n"`."""
    return f"{timestamp}\n{nonce}\n".encode() + _as_bytes(body) + b"\n"


def rsa_sign(message: bytes, private_key_pem: str) -> str:
    """base64(SHA256withRSA, PKCS#1 v1.5)."""
    key = load_private_key(private_key_pem)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verify(message: bytes, signature_b64: str, public_key_pem: str) -> bool:
    """True when `signature_b64` is a valid SHA256withRSA signature of `message`."""
    if not signature_b64:
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        load_public_key(public_key_pem).verify(
            signature, message, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def canonical_url(url: str) -> str:
    """The absolute path and query of a URL as requests sends it (the signed form)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    path_url: str = prepared.path_url
    return path_url


def authorization_header(
    *,
    mch_id: str,
    serial_no: str,
    private_key_pem: str,
    method: str,
    canonical_url: str,
    body: str | bytes,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> str:
    """The `Authorization` header of an API v3 request."""
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or nonce_str()
    signature = rsa_sign(
        request_message(method, canonical_url, timestamp, nonce, body), private_key_pem
    )
    return (
        f'{AUTH_SCHEMA} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(value: str) -> dict[str, str] | None:
    """The parameters of a `WECHATPAY2-SHA256-RSA2048 k="v",…` header; None if malformed."""
    schema, _, rest = value.strip().partition(" ")
    if schema != AUTH_SCHEMA or not rest:
        return None
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _AUTH_PARAM.match(rest, pos)
        if match is None or match.end() == pos:
            return None
        params[match.group(1)] = match.group(2)
        pos = match.end()
    needed = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    return params if needed <= params.keys() else None


def signed_headers(
    body: str | bytes,
    *,
    platform_private_key_pem: str,
    platform_serial: str,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The `Wechatpay-*` headers WeChat Pay puts on a response or a notice."""
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or nonce_str()
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: rsa_sign(
            response_message(timestamp, nonce, body), platform_private_key_pem
        ),
        HEADER_SERIAL: platform_serial,
        HEADER_SIGNATURE_TYPE: AUTH_SCHEMA,
    }


def jsapi_pay_sign(
    app_id: str, timestamp: str, nonce: str, package: str, private_key_pem: str
) -> str:
    """paySign for WeixinJSBridge: SHA256withRSA over `"{appId}\\n{timeStamp}\\n{nonceStr}
    \\n{package}\\n"` with the merchant's key."""
    message = f"{app_id}\n{timestamp}\n{nonce}\n{package}\n".encode()
    return rsa_sign(message, private_key_pem)


# --- AEAD_AES_256_GCM ------------------------------------------------------------------


def aead_encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """base64(ciphertext + tag), as in a notice's `resource.ciphertext`."""
    sealed = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8")
    )
    return base64.b64encode(sealed).decode("ascii")


def aead_decrypt(apiv3_key: str, nonce: str, associated_data: str, ciphertext_b64: str) -> bytes:
    """The plaintext of a notice's `resource`; ValueError when it does not open."""
    try:
        sealed = base64.b64decode(ciphertext_b64, validate=True)
        return AESGCM(apiv3_key.encode("utf-8")).decrypt(
            nonce.encode("utf-8"), sealed, associated_data.encode("utf-8")
        )
    except (InvalidTag, binascii.Error, ValueError, UnicodeError) as exc:
        raise ValueError("the resource does not decrypt") from exc


# --- times -------------------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    """`2026-11-23T10:34:56+08:00`: WeChat Pay's time format, in Beijing time."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


# --- notices (what WeChat Pay sends; for the stand-in and tests) -------------------------


def build_notice(
    config_like: Any,
    transaction: Mapping[str, Any],
    *,
    platform_private_key_pem: str,
    platform_serial: str,
    apiv3_key: str,
    timestamp: str | int | None = None,
    nonce: str | None = None,
    event_id: str | None = None,
    create_time: str | None = None,
    event_type: str = "TRANSACTION.SUCCESS",
    summary: str = NOTICE_SUMMARY,
    associated_data: str = "transaction",
    resource_nonce: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """A payment notice exactly as WeChat Pay sends it: (headers, body).

    The transaction is encrypted with the APIv3 key into `resource` and the body signed
    with the platform key. `config_like` (anything with `mch_id` and `app_id`, or None)
    fills `mchid`/`appid` when the transaction leaves them out. A redelivery keeps the
    `event_id` and `create_time` and is signed afresh.
    """
    plain = dict(transaction)
    if config_like is not None:
        plain.setdefault("mchid", config_like.mch_id)
        plain.setdefault("appid", config_like.app_id)
    resource_nonce = resource_nonce or "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(12)
    )
    envelope = {
        "id": event_id or new_event_id(),
        "create_time": create_time or rfc3339(clock.now()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": aead_encrypt(
                apiv3_key,
                resource_nonce,
                associated_data,
                json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            ),
            "associated_data": associated_data,
            "nonce": resource_nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        **signed_headers(
            body,
            platform_private_key_pem=platform_private_key_pem,
            platform_serial=platform_serial,
            timestamp=None if timestamp is None else str(timestamp),
            nonce=nonce,
        ),
    }
    return headers, body


def new_event_id() -> str:
    """A notice id in WeChat Pay's uuid shape."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


# --- helpers -----------------------------------------------------------------------------


def _error(kind: str, code: str | None = None, detail: str = "") -> PaymentProviderError:
    return PaymentProviderError(PROVIDER, kind, code, detail=detail)


def _reject(reason: str, detail: str = "") -> NoticeRejected:
    return NoticeRejected(PROVIDER, reason, detail=detail)


def _nonempty_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def _fen(value: Any) -> int | None:
    """A non-negative integer amount (JSON numbers only, never a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _with_redirect(h5_url: str, return_url: str) -> str:
    """WeChat's documented way back from H5: `&redirect_url=<urlencoded>` appended."""
    if not return_url:
        return h5_url
    joiner = "&" if "?" in h5_url else "?"
    return f"{h5_url}{joiner}redirect_url={quote(return_url, safe='')}"


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value from any mapping, ignoring case; "" when absent."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                value = candidate
                break
    return value.strip() if isinstance(value, str) else ""


# --- the client --------------------------------------------------------------------------


class WeChatPayClient:
    """WeChat Pay API v3 for one merchant (mchid) and its official account (appid)."""

    provider: Final = PROVIDER

    def __init__(self, config: WeChatPayConfig, http: requests.Session) -> None:
        self.config = config
        self.http = http

    # --- prepay ---------------------------------------------------------------------------

    def create_prepay(self, req: PrepayRequest, *, channel: str) -> PrepayResult:
        """Place the order with WeChat Pay: `jsapi` (inside WeChat, needs the payer's
        openid) or `h5` (a phone browser outside WeChat)."""
        if channel not in ("jsapi", "h5"):
            raise ValueError(f"WeChat Pay channel must be jsapi or h5, not {channel!r}")
        if isinstance(req.amount_fen, bool) or req.amount_fen <= 0:
            raise ValueError("amount_fen must be a positive integer")
        body: dict[str, Any] = {
            "appid": self.config.app_id,
            "mchid": self.config.mch_id,
            "description": req.description,
            "out_trade_no": req.out_trade_no,
            "time_expire": rfc3339(req.expires_at),
            "notify_url": req.notify_url,
            "amount": {"total": req.amount_fen, "currency": CURRENCY},
        }
        if channel == "jsapi":
            if not req.payer_openid:
                raise ValueError("a JSAPI payment needs the payer's openid")
            body["payer"] = {"openid": req.payer_openid}
        else:
            body["scene_info"] = {
                "payer_client_ip": req.client_ip,
                "h5_info": {"type": H5_SCENE_TYPE},
            }
        data = self._call("POST", f"/v3/pay/transactions/{channel}", body, call=f"{channel} prepay")
        if channel == "jsapi":
            prepay_id = _nonempty_str(data, "prepay_id")
            if prepay_id is None:
                raise _error("invalid_response", detail="jsapi prepay: no prepay_id")
            pay_url = None
            if self.config.is_standin:  # no WeixinJSBridge outside WeChat: the fake cashier
                cashier = f"{self.config.api_base}/cashier?prepay_id={quote(prepay_id, safe='')}"
                pay_url = _with_redirect(cashier, req.return_url)
            return PrepayResult(
                provider=PROVIDER,
                out_trade_no=req.out_trade_no,
                channel="jsapi",
                pay_url=pay_url,
                jsapi_params=self.jsapi_params(prepay_id),
            )
        h5_url = _nonempty_str(data, "h5_url")
        if h5_url is None or not _is_http_url(h5_url):
            raise _error("invalid_response", detail="h5 prepay: no h5_url")
        return PrepayResult(
            provider=PROVIDER,
            out_trade_no=req.out_trade_no,
            channel="h5",
            pay_url=_with_redirect(h5_url, req.return_url),
            jsapi_params=None,
        )

    def jsapi_params(
        self, prepay_id: str, *, timestamp: str | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """What the page hands to `WeixinJSBridge.invoke("getBrandWCPayRequest", …)`."""
        timestamp = timestamp or str(int(clock.now().timestamp()))
        nonce = nonce or nonce_str()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": self.config.app_id,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": jsapi_pay_sign(
                self.config.app_id,
                timestamp,
                nonce,
                package,
                self.config.merchant_private_key_pem,
            ),
        }

    # --- notices --------------------------------------------------------------------------

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """Verify and open a payment notice (raises NoticeRejected). Replays parse to the
        same PaymentNotice: telling them apart (by event_id / out_trade_no) and comparing
        the amount with the order are the caller's job."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        timestamp = _header(headers, HEADER_TIMESTAMP)
        nonce = _header(headers, HEADER_NONCE)
        signature = _header(headers, HEADER_SIGNATURE)
        serial = _header(headers, HEADER_SERIAL)
        if not (timestamp and nonce and signature and serial):
            raise _reject("bad_signature", "Wechatpay-* headers missing")
        if serial != self.config.platform_serial:
            raise _reject("unknown_serial", f"serial {serial[:64]}")
        if not timestamp.isdigit():
            raise _reject("stale_timestamp", "timestamp is not a number")
        sent = datetime.fromtimestamp(int(timestamp), UTC)
        if abs(now - sent) > NOTICE_MAX_SKEW:
            raise _reject("stale_timestamp", f"timestamp off by {abs(now - sent)}")
        message = response_message(timestamp, nonce, body)
        if not rsa_verify(message, signature, self.config.platform_public_key_pem):
            raise _reject("bad_signature", "signature does not verify")
        envelope = _json_object(body)
        if envelope is None:
            raise _reject("bad_payload", "body is not a JSON object")
        event_id = _nonempty_str(envelope, "id")
        event_type = _nonempty_str(envelope, "event_type") or ""
        resource = envelope.get("resource")
        if event_id is None or not event_type.startswith("TRANSACTION."):
            raise _reject("bad_payload", f"not a transaction notice ({event_type[:40]})")
        if not isinstance(resource, dict) or resource.get("original_type") != "transaction":
            raise _reject("bad_payload", "no transaction resource")
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise _reject("decrypt_failed", "unknown algorithm")
        parts = [resource.get(n) for n in ("ciphertext", "associated_data", "nonce")]
        ciphertext, associated_data, resource_nonce = parts
        if not (
            isinstance(ciphertext, str)
            and isinstance(associated_data, str)
            and isinstance(resource_nonce, str)
        ):
            raise _reject("bad_payload", "resource fields missing")
        try:
            plaintext = aead_decrypt(
                self.config.apiv3_key, resource_nonce, associated_data, ciphertext
            )
        except ValueError:
            raise _reject("decrypt_failed", "resource does not decrypt") from None
        transaction = _json_object(plaintext)
        if transaction is None:
            raise _reject("bad_payload", "resource is not a JSON object")
        return self._notice(transaction, event_id)

    def _notice(self, transaction: dict[str, Any], event_id: str) -> PaymentNotice:
        mch_id = _nonempty_str(transaction, "mchid")
        app_id = _nonempty_str(transaction, "appid")
        if mch_id is None or app_id is None:
            raise _reject("bad_payload", "mchid/appid missing")
        if mch_id != self.config.mch_id:
            raise _reject("wrong_merchant", "mchid does not match")
        if app_id != self.config.app_id:
            raise _reject("wrong_app", "appid does not match")
        out_trade_no = _nonempty_str(transaction, "out_trade_no")
        trade_state = _nonempty_str(transaction, "trade_state")
        amount = transaction.get("amount")
        total = _fen(amount.get("total")) if isinstance(amount, dict) else None
        if out_trade_no is None or trade_state is None or total is None:
            raise _reject("bad_payload", "out_trade_no/trade_state/amount.total missing")
        paid = trade_state == "SUCCESS"
        transaction_id = _nonempty_str(transaction, "transaction_id")
        if paid and transaction_id is None:
            raise _reject("bad_payload", "transaction_id missing")
        return PaymentNotice(
            provider=PROVIDER,
            out_trade_no=out_trade_no,
            provider_trade_no=transaction_id or "",
            amount_fen=total,
            paid=paid,
            app_id=app_id,
            mch_id=mch_id,
            event_id=event_id,
        )

    @staticmethod
    def notice_reply(
        ok: bool, message: str = "", *, status: int = 500
    ) -> tuple[int, dict[str, str] | None]:
        """The answer to a notice: 204 without a body when taken; else a 4xx/5xx with
        `{"code": "FAIL", "message": …}` (WeChat Pay then retries: 15s, 15s, 30s, 3m …)."""
        if ok:
            return 204, None
        if not 400 <= status <= 599:
            raise ValueError("a failure reply needs a 4xx or 5xx status")
        return status, {"code": "FAIL", "message": message or "失败"}

    # --- query and refund -----------------------------------------------------------------

    def query(self, out_trade_no: str) -> TradeState:
        """The trade's state at WeChat Pay (404 ORDER_NOT_EXIST raises "rejected")."""
        path = (
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
            f"?mchid={quote(self.config.mch_id, safe='')}"
        )
        data = self._call("GET", path, None, call="query")
        trade_state = _nonempty_str(data, "trade_state")
        state = TRADE_STATES.get(trade_state or "")
        if state is None:
            raise _error("invalid_response", detail=f"query: trade_state {str(trade_state)[:20]}")
        if data.get("out_trade_no") != out_trade_no or data.get("mchid") != self.config.mch_id:
            raise _error("invalid_response", detail="query: another trade answered")
        amount = data.get("amount")
        total = _fen(amount.get("total")) if isinstance(amount, dict) else None
        return TradeState(
            out_trade_no=out_trade_no,
            state=state,
            amount_fen=total,
            provider_trade_no=_nonempty_str(data, "transaction_id"),
        )

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
    ) -> RefundResult:
        """Refund part or all of a paid trade (to the original payment method). Repeating
        the same out_refund_no returns the same refund."""
        if isinstance(refund_fen, bool) or isinstance(total_fen, bool):
            raise ValueError("amounts are integers in fen")
        if not 0 < refund_fen <= total_fen:
            raise ValueError("0 < refund_fen <= total_fen")
        body: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
        }
        if reason:
            body["reason"] = reason[:80]
        body["amount"] = {"refund": refund_fen, "total": total_fen, "currency": CURRENCY}
        data = self._call("POST", "/v3/refund/domestic/refunds", body, call="refund")
        status_text = _nonempty_str(data, "status") or ""
        if data.get("out_refund_no", out_refund_no) != out_refund_no:
            raise _error("invalid_response", detail="refund: another refund answered")
        status = REFUND_STATUSES.get(status_text)
        if status is None:
            if status_text in ("CLOSED", "ABNORMAL"):
                raise _error("rejected", status_text, detail=f"refund: status {status_text}")
            raise _error("invalid_response", detail=f"refund: status {status_text[:20]}")
        return RefundResult(
            out_refund_no=out_refund_no,
            status=status,
            provider_refund_id=_nonempty_str(data, "refund_id"),
        )

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade so it can no longer be paid (a paid one raises
        "rejected" with provider_code ORDERPAID)."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        self._call("POST", path, {"mchid": self.config.mch_id}, call="close")

    # --- the one call -------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, *, call: str
    ) -> dict[str, Any]:
        url = f"{self.config.api_base}{path}"
        payload = (
            b""
            if body is None
            else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )
        headers = {
            "Authorization": authorization_header(
                mch_id=self.config.mch_id,
                serial_no=self.config.merchant_serial,
                private_key_pem=self.config.merchant_private_key_pem,
                method=method,
                canonical_url=canonical_url(url),
                body=payload,
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            resp = self.http.request(
                method,
                url,
                data=payload if body is not None else None,
                headers=headers,
                timeout=self.config.timeout_s,
            )
        except requests.RequestException as exc:
            raise _error("unavailable", detail=f"{call}: {type(exc).__name__}") from None
        status: int = resp.status_code
        content: bytes = resp.content or b""
        if status >= 500 or status == 429:
            failure = _json_object(content) or {}
            raise _error("unavailable", _nonempty_str(failure, "code"), f"{call}: HTTP {status}")
        if 400 <= status < 500:
            failure = _json_object(content) or {}
            code = _nonempty_str(failure, "code")
            if code is None:
                raise _error("invalid_response", detail=f"{call}: HTTP {status}, not an error body")
            message = str(failure.get("message", ""))[:200]
            log.warning("wechatpay %s answered HTTP %s %s: %s", call, status, code, message)
            raise _error("rejected", code, f"{call}: HTTP {status} {message}")
        if not 200 <= status < 300:
            raise _error("invalid_response", detail=f"{call}: HTTP {status}")
        self._verify_response(resp.headers, content, call)
        if status == 204 or not content:
            return {}
        data = _json_object(content)
        if data is None:
            raise _error("invalid_response", detail=f"{call}: not a JSON object")
        return data

    def _verify_response(self, headers: Mapping[str, str], content: bytes, call: str) -> None:
        timestamp = _header(headers, HEADER_TIMESTAMP)
        nonce = _header(headers, HEADER_NONCE)
        signature = _header(headers, HEADER_SIGNATURE)
        serial = _header(headers, HEADER_SERIAL)
        if not (timestamp and nonce and signature and serial):
            raise _error("bad_signature", detail=f"{call}: unsigned response")
        if serial != self.config.platform_serial:
            raise _error("bad_signature", detail=f"{call}: unknown platform serial")
        message = response_message(timestamp, nonce, content)
        if not rsa_verify(message, signature, self.config.platform_public_key_pem):
            raise _error("bad_signature", detail=f"{call}: signature does not verify")
