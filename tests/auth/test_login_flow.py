"""The whole redirect flow through the stand-ins, with the Flask test client."""

from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.auth.models import LoginState
from app.members.consent_texts import SENSITIVE_PI
from app.members.models import Member, MemberIdentity
from tests.conftest import make_id_number

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start(client, provider, next_path="/#/me"):
    resp = client.get(f"/auth/{provider}/login", query_string={"next": next_path})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp.headers["Location"]


def authorize(client, authorize_url, **form):
    """The member on the provider's page: pick, create or refuse; returns the callback URL."""
    page = client.get(path_of(authorize_url))
    assert page.status_code == 200
    hidden = {unescape(k): unescape(v) for k, v in HIDDEN.findall(page.get_data(as_text=True))}
    action = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True))
    resp = client.post(action.group(1), data={**hidden, **form})
    assert resp.status_code == 302
    return resp.headers["Location"]


def login(client, provider="wechat", nickname="小陈", next_path="/#/me", **form):
    callback = authorize(
        client, start(client, provider, next_path), action="create", nickname=nickname, **form
    )
    return client.get(path_of(callback)), callback


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("provider", ["wechat", "alipay"])
def test_first_login_creates_a_member(client, provider_transport, session, provider):
    resp, _ = login(client, provider)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/#/me"
    me = client.get("/api/v1/me").get_json()
    assert [i["provider"] for i in me["identities"]] == [provider]
    assert count(session, Member) == 1


def test_authorize_url_is_the_wire_format(client, provider_transport):
    url = start(client, "wechat")
    assert url.startswith("http://standins.test/standins/wechat/connect/oauth2/authorize?appid=")
    query = urlsplit(url).query
    assert [p.split("=")[0] for p in query.split("&")] == [
        "appid",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    ]
    assert url.endswith("#wechat_redirect")
    ali = start(client, "alipay")
    assert "/oauth2/publicAppAuthorize.htm?app_id=" in ali


def test_returning_login_finds_the_same_member(app, provider_transport, session):
    first = app.test_client()
    _resp, _ = login(first, "wechat", nickname="回头客")
    member_id = first.get("/api/v1/me").get_json()["id"]
    second = app.test_client()  # another device, same WeChat person: pick the existing one
    callback_page = second.get(path_of(start(second, "wechat")))
    pick = re.search(
        r'name="pick" value="([^"]+)"[^>]*>\s*<img[^>]*>\s*<span class="standin-nick">回头客',
        callback_page.get_data(as_text=True),
    )
    hidden = {
        unescape(k): unescape(v) for k, v in HIDDEN.findall(callback_page.get_data(as_text=True))
    }
    confirm = second.post("/standins/wechat/oauth2/confirm", data={**hidden, "pick": pick.group(1)})
    done = second.get(path_of(confirm.headers["Location"]))
    assert done.status_code == 302
    assert second.get("/api/v1/me").get_json()["id"] == member_id
    assert count(session, Member) == 1


def test_second_provider_while_logged_in_links_it(client, provider_transport, session):
    login(client, "wechat")
    resp, _ = login(client, "alipay", nickname="支付宝的我")
    assert resp.status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert sorted(i["provider"] for i in me["identities"]) == ["alipay", "wechat"]
    assert count(session, Member) == 1


def test_wechat_double_callback_keeps_the_member_logged_in(app, provider_transport, session):
    client = app.test_client()
    _resp, callback = login(client, "wechat")
    member_id = client.get("/api/v1/me").get_json()["id"]
    again = client.get(path_of(callback))  # WeChat hits the callback a second time
    assert again.status_code == 302
    assert again.headers["Location"] == "/#/me"
    assert client.get("/api/v1/me").get_json()["id"] == member_id
    assert count(session, Member) == 1 and count(session, MemberIdentity) == 1


def test_code_reuse_with_a_fresh_state_is_an_error_not_a_second_account(
    client, provider_transport, session
):
    _resp, callback = login(client, "wechat")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    client.delete(
        "/api/v1/me/session",
        headers={"X-CSRF-Token": client.get("/api/v1/me/csrf").get_json()["csrf_token"]},
    )
    fresh = parse_qs(urlsplit(start(client, "wechat")).query)["state"][0]
    resp = client.get("/auth/wechat/callback", query_string={"code": code, "state": fresh})
    assert resp.status_code == 400
    assert 'data-code="provider_code_used"' in resp.get_data(as_text=True)
    assert count(session, Member) == 1


