"""Alipay mobile-website payment (手机网站支付, `alipay.trade.wap.pay`), server side.

1. `create_prepay` builds the cashier URL: `{gateway}?<signed request, URL-encoded>` (the
   GET form of the page-pay request). No server call is made; Alipay creates the trade
   when the member opens that page.
2. Alipay POSTs the async notice (`trade_status_sync`) to `notify_url`: `parse_notice`
   verifies its RSA2 signature with Alipay's public key and reads it; the view answers
   with `notice_reply(...)` (exactly `success`, else Alipay retries).
3. `query` (`alipay.trade.query`), `refund` (`alipay.trade.refund`) and `refund_query`
   (`alipay.trade.fastpay.refund.query`) are signed gateway calls whose answers are
   verified over their raw JSON text.

The gateway plumbing (common parameters, signing, response verification, error mapping)
is the login client's (`app.auth.providers.alipay.AlipayClient`): Alipay uses one app
and one key pair for login and payments. Its `ProviderError` is translated to
`PaymentProviderError` here. Money is integer fen; yuan strings are written from fen
without floats. Nothing here logs or raises a key, a signature or a notice body.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import requests

from app.auth.providers import alipay_sign
from app.auth.providers.alipay import AlipayClient
from app.auth.providers.base import ProviderError
from app.auth.providers.config import AlipayConfig
from app.core.money import MoneyError, yuan_to_fen
from app.payments.providers.base import (
    NoticeRejected,
    PaymentNotice,
    PaymentProviderError,
    PrepayRequest,
    PrepayResult,
    RefundResult,
    TradeState,
)

log = logging.getLogger(__name__)

PROVIDER = "alipay"
TIMEZONE = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

WAP_PAY_METHOD = "alipay.trade.wap.pay"
QUERY_METHOD = "alipay.trade.query"
REFUND_METHOD = "alipay.trade.refund"
REFUND_QUERY_METHOD = "alipay.trade.fastpay.refund.query"
RETURN_METHOD = "alipay.trade.wap.pay.return"  # the `method` of the browser's return
PRODUCT_CODE = "QUICK_WAP_WAY"
NOTIFY_TYPE = "trade_status_sync"
SUBJECT_MAX = 256  # Alipay's limit on `subject`

PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
TRADE_STATES = {
    "WAIT_BUYER_PAY": "unpaid",
    "TRADE_SUCCESS": "paid",
    "TRADE_FINISHED": "paid",
    "TRADE_CLOSED": "closed",  # unpaid and timed out, or paid and refunded in full
}
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
# "system error, retry with the same parameters": a failure of the call, not an answer
RETRY_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"})

# "129.00", "0.01", "100": what Alipay writes in amounts (no sign, exponent or spaces)
_AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")


# --- money on the wire ---------------------------------------------------------------


def fen_to_amount(fen: int) -> str:
    """Integer fen -> Alipay's yuan amount with two decimals: 12900 -> "129.00"."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"not an amount in fen: {fen!r}")
    yuan, part = divmod(fen, 100)
    return f"{yuan}.{part:02d}"


def amount_to_fen(text: Any) -> int:
    """Alipay's yuan amount ("129.00") -> integer fen; MoneyError when malformed."""
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise MoneyError(f"not an Alipay amount: {text!r}")
    return yuan_to_fen(text)


def _alipay_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a naive datetime: give an aware one")
    return value.astimezone(TIMEZONE).strftime(TIME_FORMAT)


