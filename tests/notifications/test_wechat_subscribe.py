"""The WeChat subscription-notification channel against the WeChat stand-in: the exact
wire format, the access token's cache and refresh, and what is skipped or refused."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app.core.db import get_session
from app.notifications import service
from app.notifications.channels import ChannelError, Outgoing, Recipient, WeChatSubscribeChannel
from app.rules.terms import Text
from app.standins import registry
from app.standins.wechat_messages import TEMPLATE_ID

T0 = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
APP_ID = registry.WECHAT_APP_ID
BASE = "http://standins.test/standins/wechat"


def outgoing(**changes) -> Outgoing:
    base = Outgoing(
        id="01JMSG0000000000000000000A",
        member_id="01JMEMBER00000000000000000",
        kind="claim_status",
        claim_id="01JCLAIM000000000000000000",
        title=Text(zh="理赔审核通过", en="Claim approved"),
        body=Text(zh="赔付金额 1,234.00 元", en="Payout ¥1,234.00"),
        created_at=T0,
    )
    return dataclasses.replace(base, **changes)


def calls(adapter) -> list[tuple[str, str]]:
    """(method, path) of every request the channel made."""
    return [(r.method, urlsplit(r.url).path) for r in adapter.requests]


TOKEN = ("GET", "/standins/wechat/cgi-bin/token")
SEND = ("POST", "/standins/wechat/cgi-bin/message/subscribe/bizsend")


@pytest.fixture
def to(wechat_person):
    """A member reachable at the stand-in: their Recipient."""

    def make() -> Recipient:
        return Recipient("01JMEMBER00000000000000000", {APP_ID: wechat_person()})

    return make


def test_the_exact_wire_format(wechat_channel, wechat_adapter, wechat_store, to, set_clock):
    set_clock(T0)
    channel = wechat_channel(public_base_url="https://hmb.example.cn")
    recipient = to()
    openid = recipient.wechat_openids[APP_ID]
    channel.send(recipient, outgoing())

    token_req, send_req = wechat_adapter.requests
    assert token_req.method == "GET"
    assert token_req.url == (
        f"{BASE}/cgi-bin/token?grant_type=client_credential"
        f"&appid={APP_ID}&secret={registry.WECHAT_APP_SECRET}"
    )
    assert send_req.method == "POST"
    url = urlsplit(send_req.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{BASE}/cgi-bin/message/subscribe/bizsend"
    (name, token), *more = parse_qsl(url.query)
    assert name == "access_token" and len(token) > 100 and more == []
    assert send_req.headers["Content-Type"] == "application/json; charset=utf-8"
    expected = {
        "touser": openid,
        "template_id": TEMPLATE_ID,
        "page": "https://hmb.example.cn/#/claims/01JCLAIM000000000000000000",
        "data": {
            "thing1": {"value": "理赔审核通过"},
            "thing2": {"value": "赔付金额 1,234.00 元"},
            "time3": {"value": "2026-11-23 10:05"},
        },
    }
    assert json.loads(send_req.body.decode("utf-8")) == expected
    assert "\\u" not in send_req.body.decode("utf-8")  # UTF-8, not ASCII escapes
    (stored,) = wechat_store.sent(openid)
    assert stored["body"] == expected and stored["app_id"] == APP_ID


def test_without_a_public_address_there_is_no_page(wechat_channel, wechat_store, to):
    recipient = to()
    wechat_channel().send(recipient, outgoing())
    (stored,) = wechat_store.sent(recipient.wechat_openids[APP_ID])
    assert "page" not in stored["body"]


def test_long_texts_are_cut_to_what_wechat_accepts(wechat_channel, wechat_store, to):
    recipient = to()
    long = Text(zh="您的理赔申请需要补充材料：住院病历首页、费用明细清单、出院小结", en="x")
    wechat_channel().send(recipient, outgoing(title=long, body=long))
    (stored,) = wechat_store.sent(recipient.wechat_openids[APP_ID])
    data = stored["body"]["data"]
    assert data["thing1"]["value"] == "您的理赔申请需要补充材料：住院病历首页…"
    assert len(data["thing1"]["value"]) == 20 and data["thing2"] == data["thing1"]


def test_the_access_token_is_kept_until_shortly_before_it_expires(
    wechat_channel, wechat_adapter, to, set_clock
):
    set_clock(T0)
    channel = wechat_channel()
    channel.send(to(), outgoing())
    set_clock(T0 + timedelta(seconds=7200 - 301))
    channel.send(to(), outgoing())
    assert calls(wechat_adapter) == [TOKEN, SEND, SEND]
    set_clock(T0 + timedelta(seconds=7200 - 299))  # within 5 minutes of the end: a new one
    channel.send(to(), outgoing())
    assert calls(wechat_adapter) == [TOKEN, SEND, SEND, TOKEN, SEND]
    tokens = [
        dict(parse_qsl(urlsplit(r.url).query))["access_token"]
        for r in wechat_adapter.requests
        if r.method == "POST"
    ]
    assert tokens[0] == tokens[1] != tokens[2]


@pytest.mark.parametrize(
    ("spoil", "errcode"), [("invalidate_tokens", 40001), ("expire_tokens", 42001)]
)
def test_a_refused_token_is_refreshed_once_and_the_send_retried(
    wechat_channel, wechat_adapter, wechat_store, to, caplog, spoil, errcode
):
    channel = wechat_channel()
    channel.send(to(), outgoing())
    getattr(wechat_store, spoil)(APP_ID)  # e.g. another server fetched a newer token
    recipient = to()
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"):
        channel.send(recipient, outgoing())
    assert calls(wechat_adapter) == [TOKEN, SEND, SEND, TOKEN, SEND]
    assert f"errcode {errcode}" in caplog.text
    assert len(wechat_store.sent(recipient.wechat_openids[APP_ID])) == 1
    channel.send(to(), outgoing())  # the new token is kept
    assert calls(wechat_adapter)[-1] == SEND and calls(wechat_adapter).count(TOKEN) == 2


class Scripted(requests.adapters.BaseAdapter):
    """Answers token requests with a fresh token and sends with the given errcode."""

    def __init__(self, errcode: int) -> None:
        super().__init__()
        self.errcode = errcode
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        n = len(self.requests)
        if "/cgi-bin/token" in request.url:
            body = {"access_token": f"TOKEN{n}", "expires_in": 7200}
        else:
            body = {"errcode": self.errcode, "errmsg": "refused"}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def scripted_channel(adapter: Scripted) -> WeChatSubscribeChannel:
    def http() -> requests.Session:
        session = requests.Session()
        session.mount("https://", adapter)
        return session

    return WeChatSubscribeChannel(
        app_id="wxreal",
        app_secret="REAL-SECRET-VALUE",
        api_base="https://api.weixin.qq.com",
        template_id="tmpl",
        http=http,
    )


def test_the_token_is_refreshed_only_once(caplog):
    adapter = Scripted(40001)
    channel = scripted_channel(adapter)
    with pytest.raises(ChannelError) as caught:
        channel.send(Recipient("m1", {"wxreal": "o-1"}), outgoing())
    assert caught.value.code == "40001"
    assert [urlsplit(r.url).path for r in adapter.requests] == [
        "/cgi-bin/token",
        "/cgi-bin/message/subscribe/bizsend",
        "/cgi-bin/token",
        "/cgi-bin/message/subscribe/bizsend",
    ]
    # the refused token is not kept
    with pytest.raises(ChannelError):
        channel.send(Recipient("m1", {"wxreal": "o-1"}), outgoing())
    assert urlsplit(adapter.requests[4].url).path == "/cgi-bin/token"


def test_other_errcodes_fail_without_a_retry():
    adapter = Scripted(47003)
    with pytest.raises(ChannelError) as caught:
        scripted_channel(adapter).send(Recipient("m1", {"wxreal": "o-1"}), outgoing())
    assert caught.value.code == "47003"
    assert len(adapter.requests) == 2


def test_an_unknown_openid_is_a_failure(wechat_channel):
    with pytest.raises(ChannelError) as caught:
        wechat_channel().send(Recipient("m1", {APP_ID: "o" + "x" * 27}), outgoing())
    assert caught.value.code == "40003"


def test_a_member_who_refused_the_subscription_is_skipped(wechat_channel, wechat_store, to, caplog):
    recipient = to()
    wechat_store.refuse(APP_ID, recipient.wechat_openids[APP_ID])
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"):
        wechat_channel().send(recipient, outgoing())  # no error
    assert "has not accepted the subscription" in caplog.text
    assert wechat_store.sent(recipient.wechat_openids[APP_ID]) == []


@pytest.mark.parametrize(
    "openids", [{}, {"wx-some-other-app": "o-elsewhere"}], ids=["alipay-only", "other-app"]
)
def test_a_member_without_a_wechat_login_here_is_skipped(
    wechat_channel, wechat_adapter, caplog, openids
):
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"):
        wechat_channel().send(Recipient("01JMEMBER0", openids), outgoing())
    assert wechat_adapter.requests == []
    assert "member 01JMEMBER0 has no WeChat login at this app, not sent" in caplog.text


def test_an_outage_is_a_failure_that_names_no_secret(wechat_channel, wechat_adapter, to):
    channel = wechat_channel()
    wechat_adapter.fail = requests.ConnectTimeout
    with pytest.raises(ChannelError) as caught:
        channel.send(to(), outgoing())
    assert str(caught.value) == "wechat: token: ConnectTimeout"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    wechat_adapter.fail = None
    channel.send(to(), outgoing())  # token now cached
    wechat_adapter.fail = requests.ConnectionError
    with pytest.raises(ChannelError) as caught:
        channel.send(to(), outgoing())
    assert str(caught.value) == "wechat: bizsend: ConnectionError"
    assert registry.WECHAT_APP_SECRET not in str(caught.value)


# --- end to end: a message posted in a request reaches WeChat ---------------------------------


def test_a_posted_message_reaches_the_member_on_wechat(
    app,
    make_member,
    request_cycle,
    wechat_channel,
    wechat_http,
    wechat_store,
    wechat_person,
    set_clock,
):
    set_clock(T0)
    openid = wechat_person()
    member = make_member(wechat_openid=openid, alipay=True)
    app.extensions["notify_channel"] = wechat_channel()
    try:
        with request_cycle():
            service.post_message(
                get_session(),
                member_id=member.id,
                kind="claim_status",
                claim_id=None,
                title=Text(zh="理赔已受理", en="Claim received"),
                body=Text(zh="我们将在 30 日内审核", en="We will decide within 30 days"),
            )
        with request_cycle(status=409):  # a refused request sends nothing
            service.post_message(
                get_session(),
                member_id=member.id,
                kind="claim_status",
                claim_id=None,
                title=Text(zh="不会发送", en="never sent"),
                body=Text(zh="不会发送", en="never sent"),
            )
    finally:
        app.extensions.pop("notify_channel", None)
    (sent,) = wechat_store.sent(openid)
    assert sent["body"]["data"] == {
        "thing1": {"value": "理赔已受理"},
        "thing2": {"value": "我们将在 30 日内审核"},
        "time3": {"value": "2026-11-23 10:05"},
    }


def test_a_wrong_secret_is_a_failure(wechat_http, to):
    channel = WeChatSubscribeChannel(
        app_id=APP_ID,
        app_secret="not-the-secret",
        api_base=BASE,
        template_id=TEMPLATE_ID,
        http=wechat_http,
    )
    with pytest.raises(ChannelError) as caught:
        channel.send(to(), outgoing())
    assert caught.value.code == "40125"
    assert "not-the-secret" not in str(caught.value)


# --- the stand-in speaks WeChat's errors -------------------------------------------------------


def wechat_answer(resp) -> dict:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain"
    return json.loads(resp.get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "errcode"),
    [
        ({"grant_type": "authorization_code"}, 40002),
        ({}, 41002),
        ({"appid": "wx-unknown"}, 40013),
        ({"appid": APP_ID}, 41004),
        ({"appid": APP_ID, "secret": "wrong"}, 40125),
    ],
)
def test_standin_token_errors(wechat_standin, query, errcode):
    query = {"grant_type": "client_credential", **query}
    resp = wechat_standin.test_client().get("/standins/wechat/cgi-bin/token", query_string=query)
    assert wechat_answer(resp)["errcode"] == errcode


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"template_id": "other"}, 40037),
        ({"touser": ""}, 40003),
        ({"data": {"thing1": {"value": "x" * 21}}}, 47003),
        ({"data": {"thing2": {"value": ""}}}, 47003),
        ({"data": {"time3": {"value": "tomorrow"}}}, 47003),
        ({"page": 12}, 47003),
    ],
)
def test_standin_send_errors(wechat_standin, wechat_person, change, errcode):
    web = wechat_standin.test_client()
    token = wechat_answer(
        web.get(
            "/standins/wechat/cgi-bin/token",
            query_string={
                "grant_type": "client_credential",
                "appid": APP_ID,
                "secret": registry.WECHAT_APP_SECRET,
            },
        )
    )["access_token"]
    body = {
        "touser": wechat_person(),
        "template_id": TEMPLATE_ID,
        "data": {
            "thing1": {"value": "标题"},
            "thing2": {"value": "正文"},
            "time3": {"value": "2026-11-23 10:05"},
        },
    }
    data = change.pop("data", {})
    body.update(change)
    body["data"].update(data)
    url = "/standins/wechat/cgi-bin/message/subscribe/bizsend"
    answer = wechat_answer(web.post(url, query_string={"access_token": token}, json=body))
    assert answer["errcode"] == errcode
    assert wechat_answer(web.post(url, json=body))["errcode"] == 41001
    assert (
        wechat_answer(web.post(url, query_string={"access_token": "x"}, json=body))["errcode"]
        == 40001
    )
    assert (
        wechat_answer(web.post(url, query_string={"access_token": token}, data=b"{not json"))[
            "errcode"
        ]
        == 47001
    )
