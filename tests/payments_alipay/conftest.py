"""Alipay payments: the production client against the stand-in, in-process.

The stand-in runs in its own app instance (as a separate server would), reached through
`WSGIAdapter` on a requests.Session for http://standins.test. The stand-in delivers its
notices to http://app.test, a recording WSGI app (`NotifySink`), through the
`standin_http` session factory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from app.auth.providers.config import alipay_config
from app.payments.providers.alipay_pay import AlipayPayClient
from app.payments.providers.base import PrepayRequest
from app.standins.transport import WSGIAdapter
from tests.payments_alipay.pay_helpers import (
    APP_BASE,
    NOTIFY_URL,
    RETURN_URL,
    STANDIN_BASE,
    Cashier,
    NotifySink,
    make_standin_app,
)

NOW = datetime(2026, 3, 1, 1, 2, 3, tzinfo=UTC)  # 09:02:03 in Asia/Shanghai


@pytest.fixture
def standin_db(tmp_path: Path) -> Path:
    return tmp_path / "standins.sqlite3"


@pytest.fixture
def app_factory(standin_db: Path) -> Iterator[Callable[[], Flask]]:
    """Stand-in app instances sharing one STANDIN_DB (like gunicorn workers)."""
    apps: list[Flask] = []

    def factory() -> Flask:
        app = make_standin_app(standin_db)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["db"].engine.dispose()


@pytest.fixture
def sink() -> NotifySink:
    return NotifySink()


@pytest.fixture
def sink_adapter(sink: NotifySink) -> WSGIAdapter:
    return WSGIAdapter(sink)


@pytest.fixture
def standin_app(app_factory: Callable[[], Flask], sink_adapter: WSGIAdapter) -> Flask:
    app = app_factory()

    def notice_http() -> requests.Session:
        session = requests.Session()
        session.mount(APP_BASE, sink_adapter)
        return session

    app.extensions["standin_http"] = notice_http
    return app


@pytest.fixture
def adapter(standin_app: Flask) -> WSGIAdapter:
    return WSGIAdapter(standin_app)


@pytest.fixture
def http(adapter: WSGIAdapter) -> Iterator[requests.Session]:
    session = requests.Session()
    session.mount(STANDIN_BASE, adapter)
    yield session
    session.close()


@pytest.fixture
def settings(standin_app: Flask) -> Any:
    return standin_app.extensions["settings"]


@pytest.fixture
def alipay(settings: Any, http: requests.Session) -> Callable[..., AlipayPayClient]:
    """alipay(**config changes) -> a payment client of the stand-in Alipay."""

    def make(**changes: Any) -> AlipayPayClient:
        config = alipay_config(settings)
        assert config is not None
        return AlipayPayClient(dataclasses.replace(config, **changes), http)

    return make


@pytest.fixture
def cashier(standin_app: Flask) -> Cashier:
    return Cashier(standin_app)


@pytest.fixture
def order() -> Callable[..., PrepayRequest]:
    """order(out_trade_no="…", amount_fen=…, …) -> a PrepayRequest for a premium."""

    def make(**changes: Any) -> PrepayRequest:
        values: dict[str, Any] = {
            "out_trade_no": "HMB2026030100001",
            "amount_fen": 12900,
            "description": "惠民保 2026 年度保费",
            "notify_url": NOTIFY_URL,
            "return_url": RETURN_URL,
            "expires_at": NOW + timedelta(minutes=30),
        }
        values.update(changes)
        return PrepayRequest(**values)

    return make


@pytest.fixture
def clock_at(set_clock: Callable[[datetime], None]) -> datetime:
    set_clock(NOW)
    return NOW
