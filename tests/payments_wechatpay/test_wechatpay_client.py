"""The WeChat Pay client against the stand-in: the production code path, in-process."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.payments.providers import wechatpay as wxpay
from app.payments.providers.base import PaymentProviderError, RefundResult
from app.payments.providers.wechatpay import WeChatPayClient
from app.standins import wechatpay as standin
from app.standins.transport import WSGIAdapter
from tests.payments_wechatpay.wxpay_helpers import (
    MERCHANT_PUBLIC,
    PLATFORM_PRIVATE,
    RETURN_URL,
    STANDIN_BASE,
    TIMEOUT_S,
    FakeAdapter,
    RewritingAdapter,
    prepay_request,
    signed_fake,
)


def failure(call, *args, **kwargs) -> PaymentProviderError:
    with pytest.raises(PaymentProviderError) as caught:
        call(*args, **kwargs)
    assert caught.value.provider == "wechatpay"
    return caught.value


def client_with(config, adapter) -> WeChatPayClient:
    http = requests.Session()
    http.mount(STANDIN_BASE, adapter)
    return WeChatPayClient(config, http)


def pay(cashier, prepay_id: str):
    return cashier.post(
        "/standins/wechatpay/cashier/pay", data={"prepay_id": prepay_id, "action": "pay"}
    )


def prepay_id_of(result) -> str:
    return result.jsapi_params["package"].removeprefix("prepay_id=")


# --- prepay -----------------------------------------------------------------------------


def test_jsapi_prepay(client, config, adapter):
    result = client.create_prepay(prepay_request(), channel="jsapi")
    assert (result.provider, result.channel, result.out_trade_no) == (
        "wechatpay",
        "jsapi",
        "HMB20261123000001",
    )
    params = result.jsapi_params
    assert params is not None
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == standin.APP_ID
    assert params["signType"] == "RSA"
    assert params["package"].startswith("prepay_id=wx")
    message = (
        f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    ).encode()
    assert wxpay.rsa_verify(message, params["paySign"], MERCHANT_PUBLIC)
    # no WeixinJSBridge outside WeChat: the stand-in's cashier, coming back to return_url
    parts = urlsplit(result.pay_url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == f"{STANDIN_BASE}/standins/wechatpay/cashier"
    )
    query = parse_qs(parts.query)
    assert query == {"prepay_id": [prepay_id_of(result)], "redirect_url": [RETURN_URL]}
    # the request: signed, JSON, with WeChat's field names, the configured timeout
    sent = adapter.requests[-1]
    assert sent.method == "POST"
    assert sent.url == f"{STANDIN_BASE}/standins/wechatpay/v3/pay/transactions/jsapi"
    assert sent.headers["Authorization"].startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109"')
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert "huiminbao" in sent.headers["User-Agent"]
    body = json.loads(sent.body)
    assert body == {
        "appid": standin.APP_ID,
        "mchid": standin.MCH_ID,
        "description": "惠民保2026 个人保费",
        "out_trade_no": "HMB20261123000001",
        "time_expire": body["time_expire"],
        "notify_url": "http://merchant.test/pay/wechatpay/notify",
        "amount": {"total": 10000, "currency": "CNY"},
        "payer": {"openid": "oStandinPayer0000000000000001"},
    }
    assert body["time_expire"].endswith("+08:00")
    assert adapter.timeouts[-1] == TIMEOUT_S == config.timeout_s


def test_h5_prepay(client, adapter):
    result = client.create_prepay(prepay_request(openid=None), channel="h5")
    assert result.channel == "h5"
    assert result.jsapi_params is None
    assert result.pay_url is not None
    h5_url, _, redirect = result.pay_url.partition("&redirect_url=")
    assert h5_url.startswith(f"{STANDIN_BASE}/standins/wechatpay/cashier?prepay_id=wx")
    assert redirect == "http%3A%2F%2Fmerchant.test%2Fpay%2Freturn%3Forder%3DHMB1"
    body = json.loads(adapter.requests[-1].body)
    assert body["scene_info"] == {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}}
    assert "payer" not in body


def test_jsapi_needs_an_openid_and_channels_are_checked(client):
    with pytest.raises(ValueError):
        client.create_prepay(prepay_request(openid=None), channel="jsapi")
    with pytest.raises(ValueError):
        client.create_prepay(prepay_request(), channel="wap")
    with pytest.raises(ValueError):
        client.create_prepay(prepay_request(amount_fen=0), channel="jsapi")


def test_a_real_merchant_gets_no_cashier_url_for_jsapi(config, adapter):
    client = client_with(dataclasses.replace(config, is_standin=False), adapter)
    result = client.create_prepay(prepay_request(), channel="jsapi")
    assert result.pay_url is None
    assert result.jsapi_params is not None


def test_the_same_order_twice_gives_the_same_prepay_id(client):
    first = client.create_prepay(prepay_request(), channel="jsapi")
    second = client.create_prepay(prepay_request(), channel="jsapi")
    assert prepay_id_of(first) == prepay_id_of(second)


def test_the_same_order_number_with_another_amount_is_refused(client):
    client.create_prepay(prepay_request(), channel="jsapi")
    error = failure(client.create_prepay, prepay_request(amount_fen=99_00), channel="jsapi")
    assert (error.kind, error.provider_code) == ("rejected", "INVALID_REQUEST")
    assert "201" in error.detail and "商户订单号重复" in error.detail
    assert error.message_zh == "微信支付未能受理本次支付请求，请稍后再试。"


def test_a_paid_order_cannot_be_placed_again(client, cashier):
    result = client.create_prepay(prepay_request(), channel="jsapi")
    pay(cashier, prepay_id_of(result))
    error = failure(client.create_prepay, prepay_request(), channel="jsapi")
    assert error.provider_code == "ORDERPAID"


@pytest.mark.parametrize(
    "request_changes",
    [
        {"out_trade_no": "abc"},  # 6-32 characters
        {"description": "保" * 50},  # 150 bytes > 127
        {"notify_url": "http://merchant.test/notify?order=1"},  # no parameters allowed
    ],
)
def test_param_errors(client, request_changes):
    req = dataclasses.replace(prepay_request(), **request_changes)
    error = failure(client.create_prepay, req, channel="jsapi")
    assert (error.kind, error.provider_code) == ("rejected", "PARAM_ERROR")


# --- request signatures -------------------------------------------------------------------


def test_a_request_signed_with_another_key_is_refused(config, adapter):
    forged = dataclasses.replace(config, merchant_private_key_pem=PLATFORM_PRIVATE)
    error = failure(client_with(forged, adapter).create_prepay, prepay_request(), channel="jsapi")
    assert (error.kind, error.provider_code) == ("rejected", "SIGN_ERROR")


def test_a_request_body_tampered_after_signing_is_refused(config, adapter):
    tamper = RewritingAdapter(adapter, request_body=lambda b: b.replace(b"10000", b"00001"))
    error = failure(client_with(config, tamper).create_prepay, prepay_request(), channel="jsapi")
    assert (error.kind, error.provider_code) == ("rejected", "SIGN_ERROR")


def test_a_wrong_merchant_serial_is_refused(config, adapter):
    wrong = dataclasses.replace(config, merchant_serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    error = failure(client_with(wrong, adapter).query, "HMB20261123000001")
    assert error.provider_code == "SIGN_ERROR"


def test_an_unsigned_request_gets_a_signed_sign_error(standin_app):
    response = standin_app.test_client().post(
        "/standins/wechatpay/v3/pay/transactions/jsapi", json={"appid": standin.APP_ID}
    )
    assert response.status_code == 401
    assert response.get_json()["code"] == "SIGN_ERROR"
    assert response.headers["Wechatpay-Serial"] == standin.PLATFORM_SERIAL
    assert wxpay.rsa_verify(
        wxpay.response_message(
            response.headers["Wechatpay-Timestamp"],
            response.headers["Wechatpay-Nonce"],
            response.get_data(),
        ),
        response.headers["Wechatpay-Signature"],
        standin.read_key(standin.PLATFORM_PUBLIC_KEY_FILE),
    )


# --- response signatures and transport failures -----------------------------------------


def test_a_response_tampered_in_transit(config, adapter):
    tamper = RewritingAdapter(adapter, response_body=lambda b: b.replace(b'"wx', b'"wy'))
    error = failure(client_with(config, tamper).create_prepay, prepay_request(), channel="jsapi")
    assert error.kind == "bad_signature"


def test_a_response_from_an_unknown_platform_serial(config, adapter):
    other = dataclasses.replace(config, platform_serial="PUB_KEY_ID_0000000000000000000000000000")
    error = failure(client_with(other, adapter).create_prepay, prepay_request(), channel="jsapi")
    assert error.kind == "bad_signature"


def test_an_unsigned_success_response(config):
    fake = FakeAdapter(
        json.dumps({"prepay_id": "wx1"}), headers={"Content-Type": "application/json"}
    )
    error = failure(client_with(config, fake).create_prepay, prepay_request(), channel="jsapi")
    assert error.kind == "bad_signature"


def test_a_signed_response_that_is_not_json(config):
    error = failure(client_with(config, signed_fake("<html>ok</html>")).query, "HMB1000001")
    assert error.kind == "invalid_response"


def test_a_signed_response_without_prepay_id(config):
    error = failure(
        client_with(config, signed_fake("{}")).create_prepay, prepay_request(), channel="jsapi"
    )
    assert error.kind == "invalid_response"


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (500, '{"code":"SYSTEM_ERROR","message":"系统错误"}', "unavailable", "SYSTEM_ERROR"),
        (502, "<html>Bad Gateway</html>", "unavailable", None),
        (
            429,
            '{"code":"FREQUENCY_LIMITED","message":"频率超限"}',
            "unavailable",
            "FREQUENCY_LIMITED",
        ),
        (403, '{"code":"NO_AUTH","message":"商户无权限"}', "rejected", "NO_AUTH"),
        (404, "<html>Not Found</html>", "invalid_response", None),
        (302, "", "invalid_response", None),
    ],
)
def test_error_answers(config, status, body, kind, code):
    error = failure(client_with(config, FakeAdapter(body, status)).query, "HMB1000001")
    assert (error.kind, error.provider_code) == (kind, code)


@pytest.mark.parametrize(
    "exc", [requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError]
)
def test_timeouts_and_connection_errors_are_unavailable(config, standin_app, exc):
    adapter = WSGIAdapter(standin_app, fail=exc)
    client = client_with(config, adapter)
    error = failure(client.create_prepay, prepay_request(), channel="jsapi")
    assert error.kind == "unavailable"
    assert (
        error.message_en == "WeChat Pay is not responding right now. Please try again in a moment."
    )
    assert adapter.timeouts == [TIMEOUT_S]
    assert failure(client.query, "HMB1000001").kind == "unavailable"
    assert failure(client.refund, "HMB1000001", "R1", 1, 1, "").kind == "unavailable"


def test_errors_carry_no_secrets(config, adapter):
    forged = dataclasses.replace(config, merchant_private_key_pem=PLATFORM_PRIVATE)
    error = failure(client_with(forged, adapter).create_prepay, prepay_request(), channel="jsapi")
    text = f"{error} {error.detail} {error.message_en} {error.message_zh}"
    assert "PRIVATE KEY" not in text
    assert config.apiv3_key not in text
    assert "oStandinPayer" not in text


# --- query, close, refund -----------------------------------------------------------------


def test_query_follows_the_trade(client, cashier):
    result = client.create_prepay(prepay_request(), channel="jsapi")
    state = client.query("HMB20261123000001")
    assert (state.state, state.amount_fen, state.provider_trade_no) == ("unpaid", 100_00, None)
    pay(cashier, prepay_id_of(result))
    state = client.query("HMB20261123000001")
    assert state.state == "paid"
    assert state.amount_fen == 100_00
    assert state.provider_trade_no and len(state.provider_trade_no) == 28
    client.refund("HMB20261123000001", "RF1", 100_00, 100_00, "退保")
    assert client.query("HMB20261123000001").state == "refunded"


def test_query_of_a_closed_trade(client):
    client.create_prepay(prepay_request(), channel="h5")
    client.close("HMB20261123000001")
    assert client.query("HMB20261123000001").state == "closed"
    client.close("HMB20261123000001")  # closing twice is fine


def test_a_paid_trade_cannot_be_closed(client, cashier):
    pay(cashier, prepay_id_of(client.create_prepay(prepay_request(), channel="jsapi")))
    assert failure(client.close, "HMB20261123000001").provider_code == "ORDERPAID"


def test_query_of_an_unknown_trade(client, adapter):
    error = failure(client.query, "HMB-NOT-THERE")
    assert (error.kind, error.provider_code) == ("rejected", "ORDER_NOT_EXIST")
    assert adapter.requests[-1].url.endswith(
        "/v3/pay/transactions/out-trade-no/HMB-NOT-THERE?mchid=1900000109"
    )


@pytest.mark.parametrize(
    ("trade_state", "state"),
    [
        ("SUCCESS", "paid"),
        ("NOTPAY", "unpaid"),
        ("USERPAYING", "unpaid"),
        ("CLOSED", "closed"),
        ("REVOKED", "closed"),
        ("PAYERROR", "closed"),
        ("REFUND", "refunded"),
    ],
)
def test_query_state_mapping(config, trade_state, state):
    body = json.dumps(
        {
            "appid": config.app_id,
            "mchid": config.mch_id,
            "out_trade_no": "HMB1000001",
            "trade_state": trade_state,
            "amount": {"total": 100, "currency": "CNY"},
        }
    )
    assert client_with(config, signed_fake(body)).query("HMB1000001").state == state


def test_query_of_an_unknown_state_or_another_trade(config):
    body = {"appid": config.app_id, "mchid": config.mch_id, "out_trade_no": "HMB1000001"}
    unknown = json.dumps({**body, "trade_state": "MAYBE"})
    assert (
        failure(client_with(config, signed_fake(unknown)).query, "HMB1000001").kind
        == "invalid_response"
    )
    other = json.dumps({**body, "trade_state": "SUCCESS", "out_trade_no": "HMB2"})
    assert (
        failure(client_with(config, signed_fake(other)).query, "HMB1000001").kind
        == "invalid_response"
    )


def test_refunds(client, cashier, adapter):
    pay(cashier, prepay_id_of(client.create_prepay(prepay_request(), channel="jsapi")))
    first = client.refund("HMB20261123000001", "RF1", 40_00, 100_00, "部分退保")
    assert first.status == "success"
    assert first.out_refund_no == "RF1"
    assert first.provider_refund_id
    sent = json.loads(adapter.requests[-1].body)
    assert sent == {
        "out_trade_no": "HMB20261123000001",
        "out_refund_no": "RF1",
        "reason": "部分退保",
        "amount": {"refund": 4000, "total": 10000, "currency": "CNY"},
    }
    # the same out_refund_no again: the same refund, nothing more refunded
    assert client.refund("HMB20261123000001", "RF1", 40_00, 100_00, "部分退保") == first
    # 60 yuan remain: 60.01 is too much, 60 is fine, then nothing is left
    error = failure(client.refund, "HMB20261123000001", "RF2", 60_01, 100_00, "")
    assert (error.kind, error.provider_code) == ("rejected", "INVALID_REQUEST")
    assert client.refund("HMB20261123000001", "RF2", 60_00, 100_00, "").status == "success"
    assert failure(client.refund, "HMB20261123000001", "RF3", 1, 100_00, "").provider_code == (
        "INVALID_REQUEST"
    )


def test_refund_of_an_unpaid_or_unknown_trade(client):
    client.create_prepay(prepay_request(), channel="jsapi")
    assert failure(client.refund, "HMB20261123000001", "RF1", 1, 100_00, "").provider_code == (
        "INVALID_REQUEST"
    )
    assert failure(client.refund, "HMB-NOT-THERE", "RF1", 1, 1, "").provider_code == (
        "RESOURCE_NOT_EXISTS"
    )


def test_refund_arguments_are_checked(client):
    for refund_fen, total_fen in ((0, 100), (101, 100), (-1, 100)):
        with pytest.raises(ValueError):
            client.refund("HMB1000001", "RF1", refund_fen, total_fen, "")


@pytest.mark.parametrize(
    ("status", "expected"),
    [("SUCCESS", "success"), ("PROCESSING", "processing")],
)
def test_refund_statuses(config, status, expected):
    body = json.dumps(
        {"refund_id": "50000000382019052709732678859", "out_refund_no": "RF1", "status": status}
    )
    result = client_with(config, signed_fake(body)).refund("HMB1000001", "RF1", 1, 1, "")
    assert result == RefundResult("RF1", expected, "50000000382019052709732678859")


@pytest.mark.parametrize(
    ("status", "kind"), [("ABNORMAL", "rejected"), ("CLOSED", "rejected"), ("", "invalid_response")]
)
def test_refund_failures(config, status, kind):
    body = json.dumps({"refund_id": "5000", "out_refund_no": "RF1", "status": status})
    error = failure(client_with(config, signed_fake(body)).refund, "HMB1000001", "RF1", 1, 1, "")
    assert error.kind == kind
