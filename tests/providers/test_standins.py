"""The stand-ins' store across app instances (gunicorn workers), the transport, config."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from app.auth.providers.alipay import AlipayClient
from app.auth.providers.base import ProviderError
from app.auth.providers.config import (
    ProviderConfigError,
    alipay_config,
    wechat_config,
)
from app.auth.providers.wechat import WeChatClient
from app.settings import Settings
from app.standins import registry
from app.standins.store import StandinStore
from app.standins.transport import WSGIAdapter
from tests.providers.helpers import STANDIN_BASE, Browser

# --- one store, several workers ----------------------------------------------------------


def _client_for(app, provider: str):
    http = requests.Session()
    http.mount(STANDIN_BASE, WSGIAdapter(app))
    settings = app.extensions["settings"]
    if provider == "wechat":
        return WeChatClient(wechat_config(settings), http), http
    return AlipayClient(alipay_config(settings), http), http


def test_store_is_shared_by_two_app_instances(app_factory, standin_db):
    worker_a, worker_b = app_factory(), app_factory()
    wechat_a, http_a = _client_for(worker_a, "wechat")
    wechat_b, http_b = _client_for(worker_b, "wechat")
    alipay_b, http_c = _client_for(worker_b, "alipay")
    try:
        # a person created on worker A is listed by worker B's page
        code = Browser(worker_a).new_code(wechat_a, nickname="跨进程")
        url = wechat_b.authorize_url(redirect_uri="http://app.test/cb", state="s")
        assert "跨进程" in Browser(worker_b).open(url).get_data(as_text=True)
        # a code issued by A is exchanged by B, and is then used up for A too
        assert wechat_b.fetch_identity(code).subject
        with pytest.raises(ProviderError) as caught:
            wechat_a.fetch_identity(code)
        assert caught.value.kind == "code_used"
        # Alipay too: the auth code from A's page, the gateway of B
        auth_code = Browser(worker_a).new_code(AlipayClient(alipay_b.config, http_a))
        assert alipay_b.fetch_identity(auth_code).user_id
    finally:
        for http in (http_a, http_b, http_c):
            http.close()
    with closing(sqlite3.connect(standin_db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_code_is_exchanged_once_under_concurrency(app_factory):
    workers = [app_factory(), app_factory()]
    first, first_http = _client_for(workers[0], "wechat")
    code = Browser(workers[0]).new_code(first)
    first_http.close()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def exchange(index: int) -> None:
        client, http = _client_for(workers[index % 2], "wechat")
        try:
            barrier.wait()
            client.fetch_identity(code)
            results.append("ok")
        except ProviderError as exc:
            results.append(exc.kind)
        finally:
            http.close()

    threads = [threading.Thread(target=exchange, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["code_used"] * 7 + ["ok"]


def test_store_creates_its_file_and_tables_on_first_use(tmp_path: Path):
    path = tmp_path / "nested" / "dir" / "standins.sqlite3"
    store = StandinStore(str(path))
    assert store.persons() == []
    person = store.create_person("甲", with_unionid=False)
    assert path.is_file()
    assert StandinStore(str(path)).person(person.id) == person
    assert person.wechat_unionid is None
    assert person.alipay_user_id.startswith("2088") and len(person.alipay_user_id) == 16


# --- the transport -----------------------------------------------------------------------


def test_wsgi_adapter_serves_status_headers_and_body(standin_app):
    http = requests.Session()
    adapter = WSGIAdapter(standin_app)
    http.mount(STANDIN_BASE, adapter)
    try:
        response = http.get(f"{STANDIN_BASE}/standins/wechat/sns/userinfo", timeout=2)
        assert response.status_code == 200 and response.reason == "OK"
        assert response.headers["Content-Type"] == "text/plain"
        assert response.json()["errcode"] == 41001
        missing = http.post(f"{STANDIN_BASE}/nowhere", data={"a": "1"}, timeout=2)
        assert missing.status_code == 404
        assert adapter.timeouts == [2, 2]
        adapter.fail = requests.ConnectionError("down")
        with pytest.raises(requests.ConnectionError):
            http.get(f"{STANDIN_BASE}/healthz", timeout=2)
    finally:
        http.close()


def test_standin_views_are_public(standin_app):
    views = {
        name: fn for name, fn in standin_app.view_functions.items() if name.startswith("standins.")
    }
    assert len(views) == 8
    for name, view in views.items():
        assert getattr(view, "access", None) is not None, name
        assert view.access.kind == "public", name


# --- configuration -----------------------------------------------------------------------


def _settings(**changes) -> Settings:
    return Settings.from_env({}).with_overrides(changes)


def test_not_configured_is_none():
    assert wechat_config(_settings()) is None
    assert alipay_config(_settings()) is None


def test_dev_standins_point_at_the_standins():
    settings = _settings(dev_standins=True, standin_base_url="http://127.0.0.1:9000/")
    wechat = wechat_config(settings)
    assert wechat is not None and wechat.is_standin
    assert wechat.oauth_base == wechat.api_base == "http://127.0.0.1:9000/standins/wechat"
    assert wechat.app_id == "wxd0000000standin"
    assert wechat.app_secret == registry.WECHAT_APP_SECRET
    assert registry.WECHAT_APP_SECRET not in repr(wechat)
    alipay = alipay_config(settings)
    assert alipay is not None and alipay.is_standin
    assert alipay.auth_base == "http://127.0.0.1:9000/standins/alipay"
    assert alipay.gateway == "http://127.0.0.1:9000/standins/alipay/gateway.do"
    assert alipay.app_id == "2021000000000000"
    assert alipay.app_private_key_pem == registry.read_key(registry.APP_PRIVATE_KEY_FILE)
    assert alipay.alipay_public_key_pem == registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)
    assert "PRIVATE" not in repr(alipay)


def test_real_configuration_wins_over_the_standins(tmp_path: Path):
    key_file = tmp_path / "app_private_key.pem"
    key_file.write_text(registry.read_key(registry.APP_PRIVATE_KEY_FILE))
    settings = _settings(
        dev_standins=True,
        wechat_app_id="wx1234567890abcdef",
        wechat_app_secret="s" * 32,
        wechat_scope="snsapi_userinfo",
        alipay_app_id="2021001234567890",
        alipay_app_private_key=str(key_file),  # a file path
        alipay_public_key=registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE),  # PEM text
        provider_timeout_s=2.5,
    )
    wechat = wechat_config(settings)
    assert wechat is not None and not wechat.is_standin
    assert (wechat.app_id, wechat.scope, wechat.timeout_s) == (
        "wx1234567890abcdef",
        "snsapi_userinfo",
        2.5,
    )
    assert wechat.oauth_base == "https://open.weixin.qq.com"
    assert wechat.api_base == "https://api.weixin.qq.com"
    alipay = alipay_config(settings)
    assert alipay is not None and not alipay.is_standin
    assert alipay.gateway == "https://openapi.alipay.com/gateway.do"
    assert alipay.app_private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert alipay.alipay_public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_bare_base64_keys_are_accepted():
    public_pem = registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)
    bare = "".join(line for line in public_pem.splitlines() if "-----" not in line)
    settings = _settings(
        alipay_app_id="2021001234567890",
        alipay_app_private_key=registry.read_key(registry.APP_PRIVATE_KEY_FILE),
        alipay_public_key=bare,
    )
    config = alipay_config(settings)
    assert config is not None
    assert config.alipay_public_key_pem.strip() == public_pem.strip()


@pytest.mark.parametrize(
    "changes",
    [
        {"wechat_app_id": "wx1"},
        {"wechat_app_id": "wx1", "wechat_app_secret": "x", "wechat_scope": "snsapi_login"},
        {"alipay_app_id": "2021"},
        {"alipay_app_id": "2021", "alipay_app_private_key": "k", "alipay_public_key": "secret!"},
        {"dev_standins": True, "alipay_scope": "auth_everything"},
    ],
)
def test_partial_or_broken_configuration_raises(changes):
    settings = _settings(**changes)
    with pytest.raises(ProviderConfigError) as caught:
        wechat_config(settings)
        alipay_config(settings)
    assert "secret!" not in str(caught.value)


def test_config_reads_settings_attributes_only():
    # any object with the settings' attributes works (the app passes its Settings)
    fake = SimpleNamespace(**{f: getattr(_settings(), f) for f in Settings.__dataclass_fields__})
    assert wechat_config(fake) is None
