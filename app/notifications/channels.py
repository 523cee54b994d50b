"""Channels that carry a message-centre entry beyond the app (NOTIFY_CHANNEL).

    logging  LoggingChannel: one log line per message (member id, kind, title), the default
    wechat   WeChatSubscribeChannel: a WeChat subscription notification (订阅通知) of the
             official account the members log in with

A channel is called after the request's transaction has committed, with a `Recipient`
(who, and where they can be reached) and an `Outgoing` (a snapshot of the message; no
ORM object crosses the commit). It raises `ChannelError` when the message could not be
delivered; a member who cannot be reached on the channel (no WeChat login, refused the
subscription) is logged and skipped, not an error. Nothing here logs a name, an ID
number, a message body, an openid, an access token or the app secret.

No SMS channel: the service stores no phone numbers (members log in with WeChat or
Alipay), so there is nobody to text.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import requests

from app.core import clock
from app.rules.terms import Text

log = logging.getLogger(__name__)

CHANNELS = ("logging", "wechat")


class ChannelError(Exception):
    """A message could not be delivered. `code` is the provider's error code (for logs and
    tests); the text never holds a secret, a token, an openid or the message itself."""

    def __init__(self, channel: str, detail: str, code: str | None = None) -> None:
        self.channel = channel
        self.detail = detail
        self.code = code
        super().__init__(f"{channel}: {detail}" + (f" (errcode {code})" if code else ""))


class ChannelConfigError(ValueError):
    """NOTIFY_CHANNEL names a channel whose settings are missing (names the setting only)."""


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: a snapshot of a message-centre entry."""

    id: str
    member_id: str
    kind: str
    claim_id: str | None
    title: Text
    body: Text
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    """The member, and their WeChat openids by official-account app id (an openid is
    only valid at the app that issued it)."""

    member_id: str
    wechat_openids: Mapping[str, str] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, recipient: Recipient, message: Outgoing) -> None:
        """Deliver the message, or raise ChannelError."""


# --- logging ---------------------------------------------------------------------------


class LoggingChannel:
    """The default: a log line per message. Member id, kind, claim id and the English
    title only (titles name a status, never a person); never the body."""

    name = "logging"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or log

    def send(self, recipient: Recipient, message: Outgoing) -> None:
        self.log.info(
            "notification %s kind=%s member=%s claim=%s title=%r",
            message.id,
            message.kind,
            recipient.member_id,
            message.claim_id or "-",
            message.title.en,
        )


# --- WeChat subscription notifications -------------------------------------------------

THING_MAX = 20  # WeChat: a `thing` value is at most 20 characters
TIME_ZONE = ZoneInfo("Asia/Shanghai")  # WeChat shows the time as sent: China's local time
TOKEN_MARGIN_S = 300  # refresh the access token this long before WeChat says it expires
TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid / not latest / expired token
NOT_SUBSCRIBED = frozenset({43101})  # the member has not accepted (or has refused) it


