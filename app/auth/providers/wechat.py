"""WeChat official-account web authorization (网页授权), server side.

1. The browser goes to `authorize_url(...)`; WeChat sends it back to the app's callback
   with `?code=&state=` (no code when the member refuses).
2. `fetch_identity(code)` exchanges the code at `/sns/oauth2/access_token` (authlib's
   OAuth2Session, with WeChat's quirks fixed: `appid`/`secret` in the query, errors as
   HTTP 200 `{"errcode": ...}`, no `token_type`), then, for `snsapi_userinfo`, reads
   `/sns/userinfo`.

Every call goes through the caller's `requests.Session` transport (its mounted adapters)
with `timeout=config.timeout_s`. Nothing here logs or raises a secret, a token or a code.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from app.auth.providers.base import ProviderError, ProviderIdentity
from app.auth.providers.config import WeChatConfig

log = logging.getLogger(__name__)

PROVIDER = "wechat"
AUTH_METHOD = "wechat_query"  # client authentication: appid/secret in the query string

CODE_INVALID = {40029}  # invalid code (unknown, expired, or for another app)
CODE_USED = {40163}  # code been used
UNAVAILABLE = {-1, 45009, 45011}  # system busy; API call quota / rate limit reached


def _wechat_query_auth(
    client: Any, method: str, uri: str, headers: dict[str, str], body: Any
) -> tuple[str, dict[str, str], Any]:
    """authlib client auth method: WeChat wants `?appid=&secret=&code=&grant_type=` in
    that order (not HTTP Basic, not client_id/client_secret)."""
    parts = urlsplit(uri)
    given = dict(parse_qsl(parts.query, keep_blank_values=True))
    params = [("appid", client.client_id), ("secret", client.client_secret)]
    for name in ("code", "grant_type"):
        if name in given:
            params.append((name, given.pop(name)))
    params.extend(given.items())
    return urlunsplit(parts._replace(query=urlencode(params))), headers, body


def _error(kind: str, code: Any = None, detail: str = "") -> ProviderError:
    return ProviderError(PROVIDER, kind, None if code is None else str(code), detail=detail)


def _errcode_error(data: dict[str, Any], call: str) -> ProviderError:
    code = data.get("errcode")
    try:
        number = int(str(code))
    except (TypeError, ValueError):
        number = None
    if number in CODE_INVALID:
        kind = "code_invalid"
    elif number in CODE_USED:
        kind = "code_used"
    elif number in UNAVAILABLE:
        kind = "unavailable"
    else:
        kind = "rejected"
    errmsg = str(data.get("errmsg", ""))[:200]
    log.warning("wechat %s answered errcode %s: %s", call, code, errmsg)
    return _error(kind, code, f"{call}: {errmsg}")


def _json_body(resp: requests.Response, call: str) -> dict[str, Any]:
    """The body as a JSON object, errcode bodies raised as ProviderError.

    WeChat serves JSON as `text/plain` without a charset: decode the bytes as UTF-8
    ourselves (requests would guess ISO-8859-1 and garble Chinese nicknames).
    """
    if resp.status_code >= 500 or resp.status_code == 429:
        raise _error("unavailable", resp.status_code, f"{call}: HTTP {resp.status_code}")
    try:
        data = json.loads(resp.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _error(
            "invalid_response", detail=f"{call}: HTTP {resp.status_code}, not JSON"
        ) from None
    if not isinstance(data, dict):
        raise _error("invalid_response", detail=f"{call}: not a JSON object")
    if data.get("errcode") not in (None, 0, "0"):
        raise _errcode_error(data, call)
    if resp.status_code != 200:
        raise _error("invalid_response", resp.status_code, f"{call}: HTTP {resp.status_code}")
    return data


def _token_response_hook(resp: requests.Response) -> requests.Response:
    """authlib compliance hook (access_token_response): errcode bodies become
    ProviderError; a token without `openid`/`access_token` is invalid; the missing
    `token_type` is added so authlib accepts the token."""
    data = _json_body(resp, "access_token")
    for name in ("access_token", "openid"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise _error("invalid_response", detail=f"access_token: no {name}")
    data.setdefault("token_type", "Bearer")
    resp._content = json.dumps(data).encode("utf-8")
    resp.encoding = "utf-8"
    return resp


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class WeChatClient:
    def __init__(self, config: WeChatConfig, http: requests.Session) -> None:
        self.config = config
        self.http = http

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """The page the member's browser opens (inside WeChat)."""
        if len(state.encode("utf-8")) > 128:
            raise ValueError("WeChat's state is at most 128 bytes")
        query = urlencode(
            [
                ("appid", self.config.app_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", self.config.scope),
                ("state", state),
            ],
            quote_via=quote,
        )
        return f"{self.config.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    def fetch_identity(self, code: str) -> ProviderIdentity:
        if not code:
            raise _error("code_invalid", detail="no code")
        token = self._exchange(code)
        openid: str = token["openid"]
        is_snapshot = str(token.get("is_snapshotuser", "0")) == "1"
        unionid = _optional_str(token.get("unionid"))
        nickname = avatar_url = None
        granted = str(token.get("scope", "")).replace(" ", ",").split(",")
        # a snapshot-page visitor has only a virtual openid and cannot grant userinfo
        if self.config.scope == "snsapi_userinfo" and "snsapi_userinfo" in granted:
            if not is_snapshot:
                info = self._userinfo(str(token["access_token"]), openid)
                nickname = _optional_str(info.get("nickname"))
                avatar_url = _optional_str(info.get("headimgurl"))
                unionid = unionid or _optional_str(info.get("unionid"))
        return ProviderIdentity(
            provider=PROVIDER,
            app_id=self.config.app_id,
            subject=openid,
            user_id=None,
            unionid=unionid,
            nickname=nickname,
            avatar_url=avatar_url,
            is_snapshot=is_snapshot,
        )

    # --- calls ---------------------------------------------------------------------------

    def _oauth_session(self) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.config.app_id,
            client_secret=self.config.app_secret,
            token_endpoint_auth_method=AUTH_METHOD,
            default_timeout=self.config.timeout_s,
        )
        session.register_client_auth_method((AUTH_METHOD, _wechat_query_auth))
        session.register_compliance_hook("access_token_response", _token_response_hook)
        # the caller's transport: its adapters (tests mount the stand-in there), proxies,
        # TLS settings and headers. The adapters stay the caller's: never close them here.
        for prefix, adapter in self.http.adapters.items():
            session.mount(prefix, adapter)
        session.headers.update(self.http.headers)
        session.proxies = dict(self.http.proxies)
        session.verify = self.http.verify
        session.cert = self.http.cert
        session.trust_env = self.http.trust_env
        return session

    def _exchange(self, code: str) -> dict[str, Any]:
        session = self._oauth_session()
        try:
            token = session.fetch_token(
                f"{self.config.api_base}/sns/oauth2/access_token",
                method="GET",
                grant_type="authorization_code",
                code=code,
                timeout=self.config.timeout_s,
            )
        except ProviderError:
            raise
        except requests.RequestException as exc:
            # the exception's text holds the URL, secret included: never chain or log it
            raise _error("unavailable", detail=f"access_token: {type(exc).__name__}") from None
        except (OAuthError, ValueError, KeyError) as exc:
            raise _error("invalid_response", detail=f"access_token: {type(exc).__name__}") from None
        return dict(token)

    def _userinfo(self, access_token: str, openid: str) -> dict[str, Any]:
        try:
            resp = self.http.get(
                f"{self.config.api_base}/sns/userinfo",
                params={"access_token": access_token, "openid": openid, "lang": "zh_CN"},
                timeout=self.config.timeout_s,
            )
        except requests.RequestException as exc:
            raise _error("unavailable", detail=f"userinfo: {type(exc).__name__}") from None
        info = _json_body(resp, "userinfo")
        if info.get("openid") != openid:
            raise _error("invalid_response", detail="userinfo: openid does not match")
        return info
