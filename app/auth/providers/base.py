"""What every login provider client returns or raises.

`ProviderIdentity` is the provider's word on who logged in; `ProviderError` is the one
exception a client raises, with a `kind` the login service maps to a member-readable
answer. Neither carries a secret, a token or an authorization code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.core.provider_errors import ProviderFailure

PROVIDERS: Final = ("wechat", "alipay")
KINDS: Final = (
    "unavailable",  # down, timeout, connection error, 5xx, "system busy"
    "invalid_response",  # garbage, missing fields, bad JSON
    "bad_signature",  # a response whose signature does not verify (Alipay)
    "code_invalid",  # unknown or expired authorization code
    "code_used",  # the code was exchanged before (WeChat 40163)
    "rejected",  # any other error the provider answers with
)

_PROVIDER_NAMES: Final = {"wechat": ("WeChat", "微信"), "alipay": ("Alipay", "支付宝")}

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
    "code_invalid": (
        "This {en} authorization is no longer valid. Please log in again.",
        "本次{zh}授权已失效，请重新登录。",
    ),
    "code_used": (
        "This {en} authorization has already been used. Please log in again.",
        "本次{zh}授权已被使用，请重新登录。",
    ),
    "rejected": (
        "{en} did not accept the login. Please try again later.",
        "{zh}未能完成授权，请稍后再试。",
    ),
}


class ProviderError(ProviderFailure):
    """A login provider call failed.

    `provider_code` is the provider's own error code ("40163", "isv.code-invalid") for
    logs and tests; `detail` is a short technical note for logs (never a secret, a token,
    an authorization code or a URL with a query). Members see `message_en`/`message_zh`.
    """

    PROVIDER_NAMES = _PROVIDER_NAMES
    MESSAGES = _MESSAGES
    WHAT = "provider"


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says logged in."""

    provider: str  # "wechat" | "alipay"
    app_id: str  # the app the identity belongs to (openids are per app)
    subject: str  # WeChat openid; Alipay open_id if present, else user_id
    user_id: str | None = None  # Alipay user_id (2088…), else None
    unionid: str | None = None  # WeChat unionid, else None
    nickname: str | None = None
    avatar_url: str | None = None
    is_snapshot: bool = False  # WeChat is_snapshotuser == 1 (a moments snapshot-page visitor)
