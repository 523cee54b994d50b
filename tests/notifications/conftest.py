"""Members to write to, a channel that records, a request cycle run by hand, and the
WeChat subscription-message stand-in served in-process."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session

from app import create_app
from app.core import clock
from app.members.models import Member, MemberIdentity
from app.notifications.channels import Outgoing, Recipient, channel_from_settings
from app.standins import registry
from app.standins.store import StandinStore
from app.standins.transport import WSGIAdapter
from app.standins.wechat_messages import WeChatMessageStore, wechat_messages_bp

STANDIN_BASE = "http://standins.test"  # as in tests/conftest.py


class RecordingChannel:
    """A channel that keeps what it is given; `fail` makes every send raise it."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[Recipient, Outgoing]] = []
        self.fail: BaseException | None = None

    def send(self, recipient: Recipient, message: Outgoing) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((recipient, message))


@pytest.fixture
def recording(app: Flask) -> Iterator[RecordingChannel]:
    channel = RecordingChannel()
    app.extensions["notify_channel"] = channel
    yield channel
    app.extensions.pop("notify_channel", None)


@pytest.fixture
def request_cycle(app: Flask, connection: Any) -> Callable[..., Any]:
    """`with request_cycle(status=200): ...` runs the body as a request of the app: its
    after_request hooks (the one commit, or the rollback of an error status) and its
    teardown (the after-commit work) run at the end, as for a real request."""

    @contextmanager
    def cycle(status: int = 200) -> Iterator[None]:
        with app.test_request_context("/api/v1/probe", method="POST"):
            yield
            app.process_response(app.response_class(status=status))

    return cycle


@pytest.fixture
def make_member(session: Session) -> Callable[..., Member]:
    """make_member(wechat_openid=..., wechat_app_id=..., alipay=True) -> a member with
    those login identities."""

    def make(
        *,
        wechat_openid: str | None = None,
        wechat_app_id: str = registry.WECHAT_APP_ID,
        alipay: bool = False,
    ) -> Member:
        now = clock.now()
        member = Member(created_at=now, nickname="测试")
        session.add(member)
        session.flush()
        if wechat_openid:
            session.add(
                MemberIdentity(
                    member_id=member.id,
                    provider="wechat",
                    app_id=wechat_app_id,
                    subject=wechat_openid,
                    created_at=now,
                    last_login_at=now,
                )
            )
        if alipay:
            session.add(
                MemberIdentity(
                    member_id=member.id,
                    provider="alipay",
                    app_id=registry.ALIPAY_APP_ID,
                    subject="0" + member.id * 2,
                    created_at=now,
                    last_login_at=now,
                )
            )
        session.flush()
        return member

    return make


# --- the WeChat stand-in ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def wechat_standin(standin_db: str) -> Flask:
    """An app serving the stand-ins (sharing the suite's STANDIN_DB), with the
    subscription-message stand-in mounted."""
    standin = create_app(
        {
            "DATABASE_URL": "sqlite://",
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_BASE_URL": STANDIN_BASE,
            "STANDIN_DB": standin_db,
        }
    )
    if wechat_messages_bp.name not in standin.blueprints:
        standin.register_blueprint(wechat_messages_bp)
    standin.config["TESTING"] = True
    return standin


@pytest.fixture
def wechat_adapter(wechat_standin: Flask) -> WSGIAdapter:
    return WSGIAdapter(wechat_standin)


@pytest.fixture
def wechat_http(wechat_adapter: WSGIAdapter) -> Callable[[], requests.Session]:
    def factory() -> requests.Session:
        http = requests.Session()
        http.mount(STANDIN_BASE, wechat_adapter)
        return http

    return factory


@pytest.fixture
def wechat_store(standin_db: str) -> WeChatMessageStore:
    return WeChatMessageStore(standin_db)


@pytest.fixture
def wechat_person(standin_db: str) -> Callable[[], str]:
    """A new test person at the WeChat stand-in: their openid."""

    def make() -> str:
        return StandinStore(standin_db).create_person("王小明").wechat_openid

    return make


@pytest.fixture
def wechat_channel(app: Flask, wechat_http: Callable[[], requests.Session]) -> Callable[..., Any]:
    """wechat_channel(**settings changes) -> the channel NOTIFY_CHANNEL=wechat builds (the
    stand-in's app and template), talking to the stand-in in-process."""

    def make(**changes: Any) -> Any:
        settings = dataclasses.replace(
            app.extensions["settings"], notify_channel="wechat", **changes
        )
        return channel_from_settings(settings, http=wechat_http)

    return make
