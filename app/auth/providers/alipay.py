"""Alipay H5 user authorization (用户信息授权), server side.

1. The browser goes to `authorize_url(...)`; Alipay sends it back to the app's callback
   with `?auth_code=&state=&app_id=&source=alipay_wallet&scope=`.
2. `fetch_identity(auth_code)` calls the gateway method `alipay.system.oauth.token`
   (an RSA2-signed form POST), verifies the response's signature over the raw JSON text
   of `alipay_system_oauth_token_response`, then, for `auth_user`, calls
   `alipay.user.info.share` with the access token the same way.

Every call goes through the caller's `requests.Session` with `timeout=config.timeout_s`.
Nothing here logs or raises a private key, a token or an auth code.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import requests

from app.auth.providers import alipay_sign
from app.auth.providers.base import ProviderError, ProviderIdentity
from app.auth.providers.config import AlipayConfig
from app.core import clock

log = logging.getLogger(__name__)

PROVIDER = "alipay"
TIMEZONE = ZoneInfo("Asia/Shanghai")
TOKEN_METHOD = "alipay.system.oauth.token"  # noqa: S105 - a method name, not a secret
USER_INFO_METHOD = "alipay.user.info.share"
SUCCESS = "10000"
CODE_INVALID = {"isv.code-invalid"}
UNAVAILABLE_CODES = {"20000"}  # "Service Currently Unavailable" (isp.unknow-error)


def _error(kind: str, code: str | None = None, detail: str = "") -> ProviderError:
    return ProviderError(PROVIDER, kind, code, detail=detail)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def response_key(method: str) -> str:
    """alipay.system.oauth.token -> alipay_system_oauth_token_response"""
    return method.replace(".", "_") + "_response"


def _business_error(body: dict[str, Any], method: str) -> ProviderError:
    code = str(body.get("code", ""))
    sub_code = _optional_str(body.get("sub_code"))
    if sub_code in CODE_INVALID:
        kind = "code_invalid"
    elif code in UNAVAILABLE_CODES:
        kind = "unavailable"
    else:
        kind = "rejected"
    # sub_msg may echo the request (e.g. the signing string): log only the codes
    log.warning("alipay %s answered code %s sub_code %s", method, code, sub_code)
    return _error(kind, sub_code or code or None, f"{method}: {code} {body.get('msg', '')}")


class AlipayClient:
    def __init__(self, config: AlipayConfig, http: requests.Session) -> None:
        self.config = config
        self.http = http

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """The page the member's browser opens (inside the Alipay app)."""
        query = urlencode(
            [
                ("app_id", self.config.app_id),
                ("scope", self.config.scope),
                ("redirect_uri", redirect_uri),
                ("state", state),
            ],
            quote_via=quote,
        )
        return f"{self.config.auth_base}/oauth2/publicAppAuthorize.htm?{query}"

    def fetch_identity(self, auth_code: str) -> ProviderIdentity:
        if not auth_code:
            raise _error("code_invalid", detail="no auth_code")
        token = self.call(TOKEN_METHOD, {"grant_type": "authorization_code", "code": auth_code})
        user_id = _optional_str(token.get("user_id"))
        open_id = _optional_str(token.get("open_id"))
        access_token = _optional_str(token.get("access_token"))
        if not (user_id or open_id) or not access_token:
            raise _error("invalid_response", detail=f"{TOKEN_METHOD}: no user or no token")
        nickname = avatar_url = None
        if "auth_user" in self.config.scope.split(","):
            info = self.call(USER_INFO_METHOD, {"auth_token": access_token})
            for name, expected in (("user_id", user_id), ("open_id", open_id)):
                got = _optional_str(info.get(name))
                if expected and got and got != expected:
                    raise _error("invalid_response", detail=f"{USER_INFO_METHOD}: other {name}")
            nickname = _optional_str(info.get("nick_name"))
            avatar_url = _optional_str(info.get("avatar"))
        return ProviderIdentity(
            provider=PROVIDER,
            app_id=self.config.app_id,
            subject=open_id or user_id or "",
            user_id=user_id,
            unionid=None,
            nickname=nickname,
            avatar_url=avatar_url,
            is_snapshot=False,
        )

    # --- the gateway ---------------------------------------------------------------------

    def request_params(self, method: str, extra: dict[str, str]) -> dict[str, str]:
        """Common parameters + the method's, signed."""
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": clock.now().astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            **extra,
        }
        params["sign"] = alipay_sign.sign_params(params, self.config.app_private_key_pem)
        return params

    def call(self, method: str, extra: dict[str, str]) -> dict[str, Any]:
        """Call a gateway method; the verified `<method>_response` object on success."""
        separator = "&" if "?" in self.config.gateway else "?"
        url = f"{self.config.gateway}{separator}charset=utf-8"
        try:
            resp = self.http.post(
                url, data=self.request_params(method, extra), timeout=self.config.timeout_s
            )
        except requests.RequestException as exc:
            raise _error("unavailable", detail=f"{method}: {type(exc).__name__}") from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _error("unavailable", str(resp.status_code), f"{method}: HTTP {resp.status_code}")
        # the gateway answers `text/html;charset=utf-8`: decode the bytes ourselves
        try:
            text = resp.content.decode("utf-8")
            part = alipay_sign.split_response(text, response_key(method))
        except (UnicodeDecodeError, ValueError):
            raise _error(
                "invalid_response", detail=f"{method}: HTTP {resp.status_code}, not JSON"
            ) from None
        if part is None or not isinstance(part.value, dict):
            raise _error("invalid_response", detail=f"{method}: no response object")
        body: dict[str, Any] = part.value
        signed = part.sign is not None and alipay_sign.verify(
            part.content, part.sign, self.config.alipay_public_key_pem
        )
        if part.key == "error_response":
            # like Alipay's SDKs, an unsigned error is still an error (e.g. unknown app_id
            # leaves the gateway without a key to sign with); a signed one must verify
            if part.sign is not None and not signed:
                raise _error("bad_signature", detail=f"{method}: error_response")
            raise _business_error(body, method)
        if not signed:
            raise _error("bad_signature", detail=f"{method}: response")
        if "code" in body and str(body["code"]) != SUCCESS:
            raise _business_error(body, method)
        return body
