"""WeChat web authorization: the production client against the WeChat stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app.auth.providers.base import ProviderError
from app.standins import registry
from app.standins.store import StandinStore
from tests.providers.helpers import APP_CALLBACK, STANDIN_BASE, FakeAdapter

CALLBACK = APP_CALLBACK.format(provider="wechat")
SECRET = registry.WECHAT_APP_SECRET


# --- the authorize URL -------------------------------------------------------------------


def test_authorize_url_has_wechats_exact_shape(wechat):
    url = wechat(scope="snsapi_userinfo").authorize_url(
        redirect_uri="https://hmb.example.cn/auth/wechat/callback?x=1", state="Ab9xY"
    )
    assert url == (
        f"{STANDIN_BASE}/standins/wechat/connect/oauth2/authorize"
        "?appid=wxd0000000standin"
        "&redirect_uri=https%3A%2F%2Fhmb.example.cn%2Fauth%2Fwechat%2Fcallback%3Fx%3D1"
        "&response_type=code&scope=snsapi_userinfo&state=Ab9xY#wechat_redirect"
    )


def test_authorize_url_refuses_an_overlong_state(wechat):
    with pytest.raises(ValueError):
        wechat().authorize_url(redirect_uri=CALLBACK, state="s" * 129)


# --- the stand-in's pages ----------------------------------------------------------------


def test_picker_page_renders_without_inline_script_or_style(wechat, browser):
    browser.new_code(wechat(), nickname="李四")
    page = browser.open(wechat().authorize_url(redirect_uri=CALLBACK, state="s1"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="standin-picker"' in html
    assert "李四" in html
    assert "选择测试用户" in html and "Choose a test person" in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert "/static/standins/standins.css" in html
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appid": "wx-unknown"}, "10016"),
        ({"scope": "snsapi_login"}, "10005"),
        ({"response_type": "token"}, "10004"),
        ({"redirect_uri": "javascript:alert(1)"}, "10003"),
        ({"redirect_uri": "/relative/callback"}, "10003"),
    ],
)
def test_authorize_page_refuses_bad_parameters(browser, wechat, change, code):
    url = wechat().authorize_url(redirect_uri=CALLBACK, state="s1")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(change)
    page = browser.client.get(parts.path, query_string=query)
    assert page.status_code == 400
    assert f'data-code="{code}"' in page.get_data(as_text=True)


def test_picking_a_person_redirects_with_code_and_state(wechat, browser, settings):
    browser.new_code(wechat(), nickname="王五")
    (existing,) = StandinStore(settings.standin_db).persons()
    url = wechat().authorize_url(redirect_uri=CALLBACK + "?next=%2F", state="xyz")
    query = browser.authorize(url, pick=existing.id)
    assert set(query) == {"next", "code", "state"}
    assert query["state"] == "xyz" and query["next"] == "/"
    assert len(query["code"]) == 32
    identity = wechat().fetch_identity(query["code"])
    assert identity.subject == existing.wechat_openid


def test_refusal_redirects_with_the_state_only(wechat, browser):
    url = wechat(scope="snsapi_userinfo").authorize_url(redirect_uri=CALLBACK, state="r1")
    assert browser.authorize(url, action="refuse") == {"state": "r1"}


# --- the code exchange -------------------------------------------------------------------


def test_exchange_gives_openid_and_unionid(wechat, browser, adapter):
    client = wechat()
    code = browser.new_code(client)
    identity = client.fetch_identity(code)
    assert identity.provider == "wechat"
    assert identity.app_id == registry.WECHAT_APP_ID
    assert identity.subject.startswith("o") and len(identity.subject) == 28
    assert identity.unionid and identity.unionid != identity.subject
    assert identity.user_id is None
    assert identity.nickname is None and identity.avatar_url is None  # snsapi_base
    assert identity.is_snapshot is False
    # the wire: one GET, appid/secret/code/grant_type in that order, with the timeout
    (sent,) = adapter.requests
    assert sent.method == "GET"
    parts = urlsplit(sent.url)
    assert parts.path == "/standins/wechat/sns/oauth2/access_token"
    assert parse_qsl(parts.query) == [
        ("appid", registry.WECHAT_APP_ID),
        ("secret", registry.WECHAT_APP_SECRET),
        ("code", code),
        ("grant_type", "authorization_code"),
    ]
    assert "Authorization" not in sent.headers
    assert adapter.timeouts == [3.5]


def test_person_without_unionid(wechat, browser):
    client = wechat()
    code = browser.new_code(client, with_unionid="")
    assert client.fetch_identity(code).unionid is None


def test_second_exchange_of_a_code_is_code_used(wechat, browser):
    client = wechat()
    code = browser.new_code(client)
    client.fetch_identity(code)
    with pytest.raises(ProviderError) as caught:
        client.fetch_identity(code)
    assert (caught.value.provider, caught.value.kind) == ("wechat", "code_used")
    assert caught.value.provider_code == "40163"
    assert "已被使用" in caught.value.message_zh
    assert code not in str(caught.value)


@pytest.mark.parametrize("code", ["0unknowncode00000000000000000000", ""])
def test_unknown_code_is_code_invalid(wechat, code):
    with pytest.raises(ProviderError) as caught:
        wechat().fetch_identity(code)
    assert caught.value.kind == "code_invalid"


def test_unknown_code_answers_errcode_40029(wechat):
    with pytest.raises(ProviderError) as caught:
        wechat().fetch_identity("0unknowncode00000000000000000000")
    assert caught.value.provider_code == "40029"


def test_code_expires_after_five_minutes(wechat, browser, set_clock):
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    set_clock(start)
    client = wechat()
    late, fresh = browser.new_code(client), browser.new_code(client)
    set_clock(start + timedelta(minutes=4, seconds=59))
    assert client.fetch_identity(fresh).subject
    set_clock(start + timedelta(minutes=5, seconds=1))
    with pytest.raises(ProviderError) as caught:
        client.fetch_identity(late)
    assert (caught.value.kind, caught.value.provider_code) == ("code_invalid", "40029")


@pytest.mark.parametrize(
    ("change", "errcode"),
    [({"app_secret": "wrong-secret"}, "40125"), ({"app_id": "wx0000000000000000"}, "40013")],
)
def test_wrong_credentials_are_rejected(wechat, browser, change, errcode):
    code = browser.new_code(wechat())
    with pytest.raises(ProviderError) as caught:
        wechat(**change).fetch_identity(code)
    assert (caught.value.kind, caught.value.provider_code) == ("rejected", errcode)
    assert "wrong-secret" not in str(caught.value)


def test_userinfo_scope_gives_nickname_and_avatar(wechat, browser, adapter):
    client = wechat(scope="snsapi_userinfo")
    code = browser.new_code(client, nickname="赵六")
    identity = client.fetch_identity(code)
    assert identity.nickname == "赵六"  # served as text/plain without charset: decoded as UTF-8
    assert identity.avatar_url and identity.avatar_url.startswith(
        f"{STANDIN_BASE}/standins/avatar/"
    )
    assert identity.unionid
    _token_call, userinfo_call = adapter.requests
    assert urlsplit(userinfo_call.url).path == "/standins/wechat/sns/userinfo"
    query = dict(parse_qsl(urlsplit(userinfo_call.url).query))
    assert query["openid"] == identity.subject and query["lang"] == "zh_CN"
    assert adapter.timeouts == [3.5, 3.5]
    avatar = browser.client.get(urlsplit(identity.avatar_url).path)
    assert avatar.status_code == 200 and avatar.mimetype == "image/svg+xml"


def test_snapshot_visitor_is_reported(wechat, browser, adapter):
    client = wechat(scope="snsapi_userinfo")
    code = browser.new_code(client, snapshot="1")
    identity = client.fetch_identity(code)
    assert identity.is_snapshot is True
    assert identity.unionid is None and identity.nickname is None
    assert len(adapter.requests) == 1  # a snapshot visitor cannot grant userinfo


def test_snapshot_token_body_carries_is_snapshotuser(standin_app, wechat, browser):
    code = browser.new_code(wechat(), snapshot="1")
    response = browser.client.get(
        "/standins/wechat/sns/oauth2/access_token",
        query_string={
            "appid": registry.WECHAT_APP_ID,
            "secret": registry.WECHAT_APP_SECRET,
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    body = json.loads(response.data)
    assert body["is_snapshotuser"] == 1 and body["scope"] == "snsapi_base"
    assert "unionid" not in body and "token_type" not in body
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "openid",
        "scope",
        "is_snapshotuser",
    }


def test_token_response_is_wechats_exact_json(wechat, browser):
    code = browser.new_code(wechat())
    response = browser.client.get(
        "/standins/wechat/sns/oauth2/access_token",
        query_string={
            "appid": registry.WECHAT_APP_ID,
            "secret": registry.WECHAT_APP_SECRET,
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/plain"
    body = json.loads(response.data)
    assert list(body) == [
        "access_token",
        "expires_in",
        "refresh_token",
        "openid",
        "scope",
        "unionid",
    ]
    assert body["expires_in"] == 7200
    again = json.loads(
        browser.client.get(response.request.full_path).data  # the same code again
    )
    assert again["errcode"] == 40163
    assert again["errmsg"].startswith("code been used, rid: ")


# --- outages and garbage -----------------------------------------------------------------


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError]
)
def test_wechat_down_is_unavailable_and_leaks_no_secret(wechat, adapter, failure):
    # urllib3's messages carry the URL, query (and secret) included
    leaky = f"Max retries exceeded with url: /sns/oauth2/access_token?secret={SECRET}"
    adapter.fail = failure(leaky)
    with pytest.raises(ProviderError) as caught:
        wechat().fetch_identity("0somecode")
    error = caught.value
    assert error.kind == "unavailable"
    assert "暂时无法响应" in error.message_zh
    assert error.__cause__ is None and error.__suppress_context__
    assert registry.WECHAT_APP_SECRET not in str(error)


def test_userinfo_down_is_unavailable(wechat, browser, http, standin_app):
    from app.standins.transport import WSGIAdapter

    client = wechat(scope="snsapi_userinfo")
    code = browser.new_code(client)

    class TokenOnly(WSGIAdapter):
        def send(self, request, **kwargs):
            if "/sns/userinfo" in request.url:
                raise requests.ReadTimeout("slow")
            return super().send(request, **kwargs)

    http.mount(STANDIN_BASE, TokenOnly(standin_app))
    with pytest.raises(ProviderError) as caught:
        client.fetch_identity(code)
    assert caught.value.kind == "unavailable"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "kind", "code"),
    [
        (200, "text/html", "<html><body>502 Bad Gateway</body></html>", "invalid_response", None),
        (200, "text/plain", "not json at all", "invalid_response", None),
        (200, "text/plain", b"\xff\xfe\x00garbage", "invalid_response", None),
        (200, "text/plain", "[1, 2, 3]", "invalid_response", None),
        (200, "text/plain", '{"access_token": "t", "expires_in": 7200}', "invalid_response", None),
        (200, "text/plain", '{"openid": "o123", "expires_in": 7200}', "invalid_response", None),
        (404, "text/html", "<h1>Not Found</h1>", "invalid_response", None),
        (502, "text/html", "<h1>Bad Gateway</h1>", "unavailable", "502"),
        (503, "", "", "unavailable", "503"),
        (200, "text/plain", '{"errcode": -1, "errmsg": "system error"}', "unavailable", "-1"),
        (200, "text/plain", '{"errcode": 40013, "errmsg": "invalid appid"}', "rejected", "40013"),
        (
            200,
            "text/plain",
            '{"errcode": 40029, "errmsg": "invalid code"}',
            "code_invalid",
            "40029",
        ),
    ],
)
def test_garbage_and_errors_from_the_token_endpoint(
    wechat, http, status, content_type, body, kind, code
):
    http.mount(STANDIN_BASE, FakeAdapter(body, status, content_type))
    with pytest.raises(ProviderError) as caught:
        wechat().fetch_identity("0somecode")
    assert caught.value.kind == kind
    assert caught.value.provider_code == code


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<html>oops</html>", "invalid_response"),
        ('{"openid": "o-someone-else", "nickname": "x"}', "invalid_response"),
        ('{"errcode": 40001, "errmsg": "invalid credential"}', "rejected"),
    ],
)
def test_garbage_from_userinfo(wechat, http, body, kind):
    token = json.dumps(
        {"access_token": "AT", "expires_in": 7200, "openid": "o-me", "scope": "snsapi_userinfo"}
    )

    class TwoAnswers(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            answer = FakeAdapter(
                body if "/sns/userinfo" in request.url else token, 200, "text/plain"
            )
            return answer.send(request)

        def close(self):
            pass

    http.mount(STANDIN_BASE, TwoAnswers())
    with pytest.raises(ProviderError) as caught:
        wechat(scope="snsapi_userinfo").fetch_identity("0somecode")
    assert caught.value.kind == kind


def test_provider_error_kinds_are_checked():
    with pytest.raises(ValueError):
        ProviderError("wechat", "exploded")
    with pytest.raises(ValueError):
        ProviderError("qq", "rejected")
