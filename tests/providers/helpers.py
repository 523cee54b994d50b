"""Helpers for the provider tests: the stand-in app, a browser on its pages, fake
transports for outages and garbage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask

from app import create_app
from app.auth.providers.wechat import WeChatClient
from app.standins.routes import standins_bp

STANDIN_BASE = "http://standins.test"
APP_CALLBACK = "http://app.test/auth/{provider}/callback"


def make_standin_app(db_path: Path) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": "sqlite://",
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_DB": str(db_path),
            "STANDIN_BASE_URL": STANDIN_BASE,
            "PROVIDER_TIMEOUT_S": 3.5,
        }
    )
    if "standins" not in app.blueprints:
        app.register_blueprint(standins_bp)
    app.config["TESTING"] = True
    return app


class Browser:
    """The member's browser on the stand-in's authorization pages."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def open(self, url: str) -> Any:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == STANDIN_BASE
        return self.client.get(f"{parts.path}?{parts.query}")

    def authorize(self, url: str, **choice: str) -> dict[str, str]:
        """Open the authorize URL, submit the picker form with `choice` (e.g.
        action="create", nickname=..., pick=<id>, snapshot="1"), follow nothing:
        return the query of the redirect back to the app."""
        page = self.open(url)
        assert page.status_code == 200, page.get_data(as_text=True)
        provider = "wechat" if "/standins/wechat/" in url else "alipay"
        form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if provider == "wechat":
            form["response_type"] = "code"
        form.update(choice)
        response = self.client.post(f"/standins/{provider}/oauth2/confirm", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        callback = APP_CALLBACK.format(provider=provider)
        assert location.startswith(callback + "?")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def new_code(self, client: Any, nickname: str = "张三", **choice: str) -> str:
        provider = "wechat" if isinstance(client, WeChatClient) else "alipay"
        url = client.authorize_url(
            redirect_uri=APP_CALLBACK.format(provider=provider), state="st4te"
        )
        if provider == "wechat":  # the page's checkbox is ticked by default
            choice.setdefault("with_unionid", "1")
        query = self.authorize(url, action="create", nickname=nickname, **choice)
        assert query["state"] == "st4te"
        return query["code" if provider == "wechat" else "auth_code"]


class FakeAdapter(requests.adapters.BaseAdapter):
    """Answers every request with a fixed status, content type and body."""

    def __init__(self, body: bytes | str, status: int = 200, content_type: str = "") -> None:
        super().__init__()
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.content_type = content_type
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.status
        if self.content_type:
            response.headers["Content-Type"] = self.content_type
        response._content = self.body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


class RewritingAdapter(requests.adapters.BaseAdapter):
    """Passes requests to another adapter and rewrites the response body (a tamperer)."""

    def __init__(self, inner: requests.adapters.BaseAdapter, rewrite: Callable[[str], str]):
        super().__init__()
        self.inner = inner
        self.rewrite = rewrite

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = self.inner.send(request, **kwargs)
        response._content = self.rewrite(response.content.decode("utf-8")).encode("utf-8")
        return response

    def close(self) -> None:
        pass
