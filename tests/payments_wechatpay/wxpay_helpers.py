"""Helpers for the WeChat Pay tests: the stand-in app, a merchant notify endpoint, keys."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask, request

from app import create_app
from app.core import clock
from app.payments.providers import wechatpay as wxpay
from app.payments.providers.base import PrepayRequest
from app.standins import wechatpay as standin

STANDIN_BASE = "http://standins.test"
MERCHANT_BASE = "http://merchant.test"
NOTIFY_URL = f"{MERCHANT_BASE}/pay/wechatpay/notify"
RETURN_URL = f"{MERCHANT_BASE}/pay/return?order=HMB1"
TIMEOUT_S = 3.5


def make_standin_app(db_path: Path) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": "sqlite://",
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_DB": str(db_path),
            "STANDIN_BASE_URL": STANDIN_BASE,
            "PROVIDER_TIMEOUT_S": TIMEOUT_S,
        }
    )
    if standin.wechatpay_bp.name not in app.blueprints:
        app.register_blueprint(standin.wechatpay_bp)
    app.config["TESTING"] = True
    return app


@dataclass
class NotifyEndpoint:
    """The merchant's notify_url: records every POST and answers with `status`."""

    status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def wsgi(self) -> Flask:
        app = Flask("merchant")

        @app.post("/pay/wechatpay/notify")
        def notify() -> Any:
            self.received.append((dict(request.headers), request.get_data()))
            if self.status == 204:
                return "", 204
            return json.dumps({"code": "FAIL", "message": "失败"}), self.status

        return app


def prepay_request(
    out_trade_no: str = "HMB20261123000001",
    amount_fen: int = 100_00,
    *,
    openid: str | None = "oStandinPayer0000000000000001",
    expires_in: timedelta = timedelta(minutes=30),
    return_url: str = RETURN_URL,
) -> PrepayRequest:
    return PrepayRequest(
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        description="惠民保2026 个人保费",
        notify_url=NOTIFY_URL,
        return_url=return_url,
        expires_at=clock.now() + expires_in,
        payer_openid=openid,
        client_ip="203.0.113.7",
    )


def key(path: Path) -> str:
    return path.read_text(encoding="ascii")


PLATFORM_PRIVATE = key(standin.PLATFORM_PRIVATE_KEY_FILE)
MERCHANT_PRIVATE = key(standin.MERCHANT_PRIVATE_KEY_FILE)
MERCHANT_PUBLIC = key(standin.MERCHANT_PUBLIC_KEY_FILE)


def transaction(**changes: Any) -> dict[str, Any]:
    """A paid transaction's plaintext as WeChat Pay puts it in a notice."""
    body: dict[str, Any] = {
        "appid": standin.APP_ID,
        "mchid": standin.MCH_ID,
        "out_trade_no": "HMB20261123000001",
        "transaction_id": "4200000000202611230000000001",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": "2026-11-23T10:00:00+08:00",
        "payer": {"openid": "oStandinPayer0000000000000001"},
        "amount": {
            "total": 100_00,
            "payer_total": 100_00,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }
    body.update(changes)
    return body


def notice(
    txn: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    private_key: str = PLATFORM_PRIVATE,
    serial: str = standin.PLATFORM_SERIAL,
    apiv3_key: str = standin.APIV3_KEY,
    **kwargs: Any,
) -> tuple[dict[str, str], bytes]:
    moment = at or clock.now()
    return wxpay.build_notice(
        None,
        txn if txn is not None else transaction(),
        platform_private_key_pem=private_key,
        platform_serial=serial,
        apiv3_key=apiv3_key,
        timestamp=int(moment.timestamp()),
        **kwargs,
    )


def resign(
    body: bytes, headers: dict[str, str], private_key: str = PLATFORM_PRIVATE
) -> dict[str, str]:
    """New Wechatpay-* headers over `body` (keeping the serial)."""
    return {
        **headers,
        **wxpay.signed_headers(
            body,
            platform_private_key_pem=private_key,
            platform_serial=headers[wxpay.HEADER_SERIAL],
            timestamp=headers[wxpay.HEADER_TIMESTAMP],
        ),
    }


class FakeAdapter(requests.adapters.BaseAdapter):
    """Answers every request with a fixed status, headers and body."""

    def __init__(self, body: bytes | str, status: int = 200, headers: dict[str, str] | None = None):
        super().__init__()
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.headers = headers or {}
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.status
        response.headers.update(self.headers)
        response._content = self.body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def signed_fake(body: bytes | str, status: int = 200, **sign: Any) -> FakeAdapter:
    """A FakeAdapter whose answer carries valid Wechatpay-* headers."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    headers = wxpay.signed_headers(
        raw,
        platform_private_key_pem=sign.get("private_key", PLATFORM_PRIVATE),
        platform_serial=sign.get("serial", standin.PLATFORM_SERIAL),
    )
    return FakeAdapter(raw, status, {"Content-Type": "application/json", **headers})


class RewritingAdapter(requests.adapters.BaseAdapter):
    """Passes requests on and rewrites them or their answers (a man in the middle)."""

    def __init__(
        self, inner: requests.adapters.BaseAdapter, *, request_body=None, response_body=None
    ):
        super().__init__()
        self.inner = inner
        self.request_body = request_body
        self.response_body = response_body

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.request_body is not None and request.body:
            request.body = self.request_body(request.body)
            request.headers["Content-Length"] = str(len(request.body))
        response = self.inner.send(request, **kwargs)
        if self.response_body is not None:
            response._content = self.response_body(response.content)
        return response

    def close(self) -> None:
        pass