def _biz_content(values: Mapping[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


# --- errors ----------------------------------------------------------------------------


def _error(kind: str, code: str | None = None, detail: str = "") -> PaymentProviderError:
    return PaymentProviderError(PROVIDER, kind, code, detail=detail)


def _translate(exc: ProviderError) -> PaymentProviderError:
    """The login client's gateway error as a payment error (same kinds; a login-only
    kind such as code_invalid is a rejection here)."""
    kind = exc.kind if exc.kind in ("unavailable", "invalid_response", "bad_signature") else ""
    if not kind:
        kind = "unavailable" if exc.provider_code in RETRY_CODES else "rejected"
    return _error(kind, exc.provider_code, exc.detail)


def _notice_rejected(reason: str, detail: str) -> NoticeRejected:
    log.warning("alipay notice rejected: %s (%s)", reason, detail)
    return NoticeRejected(PROVIDER, reason, detail=detail)


# --- signing helpers shared with the stand-in and the tests ----------------------------


def build_notice(fields: Mapping[str, str], *, alipay_private_key_pem: str) -> dict[str, str]:
    """A notice (or a browser return) signed as Alipay signs it: `sign_type=RSA2` added
    unless given, `sign` over the other fields sorted by key, leaving out `sign` and
    `sign_type` and empty values, unencoded."""
    notice = {k: v for k, v in fields.items() if k != "sign"}
    notice.setdefault("sign_type", "RSA2")
    content = alipay_sign.signing_string(notice, exclude=alipay_sign.NOTIFY_EXCLUDE)
    notice["sign"] = alipay_sign.sign_text(content, alipay_private_key_pem)
    return notice


def verify_notice_params(params: Mapping[str, str], alipay_public_key_pem: str) -> bool:
    """True when a notice's (or a return's) RSA2 signature is Alipay's."""
    if params.get("sign_type") != "RSA2":
        return False
    return alipay_sign.verify_params(
        params, alipay_public_key_pem, exclude=alipay_sign.NOTIFY_EXCLUDE
    )


# --- the client ------------------------------------------------------------------------


class AlipayPayClient:
    def __init__(self, config: AlipayConfig, http: requests.Session) -> None:
        self.config = config
        self.http = http
        self.gateway = AlipayClient(config, http)

    # --- the cashier page --------------------------------------------------------------

    def create_prepay(self, req: PrepayRequest) -> PrepayResult:
        """The wap cashier URL for the order (channel "wap"); nothing is sent."""
        if req.amount_fen <= 0:
            raise ValueError("a payment needs a positive amount")
        biz = {
            "out_trade_no": req.out_trade_no,
            "total_amount": fen_to_amount(req.amount_fen),
            "subject": req.description[:SUBJECT_MAX],
            "product_code": PRODUCT_CODE,
            "time_expire": _alipay_time(req.expires_at),
            "quit_url": req.return_url,
        }
        params = self.gateway.request_params(
            WAP_PAY_METHOD,
            {
                "notify_url": req.notify_url,
                "return_url": req.return_url,
                "biz_content": _biz_content(biz),
            },
        )
        separator = "&" if "?" in self.config.gateway else "?"
        query = urlencode(list(params.items()), quote_via=quote)
        return PrepayResult(
            provider=PROVIDER,
            out_trade_no=req.out_trade_no,
            channel="wap",
            pay_url=f"{self.config.gateway}{separator}{query}",
            jsapi_params=None,
        )

    # --- the async notice --------------------------------------------------------------

    def parse_notice(self, form: Mapping[str, str]) -> PaymentNotice:
        """A verified notice from the (already URL-decoded) form; NoticeRejected if it
        is not Alipay's, not for this app, or not readable. The same notice twice gives
        the same result (the caller dedupes on `event_id` and the order's state)."""
        params = {key: form[key] for key in form}
        if not verify_notice_params(params, self.config.alipay_public_key_pem):
            raise _notice_rejected("bad_signature", "sign does not verify")
        if params.get("app_id") != self.config.app_id:
            raise _notice_rejected("wrong_app", "app_id is not ours")
        missing = [
            name
            for name in ("notify_id", "out_trade_no", "trade_no", "trade_status", "total_amount")
            if not params.get(name)
        ]
        if missing:
            raise _notice_rejected("bad_payload", f"missing {', '.join(missing)}")
        if params.get("notify_type", NOTIFY_TYPE) != NOTIFY_TYPE:
            raise _notice_rejected("bad_payload", "notify_type is not trade_status_sync")
        try:
            amount_fen = amount_to_fen(params["total_amount"])
        except MoneyError:
            raise _notice_rejected("bad_payload", "total_amount is not an amount") from None
        status = params["trade_status"]
        if status not in TRADE_STATES:
            raise _notice_rejected("bad_payload", f"unknown trade_status {status[:32]}")
        return PaymentNotice(
            provider=PROVIDER,
            out_trade_no=params["out_trade_no"],
            provider_trade_no=params["trade_no"],
            amount_fen=amount_fen,
            paid=status in PAID_STATUSES,
            app_id=params["app_id"],
            mch_id=params.get("seller_id") or None,
            event_id=params["notify_id"],
        )

    @staticmethod
    def notice_reply(ok: bool) -> tuple[int, str]:
        """The answer to the notice POST: exactly `success` stops Alipay's retries;
        anything else (here `failure` with 400) makes it send the notice again."""
        return (200, "success") if ok else (400, "failure")

    def verify_return(self, args: Mapping[str, str]) -> bool:
        """True when the browser's return parameters carry Alipay's signature. A return
        is not proof of payment (only the notice or a query is): use it to show a page."""
        params = {key: args[key] for key in args}
        return (
            params.get("app_id") == self.config.app_id
            and params.get("method") == RETURN_METHOD
            and verify_notice_params(params, self.config.alipay_public_key_pem)
        )

    # --- gateway calls -----------------------------------------------------------------

    def _call(self, method: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.gateway.call(method, {"biz_content": _biz_content(biz)})
        except ProviderError as exc:
            raise _translate(exc) from None

    def query(self, out_trade_no: str) -> TradeState:
        """Alipay's state of the trade; "unpaid" when Alipay has no trade yet (the member
        never opened the cashier)."""
        try:
            body = self.gateway.call(
                QUERY_METHOD, {"biz_content": _biz_content({"out_trade_no": out_trade_no})}
            )
        except ProviderError as exc:
            if exc.provider_code == NOT_EXIST:
                return TradeState(out_trade_no, "unpaid", None, None)
            raise _translate(exc) from None
        if body.get("out_trade_no", out_trade_no) != out_trade_no:
            raise _error("invalid_response", detail=f"{QUERY_METHOD}: another trade")
        state = TRADE_STATES.get(str(body.get("trade_status", "")))
        if state is None:
            raise _error("invalid_response", detail=f"{QUERY_METHOD}: unknown trade_status")
        amount = body.get("total_amount")
        try:
            amount_fen = amount_to_fen(amount) if amount is not None else None
        except MoneyError:
            raise _error("invalid_response", detail=f"{QUERY_METHOD}: bad total_amount") from None
        trade_no = body.get("trade_no")
        return TradeState(
            out_trade_no=out_trade_no,
            state=state,
            amount_fen=amount_fen,
            provider_trade_no=trade_no if isinstance(trade_no, str) and trade_no else None,
        )

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
    ) -> RefundResult:
        """Refund `refund_fen` of the trade. `out_refund_no` is Alipay's `out_request_no`:
        send the same one again to retry safely. Alipay answers a retry of a refund it
        already made with `fund_change: "N"`: that is "processing" here; confirm with
        `refund_query`. `total_fen` is checked locally only (Alipay does not take it)."""
        if not 0 < refund_fen <= total_fen:
            raise ValueError("a refund is positive and at most the trade's total")
        body = self._call(
            REFUND_METHOD,
            {
                "out_trade_no": out_trade_no,
                "refund_amount": fen_to_amount(refund_fen),
                "out_request_no": out_refund_no,
                "refund_reason": reason,
            },
        )
        if body.get("out_trade_no", out_trade_no) != out_trade_no:
            raise _error("invalid_response", detail=f"{REFUND_METHOD}: another trade")
        fund_change = body.get("fund_change")
        if fund_change not in ("Y", "N"):
            raise _error("invalid_response", detail=f"{REFUND_METHOD}: no fund_change")
        return RefundResult(
            out_refund_no=out_refund_no,
            status="success" if fund_change == "Y" else "processing",
            provider_refund_id=None,  # Alipay names a refund by our out_request_no only
        )

    def refund_query(self, out_trade_no: str, out_refund_no: str) -> RefundResult | None:
        """The refund's state; None when Alipay has no such refund (send it again)."""
        body = self._call(
            REFUND_QUERY_METHOD,
            {
                "out_trade_no": out_trade_no,
                "out_request_no": out_refund_no,
                "query_options": ["gmt_refund_pay"],
            },
        )
        if not body.get("refund_amount"):
            return None
        status = body.get("refund_status")
        # refund_status is present for refunds that went through (older answers omit it)
        done = status in (None, "REFUND_SUCCESS")
        return RefundResult(
            out_refund_no=out_refund_no,
            status="success" if done else "processing",
            provider_refund_id=None,
        )