def clip(value: str, limit: int = THING_MAX) -> str:
    """One line of at most `limit` characters (an ellipsis marks a cut)."""
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wechat_body(resp: requests.Response, call: str) -> dict[str, Any]:
    """WeChat's JSON (served as text/plain, UTF-8 without a charset), or ChannelError."""
    if resp.status_code != 200:
        raise ChannelError("wechat", f"{call}: HTTP {resp.status_code}")
    try:
        data = json.loads(resp.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ChannelError("wechat", f"{call}: not JSON") from None
    if not isinstance(data, dict):
        raise ChannelError("wechat", f"{call}: not a JSON object")
    return data


def _errcode(data: Mapping[str, Any]) -> int:
    try:
        return int(str(data.get("errcode", 0)))
    except (TypeError, ValueError):
        return -1


def _errmsg(data: Mapping[str, Any]) -> str:
    return str(data.get("errmsg", ""))[:200]


class WeChatSubscribeChannel:
    """Sends a subscription notification through the official account's API:

        GET  {api_base}/cgi-bin/token?grant_type=client_credential&appid=&secret=
        POST {api_base}/cgi-bin/message/subscribe/bizsend?access_token=
             {"touser": openid, "template_id": ..., "page": url, "data": {"thing1": {"value"}...}}

    Members log in through the official account's web authorization, so their openids are
    the official account's: its send API is `bizsend` (the mini-program API
    `/cgi-bin/message/subscribe/send` would refuse them with 40003). The template has the
    keywords `thing1` (the title), `thing2` (the body, cut to 20 characters) and `time3`
    (when, Asia/Shanghai); `page` (where a tap leads) is the app's page for the claim, or
    the message centre, and is left out when PUBLIC_BASE_URL is not set.

    The access token is kept (per process) until TOKEN_MARGIN_S before `expires_in`; an
    answer saying it is invalid or expired (40001, 40014, 42001, e.g. another process
    fetched a newer one) fetches a new one and sends once more.
    """

    name = "wechat"
    TOKEN_PATH = "/cgi-bin/token"  # noqa: S105 - a URL path, not a password
    SEND_PATH = "/cgi-bin/message/subscribe/bizsend"
    FIELDS = {"title": "thing1", "body": "thing2", "time": "time3"}

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        api_base: str,
        template_id: str,
        page_base: str = "",
        timeout_s: float = 5.0,
        http: Callable[[], requests.Session] | None = None,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self.api_base = api_base.rstrip("/")
        self.template_id = template_id
        self.page_base = page_base.rstrip("/")
        self.timeout_s = timeout_s
        self._http = http
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_until: datetime | None = None

    def __repr__(self) -> str:  # never the secret or the token
        return f"WeChatSubscribeChannel(app_id={self.app_id!r}, api_base={self.api_base!r})"

    # --- what is sent --------------------------------------------------------------------

    def page(self, message: Outgoing) -> str | None:
        if not self.page_base:
            return None
        if message.claim_id:
            return f"{self.page_base}/#/claims/{message.claim_id}"
        return f"{self.page_base}/#/messages"

    def payload(self, openid: str, message: Outgoing) -> dict[str, Any]:
        when = message.created_at.astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")
        body: dict[str, Any] = {"touser": openid, "template_id": self.template_id}
        page = self.page(message)
        if page:
            body["page"] = page
        body["data"] = {
            self.FIELDS["title"]: {"value": clip(message.title.zh)},
            self.FIELDS["body"]: {"value": clip(message.body.zh)},
            self.FIELDS["time"]: {"value": when},
        }
        return body

    # --- sending -------------------------------------------------------------------------

    def send(self, recipient: Recipient, message: Outgoing) -> None:
        openid = recipient.wechat_openids.get(self.app_id)
        if not openid:
            log.info(
                "notification %s: member %s has no WeChat login at this app, not sent",
                message.id,
                recipient.member_id,
            )
            return
        payload = json.dumps(self.payload(openid, message), ensure_ascii=False).encode("utf-8")
        http = self._session()
        try:
            data = self._post(http, payload, self._access_token(http, refresh=False))
            if _errcode(data) in TOKEN_INVALID:
                log.info(
                    "wechat access token refused (errcode %s): fetching a new one", _errcode(data)
                )
                data = self._post(http, payload, self._access_token(http, refresh=True))
        finally:
            http.close()
        code = _errcode(data)
        if code in NOT_SUBSCRIBED:
            log.info(
                "notification %s: member %s has not accepted the subscription, not sent",
                message.id,
                recipient.member_id,
            )
            return
        if code != 0:
            if code in TOKEN_INVALID:
                self._forget_token()
            raise ChannelError("wechat", f"bizsend: {_errmsg(data)}", str(code))
        log.info(
            "notification %s kind=%s member=%s sent by WeChat (msgid %s)",
            message.id,
            message.kind,
            recipient.member_id,
            data.get("msgid", "-"),
        )

    def _session(self) -> requests.Session:
        if self._http is not None:
            return self._http()
        from app.core.http import provider_session

        return provider_session()

    def _post(self, http: requests.Session, payload: bytes, token: str) -> dict[str, Any]:
        try:
            resp = http.post(
                f"{self.api_base}{self.SEND_PATH}",
                params={"access_token": token},
                data=payload,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            # the exception's text holds the URL, token included: never chain or log it
            raise ChannelError("wechat", f"bizsend: {type(exc).__name__}") from None
        return _wechat_body(resp, "bizsend")

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None
            self._token_until = None

    def _access_token(self, http: requests.Session, *, refresh: bool) -> str:
        with self._lock:
            now = clock.now()
            if (
                not refresh
                and self._token
                and self._token_until is not None
                and now < self._token_until
            ):
                return self._token
            self._token = None
            self._token_until = None
            try:
                resp = http.get(
                    f"{self.api_base}{self.TOKEN_PATH}",
                    params=[
                        ("grant_type", "client_credential"),
                        ("appid", self.app_id),
                        ("secret", self._secret),
                    ],
                    timeout=self.timeout_s,
                )
            except requests.RequestException as exc:
                # the URL holds the secret: never chain or log the exception
                raise ChannelError("wechat", f"token: {type(exc).__name__}") from None
            data = _wechat_body(resp, "token")
            if _errcode(data) != 0:
                raise ChannelError("wechat", f"token: {_errmsg(data)}", str(_errcode(data)))
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise ChannelError("wechat", "token: no access_token")
            try:
                expires_in = int(data.get("expires_in", 0))
            except (TypeError, ValueError):
                expires_in = 0
            keep = max(expires_in - TOKEN_MARGIN_S, expires_in // 2, 0)
            self._token = token
            self._token_until = now + timedelta(seconds=keep)
            return token


# --- from the settings -----------------------------------------------------------------


def channel_from_settings(
    settings: Any, *, http: Callable[[], requests.Session] | None = None
) -> Channel:
    """The channel NOTIFY_CHANNEL names. `wechat` uses the official account the members
    log in with (WECHAT_APP_ID/WECHAT_APP_SECRET/WECHAT_API_BASE, or the stand-in with
    DEV_STANDINS=1) and WECHAT_SUBSCRIBE_TEMPLATE_ID (the stand-in's template by default).
    `http`: a factory of HTTP sessions (default: app.core.http.provider_session)."""
    name = (settings.notify_channel or "logging").strip().lower()
    if name == "logging":
        return LoggingChannel()
    if name == "wechat":
        from app.auth.providers.config import wechat_config

        config = wechat_config(settings)
        if config is None:
            raise ChannelConfigError("NOTIFY_CHANNEL=wechat needs WECHAT_APP_ID and its secret")
        template_id = settings.wechat_subscribe_template_id
        if not template_id and config.is_standin:
            from app.standins.wechat_messages import TEMPLATE_ID

            template_id = TEMPLATE_ID
        if not template_id:
            raise ChannelConfigError("NOTIFY_CHANNEL=wechat needs WECHAT_SUBSCRIBE_TEMPLATE_ID")
        return WeChatSubscribeChannel(
            app_id=config.app_id,
            app_secret=config.app_secret,
            api_base=config.api_base,
            template_id=template_id,
            page_base=settings.public_base_url,
            timeout_s=config.timeout_s,
            http=http,
        )
    raise ChannelConfigError(f"NOTIFY_CHANNEL must be one of {', '.join(CHANNELS)}")
