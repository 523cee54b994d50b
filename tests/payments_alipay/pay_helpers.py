"""Helpers for the Alipay payment tests: the stand-in app, the app's notify endpoint, a
member's browser on the cashier page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, request
from werkzeug.wrappers import Request, Response

from app import create_app
from app.standins import routes as login_standin
from app.standins.alipay_pay import alipay_pay_bp, handle_gateway
from app.standins.routes import standins_bp

STANDIN_BASE = "http://standins.test"
APP_BASE = "http://app.test"
NOTIFY_URL = f"{APP_BASE}/pay/alipay/notify"
RETURN_URL = f"{APP_BASE}/pay/alipay/return?order=o1"


def routes_delegate() -> bool:
    """Whether the login stand-in's gateway view hands payment methods to us already."""
    return "handle_gateway" in login_standin.alipay_gateway.__code__.co_names


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
    if alipay_pay_bp.name not in app.blueprints:
        app.register_blueprint(alipay_pay_bp)
    if not routes_delegate():
        # what the 3-line delegation in routes.alipay_gateway does, until it is there
        @app.before_request
        def _pay_methods() -> Any:
            if request.endpoint == "standins.alipay_gateway":
                return handle_gateway({**request.args.to_dict(), **request.form.to_dict()})
            return None

    app.config["TESTING"] = True
    return app


class NotifySink:
    """The app's notify endpoint as a tiny WSGI app: records each POSTed form (decoded)
    and answers with `handle(form) -> (status, body)`, by default `success`."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.raw_bodies: list[bytes] = []
        self.handle: Callable[[dict[str, str]], tuple[int, str]] = lambda form: (200, "success")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        self.raw_bodies.append(req.get_data(cache=True))
        form = {key: req.form[key] for key in req.form}
        self.forms.append(form)
        status, body = self.handle(form)
        return Response(body, status=status, mimetype="text/plain")(environ, start_response)


class Cashier:
    """The member's browser on the stand-in cashier."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def open(self, url: str) -> Any:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == STANDIN_BASE
        return self.client.get(f"{parts.path}?{parts.query}")

    def press(self, button: str, out_trade_no: str) -> Any:
        return self.client.post(
            f"/standins/alipay-pay/{button}", data={"out_trade_no": out_trade_no}
        )

    def pay(self, url: str) -> dict[str, str]:
        """Open the cashier, confirm, and return the query of the redirect to return_url."""
        page = self.open(url)
        assert page.status_code == 200, page.get_data(as_text=True)
        biz_out_trade_no = page.get_data(as_text=True).split('data-out-trade-no="')[1]
        response = self.press("pay", biz_out_trade_no.split('"')[0])
        assert response.status_code == 302, response.get_data(as_text=True)
        return query_of(response.headers["Location"])


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
