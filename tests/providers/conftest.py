"""Provider clients against the stand-ins, in-process.

The stand-ins run in their OWN app instance (as a separate server would), reached by the
production client code through `WSGIAdapter` mounted on a requests.Session for
http://standins.test. A "browser" (the stand-in app's test client) clicks through the
authorization pages to get codes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from app.auth.providers.alipay import AlipayClient
from app.auth.providers.config import alipay_config, wechat_config
from app.auth.providers.wechat import WeChatClient
from app.standins.transport import WSGIAdapter
from tests.providers.helpers import STANDIN_BASE, Browser, make_standin_app


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
def standin_app(app_factory: Callable[[], Flask]) -> Flask:
    return app_factory()


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
def wechat(settings: Any, http: requests.Session) -> Callable[..., WeChatClient]:
    """wechat(scope="snsapi_userinfo") -> a client of the stand-in WeChat."""

    def make(**changes: Any) -> WeChatClient:
        config = wechat_config(settings)
        assert config is not None
        return WeChatClient(dataclasses.replace(config, **changes), http)

    return make


@pytest.fixture
def alipay(settings: Any, http: requests.Session) -> Callable[..., AlipayClient]:
    def make(**changes: Any) -> AlipayClient:
        config = alipay_config(settings)
        assert config is not None
        return AlipayClient(dataclasses.replace(config, **changes), http)

    return make


@pytest.fixture
def browser(standin_app: Flask) -> Browser:
    return Browser(standin_app)