def test_refused_authorization_creates_nothing(client, provider_transport, session):
    callback = authorize(client, start(client, "wechat"), action="refuse")
    assert "code=" not in callback
    resp = client.get(path_of(callback))
    assert resp.status_code == 200
    assert 'data-code="login_cancelled"' in resp.get_data(as_text=True)
    assert count(session, Member) == 0
    assert client.get("/api/v1/me").status_code == 401


def test_snapshot_visitor_gets_no_account(client, provider_transport, session):
    resp, _ = login(client, "wechat", snapshot="1")
    assert resp.status_code == 403
    assert count(session, Member) == 0


@pytest.mark.parametrize(
    "case", ["unknown", "reused", "other-browser", "expired", "other-provider"]
)
def test_bad_state_is_refused(app, provider_transport, session, set_clock, case):
    from datetime import timedelta

    from app.core import clock

    client = app.test_client()
    now = clock.now()
    set_clock(now)
    callback = authorize(client, start(client, "wechat"), action="create", nickname="x")
    query = parse_qs(urlsplit(callback).query)
    if case == "unknown":
        target = client.get(
            "/auth/wechat/callback", query_string={"code": query["code"][0], "state": "forged"}
        )
    elif case == "reused":
        client.get(path_of(callback))
        client.delete(
            "/api/v1/me/session",
            headers={"X-CSRF-Token": client.get("/api/v1/me/csrf").get_json()["csrf_token"]},
        )
        other = app.test_client()  # same state from a browser without the nonce cookie
        target = other.get(path_of(callback))
    elif case == "other-browser":
        target = app.test_client().get(path_of(callback))
    elif case == "expired":
        set_clock(now + timedelta(minutes=11))
        target = client.get(path_of(callback))
    else:
        target = client.get(
            "/auth/alipay/callback", query_string={"auth_code": "x", "state": query["state"][0]}
        )
    assert target.status_code == 400
    assert 'data-code="login_state_invalid"' in target.get_data(as_text=True)
    assert count(session, Member) == (1 if case == "reused" else 0)


def test_next_is_allow_listed(client, provider_transport):
    for evil in ["https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)"]:
        resp, _ = login(client, "wechat", next_path=evil)
        assert resp.headers["Location"] == "/"


def test_provider_down_creates_nothing(client, provider_transport, session):
    callback = authorize(client, start(client, "wechat"), action="create", nickname="x")
    provider_transport.fail = requests.ConnectTimeout
    resp = client.get(path_of(callback))
    assert resp.status_code == 502
    assert 'data-code="provider_unavailable"' in resp.get_data(as_text=True)
    assert count(session, Member) == 0
    assert count(session, LoginState) == 1  # the login attempt only


def test_alipay_bad_signature_creates_nothing(client, provider_transport, session, monkeypatch):
    from app.auth.providers import alipay_sign

    callback = authorize(client, start(client, "alipay"), action="create", nickname="x")
    monkeypatch.setattr(alipay_sign, "verify", lambda *a, **k: False)
    resp = client.get(path_of(callback))
    assert resp.status_code == 502
    assert 'data-code="provider_bad_signature"' in resp.get_data(as_text=True)
    assert count(session, Member) == 0


def test_member_login_start_is_rate_limited(client, provider_transport):
    statuses = [client.get("/auth/wechat/login").status_code for _ in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


def test_full_flow_logs_no_personal_data(app, provider_transport, roster_person, caplog):
    id_number = make_id_number("35020319680312101")
    roster_person("陈建国", id_number)
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    login(client, "wechat")
    csrf = client.get("/api/v1/me/csrf").get_json()["csrf_token"]
    client.post(
        "/api/v1/me/consents",
        headers={"X-CSRF-Token": csrf},
        json={"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
    )
    ok = client.post(
        "/api/v1/me/real-name",
        headers={"X-CSRF-Token": csrf},
        json={"name": "陈建国", "id_number": id_number},
    )
    assert ok.status_code == 200
    bad = client.post(
        "/api/v1/me/real-name",
        headers={"X-CSRF-Token": csrf},
        json={"name": "陈建国", "id_number": id_number[:-1] + "0"},
    )
    assert bad.status_code == 409  # already bound: refused before the ID is even read
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert id_number not in text and id_number[:14] not in text
    assert "陈建国" not in text
