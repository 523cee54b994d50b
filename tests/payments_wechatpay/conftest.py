"""WeChat Pay client against its stand-in, in-process.

The stand-in runs in its OWN app instance (as a separate server would), reached by the
production client through `WSGIAdapter` on a requests.Session for http://standins.test.
The stand-in delivers notices to a tiny merchant app mounted for http://merchant.test
(through the `standin_http` factory the stand-in uses when it is set).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from app.payments.providers.wechatpay import WeChatPayClient
from app.payments.providers.wechatpay_config import WeChatPayConfig, wechatpay_config
from app.standins.transport import WSGIAdapter
from tests.payments_wechatpay.wxpay_helpers import (
    MERCHANT_BASE,
    STANDIN_BASE,
    NotifyEndpoint,
    make_standin_app,
)


@pytest.fixture
def wxpay_db(tmp_path: Path) -> Path:
    return tmp_path / "s.sqlite3"


@pytest.fixture
def wxpay_apps(wxpay_db: Path) -> Iterator[Callable[[], Flask]]:
    """Stand-in app instances sharing one STANDIN_DB (like gunicorn workers)."""
    apps: list[Flask] = []

    def factory() -> Flask:
        app = make_standin_app(wxpay_db)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["db"].engine.dispose()


@pytest.fixture
def notify() -> NotifyEndpoint:
    return NotifyEndpoint()


@pytest.fixture
def standin_app(wxpay_apps: Callable[[], Flask], notify: NotifyEndpoint) -> Flask:
    app = wxpay_apps()
    merchant = notify.wsgi()

    def http_factory() -> requests.Session:
        session = requests.Session()
        session.mount(MERCHANT_BASE, WSGIAdapter(merchant))
        return session

    app.extensions["standin_http"] = http_factory
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
def config(standin_app: Flask) -> WeChatPayConfig:
    found = wechatpay_config(standin_app.extensions["settings"])
    assert found is not None
    return found


@pytest.fixture
def client(config: WeChatPayConfig, http: requests.Session) -> WeChatPayClient:
    return WeChatPayClient(config, http)


@pytest.fixture
def cashier(standin_app: Flask) -> Any:
    """The payer's browser on the stand-in's cashier."""
    return standin_app.test_client()
