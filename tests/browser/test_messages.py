"""The message centre on a phone, and the unread badge on the "我的" tab.

Debian's Chromium at 360×640 against a real server of this module's own (its SQLite
database is written here too): logged out, the message centre asks for a login (WeChat
stand-in) → empty → three messages posted through `post_message` into the server's
database → the badge on "我的" says 3 → the list, newest first, unread ones marked →
tapping one marks it read (badge 2) → "mark all read" (no badge) → still read after a
reload, and in English. Console and page errors fail the test.
Screenshots go to tests/artifacts/ (messages-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

# The stand-in pages link no icon: Chromium asks for /favicon.ico, which is not served.
STANDIN_FAVICON = r"status of 404 .*'url': 'http://[^']+/favicon\.ico'"


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def _browser_conftest(config: pytest.Config) -> Any:
    """tests/browser/conftest.py as pytest loaded it (whatever the import mode)."""
    wanted = Path(__file__).with_name("conftest.py")
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__) == wanted:
            return plugin
    raise LookupError(wanted)


@pytest.fixture(scope="module")
def messages_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A server for this module (as `own_server`), with the paths of its databases."""
    serve = _browser_conftest(request.config)._serve
    tmp = tmp_path_factory.mktemp("browser-messages")
    with serve(tmp) as base_url:
        yield {
            "base_url": base_url,
            "database_url": f"sqlite:///{tmp / 'browser.db'}",
            "standin_db": str(tmp / "standins.sqlite3"),
        }


@pytest.fixture(scope="module")
def writer(messages_server: dict[str, str]) -> Iterator[Any]:
    """An app of this process on the server's database, to post messages as a claim
    decision would."""
    from app import create_app

    app = create_app(
        {
            "DATABASE_URL": messages_server["database_url"],
            "APP_ENV": "test",
            "DEV_STANDINS": True,
            "STANDIN_DB": messages_server["standin_db"],
        }
    )
    yield app
    app.extensions["db"].engine.dispose()


def post_messages(app: Any, member_id: str, count: int) -> list[str]:
    from app.core import clock
    from app.core.db import get_session
    from app.notifications.service import post_message
    from app.rules.terms import Text

    start = clock.now()
    ids = []
    with app.test_request_context("/probe", method="POST"):
        for i in range(count):
            clock.set_clock(start + timedelta(minutes=i))
            row = post_message(
                get_session(),
                member_id=member_id,
                kind="notice",
                claim_id=None,
                title=Text(zh=f"通知{i + 1}", en=f"Notice {i + 1}"),
                body=Text(zh=f"第{i + 1}条消息的正文。", en=f"The text of message {i + 1}."),
            )
            ids.append(row.id)
        clock.set_clock(None)
        app.process_response(app.response_class(status=200))  # the one commit
    return ids


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def test_message_centre_and_unread_badge(
    page: Any, console: Any, messages_server: dict[str, str], writer: Any, artifacts_dir: Path
) -> None:
    console.allow(STANDIN_FAVICON)
    console.allow(r"status of 401")  # "who is logged in?" asked while nobody is
    base = messages_server["base_url"]

    # Logged out: the message centre asks for a login, and comes back to itself.
    page.goto(base + "/#/messages")
    gate = by(page, "gate-login")
    expect(gate).to_contain_text("消息中心")
    gate.get_by_test_id("login-wechat").click()
    picker = by(page, "standin-picker")
    expect(picker).to_be_visible()
    page.locator("#standin-nickname").fill("小林")
    by(page, "create").click()
    expect(page).to_have_url(re.compile(r"/#/messages$"))
    expect(by(page, "messages-empty")).to_be_visible()
    expect(by(page, "nav-unread")).to_have_count(0)

    # Three messages arrive (as a claim decision would post them).
    member = page.evaluate("fetch('/api/v1/me').then(r => r.json())")
    ids = post_messages(writer, member["id"], 3)

    # Any route change asks for the unread count: the badge on "我的".
    page.evaluate("location.hash = '#/'")
    badge = by(page, "nav-unread")
    expect(badge).to_have_attribute("data-unread", "3")
    expect(badge).to_have_text(re.compile(r"^3"))
    expect(by(page, "nav-me")).to_contain_text("3 条未读消息")
    shot(page, artifacts_dir, "messages-01-badge")

    # The list: newest first, all unread.
    page.evaluate("location.hash = '#/messages'")
    items = by(page, "message-list").locator("li > button")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_have_attribute("data-testid", f"message-{ids[2]}")
    expect(items.nth(2)).to_have_attribute("data-testid", f"message-{ids[0]}")
    expect(by(page, "messages-unread")).to_have_text("3 条未读")
    expect(by(page, f"message-{ids[1]}")).to_have_attribute("data-read", "false")
    expect(by(page, f"message-{ids[1]}").get_by_test_id("message-title")).to_have_text("通知2")
    expect(by(page, f"message-{ids[1]}").get_by_test_id("message-body")).to_have_text(
        "第2条消息的正文。"
    )
    shot(page, artifacts_dir, "messages-02-list")

    # Tapping one marks it read (CSRF-protected write); the badge follows.
    with page.expect_request(lambda r: r.url.endswith(f"/messages/{ids[1]}/read")) as read:
        by(page, f"message-{ids[1]}").click()
    assert read.value.method == "POST" and read.value.headers.get("x-csrf-token")
    expect(by(page, f"message-{ids[1]}")).to_have_attribute("data-read", "true")
    expect(by(page, f"message-{ids[1]}").get_by_test_id("message-unread")).to_have_count(0)
    expect(by(page, "messages-unread")).to_have_text("2 条未读")
    expect(by(page, "nav-unread")).to_have_attribute("data-unread", "2")
    expect(by(page, f"message-{ids[1]}")).to_be_focused()

    # Mark all read: no badge any more.
    by(page, "messages-read-all").click()
    expect(by(page, "messages-unread")).to_have_text("全部已读")
    expect(by(page, "messages-read-all")).to_have_count(0)
    expect(by(page, "nav-unread")).to_have_count(0)
    for message_id in ids:
        expect(by(page, f"message-{message_id}")).to_have_attribute("data-read", "true")
    shot(page, artifacts_dir, "messages-03-all-read")

    # The server kept it; in English too.
    page.reload()
    expect(items).to_have_count(3)
    expect(by(page, "messages-unread")).to_have_text("全部已读")
    by(page, "lang-toggle").click()
    expect(by(page, "messages-unread")).to_have_text("All read")
    expect(by(page, f"message-{ids[2]}").get_by_test_id("message-title")).to_have_text("Notice 3")
    expect(by(page, "nav-unread")).to_have_count(0)

    assert console.unexpected() == []
