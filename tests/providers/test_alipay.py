"""Alipay H5 authorization: the production client against the Alipay stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth.providers import alipay_sign
from app.auth.providers.base import ProviderError
from app.standins import registry
from tests.providers.helpers import (
    APP_CALLBACK,
    STANDIN_BASE,
    FakeAdapter,
    RewritingAdapter,
)

CALLBACK = APP_CALLBACK.format(provider="alipay")
TOKEN_KEY = "alipay_system_oauth_token_response"
APP_PUBLIC = registry.read_key(registry.APP_PUBLIC_KEY_FILE)
ALIPAY_PRIVATE = registry.read_key(registry.ALIPAY_PRIVATE_KEY_FILE)


def _other_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# --- the authorize URL and the pages -----------------------------------------------------


def test_authorize_url_has_alipays_shape(alipay):
    url = alipay(scope="auth_user").authorize_url(
        redirect_uri="https://hmb.example.cn/auth/alipay/callback", state="Zz9"
    )
    assert url == (
        f"{STANDIN_BASE}/standins/alipay/oauth2/publicAppAuthorize.htm"
        "?app_id=2021000000000000&scope=auth_user"
        "&redirect_uri=https%3A%2F%2Fhmb.example.cn%2Fauth%2Falipay%2Fcallback&state=Zz9"
    )


def test_picker_redirects_with_auth_code_and_alipays_extras(alipay, browser):
    url = alipay().authorize_url(redirect_uri=CALLBACK, state="s7")
    html = browser.open(url).get_data(as_text=True)
    assert 'data-provider="alipay"' in html and "open_id" in html
    assert "<script" not in html and "style=" not in html
    query = browser.authorize(url, action="create", nickname="钱七")
    assert list(query) == ["auth_code", "state", "app_id", "source", "scope"]
    assert query["state"] == "s7" and query["app_id"] == registry.ALIPAY_APP_ID
    assert query["source"] == "alipay_wallet" and query["scope"] == "auth_base"
    assert len(query["auth_code"]) == 32 and "code" not in query


def test_refusal_redirects_with_the_state_only(alipay, browser):
    url = alipay().authorize_url(redirect_uri=CALLBACK, state="s8")
    assert browser.authorize(url, action="refuse") == {"state": "s8"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"app_id": "2021999999999999"}, "invalid-app-id"),
        ({"scope": "auth_admin"}, "invalid-scope"),
        ({"redirect_uri": "ftp://x/cb"}, "10003"),
    ],
)
def test_authorize_page_refuses_bad_parameters(alipay, browser, change, code):
    parts = urlsplit(alipay().authorize_url(redirect_uri=CALLBACK, state="s"))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | change
    page = browser.client.get(parts.path, query_string=query)
    assert page.status_code == 400
    assert f'data-code="{code}"' in page.get_data(as_text=True)


# --- the code exchange -------------------------------------------------------------------


def test_exchange_gives_user_id_and_open_id(alipay, browser, adapter, set_clock):
    set_clock(datetime(2026, 3, 1, 1, 2, 3, tzinfo=UTC))
    client = alipay()
    code = browser.new_code(client)
    identity = client.fetch_identity(code)
    assert identity.provider == "alipay" and identity.app_id == registry.ALIPAY_APP_ID
    assert identity.user_id and identity.user_id.startswith("2088")
    assert len(identity.user_id) == 16 and identity.user_id.isdigit()
    assert identity.subject and identity.subject != identity.user_id  # open_id preferred
    assert identity.unionid is None and identity.nickname is None
    assert identity.is_snapshot is False
    # the wire: a signed form POST to the gateway with charset in the query
    (sent,) = adapter.requests
    assert sent.method == "POST"
    assert sent.url == f"{STANDIN_BASE}/standins/alipay/gateway.do?charset=utf-8"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(sent.body).items()}
    assert form == {
        "app_id": registry.ALIPAY_APP_ID,
        "method": "alipay.system.oauth.token",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-03-01 09:02:03",  # Asia/Shanghai
        "version": "1.0",
        "grant_type": "authorization_code",
        "code": code,
        "sign": form["sign"],
    }
    assert alipay_sign.verify_params(form, APP_PUBLIC)
    assert adapter.timeouts == [3.5]


def test_open_id_only_app(alipay, browser):
    client = alipay(scope="auth_user")
    code = browser.new_code(client, nickname="孙八", open_id_only="1")
    identity = client.fetch_identity(code)
    assert identity.user_id is None
    assert identity.subject and not identity.subject.startswith("2088")
    assert identity.nickname == "孙八"


def test_reused_auth_code_is_code_invalid(alipay, browser):
    client = alipay()
    code = browser.new_code(client)
    client.fetch_identity(code)
    with pytest.raises(ProviderError) as caught:
        client.fetch_identity(code)
    error = caught.value
    assert (error.provider, error.kind, error.provider_code) == (
        "alipay",
        "code_invalid",
        "isv.code-invalid",
    )
    assert "支付宝" in error.message_zh and code not in str(error)


def test_unknown_auth_code_is_code_invalid(alipay):
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("0" * 32)
    assert caught.value.kind == "code_invalid"


def test_auth_user_gives_nickname_and_avatar(alipay, browser, adapter):
    client = alipay(scope="auth_user")
    code = browser.new_code(client, nickname="周九")
    identity = client.fetch_identity(code)
    assert identity.nickname == "周九"
    assert identity.avatar_url and identity.avatar_url.startswith(f"{STANDIN_BASE}/standins/")
    assert identity.user_id
    token_call, info_call = adapter.requests
    token = {k: v[0] for k, v in parse_qs(token_call.body).items()}
    info = {k: v[0] for k, v in parse_qs(info_call.body).items()}
    assert info["method"] == "alipay.user.info.share"
    assert "auth_token" in info and "code" not in info and token["code"]
    assert alipay_sign.verify_params(info, APP_PUBLIC)


def test_user_info_needs_an_auth_user_grant(alipay, browser):
    client = alipay()  # auth_base
    code = browser.new_code(client)
    token = client.call(
        "alipay.system.oauth.token", {"grant_type": "authorization_code", "code": code}
    )
    with pytest.raises(ProviderError) as caught:
        client.call("alipay.user.info.share", {"auth_token": token["access_token"]})
    assert caught.value.kind == "rejected"
    assert caught.value.provider_code == "isv.insufficient-user-permissions"
    with pytest.raises(ProviderError) as caught:
        client.call("alipay.user.info.share", {"auth_token": "authusrBnothing"})
    assert caught.value.provider_code == "aop.invalid-auth-token"


# --- signatures --------------------------------------------------------------------------


def _flip_in_value(text: str) -> str:
    """Change one character inside the signed response value (the open_id's first)."""
    at = text.index('"open_id":"') + len('"open_id":"')
    return text[:at] + ("X" if text[at] != "X" else "Y") + text[at + 1 :]


def test_tampered_response_is_bad_signature(alipay, browser, http, adapter):
    client = alipay()
    code = browser.new_code(client)
    http.mount(STANDIN_BASE, RewritingAdapter(adapter, _flip_in_value))
    with pytest.raises(ProviderError) as caught:
        client.fetch_identity(code)
    assert caught.value.kind == "bad_signature"
    assert "验签" in caught.value.message_zh


def test_response_signed_with_the_wrong_key_is_bad_signature(alipay, http):
    value = {"user_id": "2088000000000001", "open_id": "0abc", "access_token": "authusrB1"}
    body = alipay_sign.signed_body(TOKEN_KEY, value, _other_private_key())
    http.mount(STANDIN_BASE, FakeAdapter(body, 200, "text/html;charset=utf-8"))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "bad_signature"


def test_unsigned_success_is_bad_signature(alipay, http):
    body = json.dumps({TOKEN_KEY: {"user_id": "2088000000000001", "access_token": "a"}})
    http.mount(STANDIN_BASE, FakeAdapter(body, 200))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "bad_signature"


def test_signature_is_checked_over_the_raw_text_not_a_reserialization(alipay, http):
    # Alipay's JSON escapes '/' as '\/' and may space it out: a client that re-serializes
    # the parsed value before verifying would reject this genuine answer
    content = (
        '{"user_id":"2088000000000001", "open_id":"0abc","access_token":"authusrB\\/1",'
        '"expires_in":3600}'
    )
    sign = alipay_sign.sign_text(content, ALIPAY_PRIVATE)
    body = f'{{"{TOKEN_KEY}":{content},"sign":"{sign}"}}'
    http.mount(STANDIN_BASE, FakeAdapter(body, 200, "text/html;charset=utf-8"))
    identity = alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert identity.user_id == "2088000000000001" and identity.subject == "0abc"
    # and the same value signed over a re-serialization does not verify
    resigned = alipay_sign.sign_text(json.dumps(json.loads(content)), ALIPAY_PRIVATE)
    http.mount(STANDIN_BASE, FakeAdapter(body.replace(sign, resigned), 200))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "bad_signature"


def test_request_signed_with_a_wrong_app_key_is_rejected(alipay, browser):
    code = browser.new_code(alipay())
    with pytest.raises(ProviderError) as caught:
        alipay(app_private_key_pem=_other_private_key()).fetch_identity(code)
    assert (caught.value.kind, caught.value.provider_code) == ("rejected", "isv.invalid-signature")
    # the code was not spent by the refused call
    assert alipay().fetch_identity(code).user_id


def test_gateway_answers_invalid_signature_in_alipays_shape(browser):
    params = {
        "app_id": registry.ALIPAY_APP_ID,
        "method": "alipay.system.oauth.token",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-03-01 09:00:00",
        "version": "1.0",
        "grant_type": "authorization_code",
        "code": "x",
        "sign": "AAAA",
    }
    response = browser.client.post("/standins/alipay/gateway.do?charset=utf-8", data=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    text = response.get_data(as_text=True)
    part = alipay_sign.split_response(text, TOKEN_KEY)
    assert part is not None and part.key == "error_response"
    assert part.value["code"] == "40002" and part.value["msg"] == "Invalid Arguments"
    assert part.value["sub_code"] == "isv.invalid-signature"
    public = registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)
    assert part.sign and alipay_sign.verify(part.content, part.sign, public)


@pytest.mark.parametrize(
    ("body", "kind", "code"),
    [
        # an unsigned error is still an error (Alipay's SDKs accept those)
        (
            '{"error_response":{"code":"40002","msg":"Invalid Arguments",'
            '"sub_code":"isv.code-invalid","sub_msg":"授权码code无效"}}',
            "code_invalid",
            "isv.code-invalid",
        ),
        (
            '{"error_response":{"code":"20000","msg":"Service Currently Unavailable",'
            '"sub_code":"isp.unknow-error"}}',
            "unavailable",
            "isp.unknow-error",
        ),
        (
            '{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"},"sign":"AAAA"}',
            "bad_signature",
            None,
        ),
        ("<html>502</html>", "invalid_response", None),
        ('{"something_else":{}}', "invalid_response", None),
        (f'{{"{TOKEN_KEY}":"a string"}}', "invalid_response", None),
        (b"\xff\xfe", "invalid_response", None),
    ],
)
def test_errors_and_garbage_from_the_gateway(alipay, http, body, kind, code):
    http.mount(STANDIN_BASE, FakeAdapter(body, 200, "text/html;charset=utf-8"))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == kind
    assert caught.value.provider_code == code


def test_signed_token_without_a_user_is_invalid(alipay, http):
    body = alipay_sign.signed_body(TOKEN_KEY, {"access_token": "authusrB1"}, ALIPAY_PRIVATE)
    http.mount(STANDIN_BASE, FakeAdapter(body, 200))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "invalid_response"


# --- outages -----------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [requests.ConnectTimeout, requests.ReadTimeout])
def test_alipay_down_is_unavailable(alipay, adapter, failure):
    adapter.fail = failure
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "unavailable"
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_alipay_5xx_is_unavailable(alipay, http, status):
    http.mount(STANDIN_BASE, FakeAdapter("<html>busy</html>", status, "text/html"))
    with pytest.raises(ProviderError) as caught:
        alipay().fetch_identity("4b203fe6c11548bcabd8da5bb087a83b")
    assert caught.value.kind == "unavailable"
