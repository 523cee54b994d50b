"""What every payment provider client takes, returns or raises.

`PaymentProviderError` is the one exception a client raises when a call to the provider
fails, with a `kind` the payment service maps to a member-readable answer.
`NoticeRejected` is raised for an incoming payment notice (WeChat Pay callback, Alipay
async notify) that must not be trusted. Money is integer fen; no value here carries a
key, a signature or a full provider body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.core.provider_errors import ProviderFailure

PROVIDERS: Final = ("wechatpay", "alipay")

KINDS: Final = (
    "unavailable",  # down, timeout, connection error, 5xx, "system busy"
    "invalid_response",  # garbage, missing fields, bad JSON
    "bad_signature",  # a response whose signature does not verify (or unknown serial)
    "rejected",  # any error the provider answers with (4xx, PARAM_ERROR, ...)
)

NOTICE_REASONS: Final = (
    "bad_signature",
    "unknown_serial",
    "stale_timestamp",
    "bad_payload",
    "decrypt_failed",
    "wrong_merchant",
    "wrong_app",
)

CHANNELS: Final = ("jsapi", "h5", "wap")
TRADE_STATES: Final = ("paid", "unpaid", "closed", "refunded")
REFUND_STATUSES: Final = ("processing", "success")

_PROVIDER_NAMES: Final = {
    "wechatpay": ("WeChat Pay", "微信支付"),
    "alipay": ("Alipay", "支付宝"),
}

# (English, Chinese) templates; {en}/{zh} are the provider's name.
_MESSAGES: Final = {
    "unavailable": (
        "{en} is not responding right now. Please try again in a moment.",
        "{zh}暂时无法响应，请稍后再试。",
    ),
    "invalid_response": (
        "{en} sent a reply we could not read. Please try again.",
        "{zh}返回的结果无法识别，请重试。",
    ),
    "bad_signature": (
        "The reply from {en} could not be verified. Please try again.",
        "{zh}返回的结果未通过验签，请重试。",
    ),
    "rejected": (
        "{en} did not accept the payment request. Please try again later.",
        "{zh}未能受理本次支付请求，请稍后再试。",
    ),
}


class PaymentProviderError(ProviderFailure):
    """A call to a payment provider failed.

    `provider_code` is the provider's own error code ("PARAM_ERROR",
    "ACQ.TRADE_HAS_SUCCESS") for logs and tests; `detail` is a short technical note for
    logs (never a key, a signature or a full body). Members see `message_en`/`message_zh`.
    """

    PROVIDER_NAMES = _PROVIDER_NAMES
    MESSAGES = _MESSAGES
    WHAT = "payment provider"


class NoticeRejected(Exception):
    """An incoming payment notice we must not trust; answer the provider with a failure.

    `reason` is one of NOTICE_REASONS; `detail` is a short note for logs (never a key or
    the notice body).
    """

    def __init__(self, provider: str, reason: str, *, detail: str = "") -> None:
        if provider not in _PROVIDER_NAMES:
            raise ValueError(f"unknown payment provider {provider!r}")
        if reason not in NOTICE_REASONS:
            raise ValueError(f"unknown notice rejection reason {reason!r}")
        self.provider = provider
        self.reason = reason
        self.detail = detail
        text = f"{provider} notice rejected: {reason}"
        if detail:
            text += f": {detail}"
        super().__init__(text)


@dataclass(frozen=True)
class PrepayRequest:
    """What the app asks a provider to prepare a payment for."""

    out_trade_no: str  # our order number, unique per merchant
    amount_fen: int
    description: str
    notify_url: str  # where the provider posts the payment notice
    return_url: str  # where the browser goes after paying (H5/wap)
    expires_at: datetime  # aware
    payer_openid: str | None = None  # WeChat JSAPI inside WeChat
    client_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class PrepayResult:
    """Where to send the member's browser (or what to hand to WeixinJSBridge)."""

    provider: str  # "wechatpay" | "alipay"
    out_trade_no: str
    channel: str  # "jsapi" | "h5" | "wap"
    pay_url: str | None  # the browser goes here (H5 / Alipay wap / the stand-in cashier)
    # appId, timeStamp, nonceStr, package, signType, paySign for WeixinJSBridge
    jsapi_params: dict[str, str] | None


@dataclass(frozen=True)
class PaymentNotice:
    """A verified payment notice. The caller compares the amount with the order."""

    provider: str
    out_trade_no: str
    provider_trade_no: str  # WeChat transaction_id / Alipay trade_no
    amount_fen: int
    paid: bool  # SUCCESS / TRADE_SUCCESS / TRADE_FINISHED
    app_id: str
    mch_id: str | None
    event_id: str  # WeChat notice id / Alipay notify_id


@dataclass(frozen=True)
class TradeState:
    """The provider's word on a trade, from an active query."""

    out_trade_no: str
    state: str  # "paid" | "unpaid" | "closed" | "refunded"
    amount_fen: int | None
    provider_trade_no: str | None


@dataclass(frozen=True)
class RefundResult:
    """The provider's answer to a refund request."""

    out_refund_no: str
    status: str  # "processing" | "success"
    provider_refund_id: str | None
