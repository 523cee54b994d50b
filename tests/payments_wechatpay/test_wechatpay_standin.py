"""The WeChat Pay stand-in's cashier: the page, paying, the notice it delivers, retries."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from app.core import clock
from app.payments.providers import wechatpay as wxpay
from app.payments.providers.base import PaymentNotice
from app.standins import wechatpay as standin
from app.standins.transport import WSGIAdapter
from tests.payments_wechatpay.wxpay_helpers import (
    MERCHANT_PRIVATE,
    RETURN_URL,
    STANDIN_BASE,
    prepay_request,
)

CASHIER = "/standins/wechatpay/cashier"


def local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == STANDIN_BASE
    return f"{parts.path}?{parts.query}"


def open_jsapi(client, cashier, **changes):
    result = client.create_prepay(prepay_request(**changes), channel="jsapi")
    prepay_id = result.jsapi_params["package"].removeprefix("prepay_id=")
    return result, prepay_id, cashier.get(local(result.pay_url))


def test_the_cashier_page(client, cashier):
    _, prepay_id, page = open_jsapi(client, cashier)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'data-testid="wechatpay-cashier"' in html
    assert "¥</span>100.00" in html
    assert "惠民保2026 个人保费" in html
    assert standin.MERCHANT_NAME_ZH in html and standin.MERCHANT_NAME_EN in html
    assert "确认支付" in html and "取消" in html
    assert "Pay" in html and "Cancel" in html
    assert f'value="{prepay_id}"' in html
    assert f'value="{RETURN_URL}"' in html
    # the app's CSP holds: no inline script or style
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert "standins/wechatpay.css" in html
    css = cashier.get("/static/standins/wechatpay.css")
    assert css.status_code == 200
    css.close()


def test_the_h5_url_opens_the_cashier(client, cashier):
    result = client.create_prepay(prepay_request(openid=None), channel="h5")
    page = cashier.get(local(result.pay_url))
    assert page.status_code == 200
    assert "确认支付" in page.get_data(as_text=True)


def test_an_unknown_prepay_id(cashier):
    page = cashier.get(f"{CASHIER}?prepay_id=wx0000")
    assert page.status_code == 404
    assert 'data-kind="unknown"' in page.get_data(as_text=True)


def test_paying_delivers_a_notice_the_client_accepts(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    response = cashier.post(
        f"{CASHIER}/pay", data={"prepay_id": prepay_id, "redirect_url": RETURN_URL, "action": "pay"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == RETURN_URL
    assert len(notify.received) == 1
    headers, body = notify.received[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Wechatpay-Serial"] == standin.PLATFORM_SERIAL
    parsed = client.parse_notice(headers, body, clock.now())
    state = client.query("HMB20261123000001")
    assert parsed == PaymentNotice(
        provider="wechatpay",
        out_trade_no="HMB20261123000001",
        provider_trade_no=state.provider_trade_no,
        amount_fen=100_00,
        paid=True,
        app_id=standin.APP_ID,
        mch_id=standin.MCH_ID,
        event_id=json.loads(body)["id"],
    )
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", parsed.event_id
    )
    deliveries = cashier.get(f"{CASHIER}/deliveries?out_trade_no=HMB20261123000001").get_json()
    assert [(d["ok"], d["http_status"], d["notice_id"]) for d in deliveries["deliveries"]] == [
        (True, 204, parsed.event_id)
    ]


def test_the_notice_plaintext_is_wechats_transaction(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    envelope = json.loads(notify.received[0][1])
    resource = envelope["resource"]
    plain = json.loads(
        wxpay.aead_decrypt(
            standin.APIV3_KEY,
            resource["nonce"],
            resource["associated_data"],
            resource["ciphertext"],
        )
    )
    assert set(plain) == {
        "appid",
        "mchid",
        "out_trade_no",
        "transaction_id",
        "trade_type",
        "trade_state",
        "trade_state_desc",
        "bank_type",
        "attach",
        "success_time",
        "payer",
        "amount",
    }
    assert plain["trade_type"] == "JSAPI"
    assert plain["trade_state"] == "SUCCESS"
    assert plain["payer"] == {"openid": "oStandinPayer0000000000000001"}
    assert plain["amount"] == {
        "total": 10000,
        "payer_total": 10000,
        "currency": "CNY",
        "payer_currency": "CNY",
    }
    assert plain["success_time"].endswith("+08:00")


def test_without_a_return_url_the_cashier_says_paid(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier, return_url="")
    page = cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-kind="paid"' in html and "支付成功" in html and "100.00" in html
    assert len(notify.received) == 1


def test_the_h5_return_url_is_remembered(client, cashier, notify):
    result = client.create_prepay(prepay_request(openid=None), channel="h5")
    page = cashier.get(local(result.pay_url))
    prepay_id = re.search(r'name="prepay_id" value="([^"]+)"', page.get_data(as_text=True))[1]
    # the form's redirect_url left out: the one the cashier was opened with is used
    response = cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    assert response.headers["Location"] == RETURN_URL
    headers, body = notify.received[0]
    assert client.parse_notice(headers, body, clock.now()).paid


def test_paying_twice_delivers_once(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    for _ in range(2):
        cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    assert len(notify.received) == 1
    again = cashier.get(f"{CASHIER}?prepay_id={prepay_id}")
    assert 'data-kind="paid"' in again.get_data(as_text=True)


def test_redelivery_sends_the_same_notice(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    answer = cashier.post(f"{CASHIER}/redeliver?out_trade_no=HMB20261123000001")
    assert answer.status_code == 200
    assert answer.get_json()["ok"] is True
    assert len(notify.received) == 2
    first, second = (client.parse_notice(h, b, clock.now()) for h, b in notify.received)
    assert first == second
    assert (
        json.loads(notify.received[0][1])["create_time"]
        == json.loads(notify.received[1][1])["create_time"]
    )


def test_redelivery_of_unknown_or_unpaid_orders(client, cashier):
    assert cashier.post(f"{CASHIER}/redeliver?out_trade_no=HMB-NONE").status_code == 404
    open_jsapi(client, cashier)
    assert cashier.post(f"{CASHIER}/redeliver?out_trade_no=HMB20261123000001").status_code == 400


@pytest.mark.parametrize("status", [500, 400])
def test_a_failed_delivery_is_recorded_and_the_payer_still_returns(client, cashier, notify, status):
    notify.status = status
    _, prepay_id, _ = open_jsapi(client, cashier)
    response = cashier.post(
        f"{CASHIER}/pay", data={"prepay_id": prepay_id, "redirect_url": RETURN_URL, "action": "pay"}
    )
    assert response.status_code == 302
    assert client.query("HMB20261123000001").state == "paid"
    deliveries = cashier.get(f"{CASHIER}/deliveries?out_trade_no=HMB20261123000001").get_json()
    assert [(d["ok"], d["http_status"]) for d in deliveries["deliveries"]] == [(False, status)]
    # WeChat retries; here a developer does, once the endpoint works
    notify.status = 204
    assert cashier.post(f"{CASHIER}/redeliver?out_trade_no=HMB20261123000001").get_json()["ok"]


def test_an_unreachable_notify_url_is_recorded(client, cashier, standin_app):
    result = client.create_prepay(prepay_request(), channel="jsapi")
    prepay_id = result.jsapi_params["package"].removeprefix("prepay_id=")

    def failing() -> requests.Session:
        session = requests.Session()
        session.mount(
            "http://merchant.test", WSGIAdapter(standin_app, fail=requests.ConnectTimeout)
        )
        return session

    standin_app.extensions["standin_http"] = failing
    cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
    deliveries = cashier.get(f"{CASHIER}/deliveries?out_trade_no=HMB20261123000001").get_json()
    assert [(d["ok"], d["http_status"], d["error"]) for d in deliveries["deliveries"]] == [
        (False, None, "ConnectTimeout")
    ]


def test_cancel_goes_back_without_paying(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    response = cashier.post(
        f"{CASHIER}/pay",
        data={"prepay_id": prepay_id, "redirect_url": RETURN_URL, "action": "cancel"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == RETURN_URL
    assert notify.received == []
    assert client.query("HMB20261123000001").state == "unpaid"


def test_an_expired_order_cannot_be_paid(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier, expires_in=timedelta(minutes=1))
    later = clock.now() + timedelta(minutes=2)
    clock.set_clock(lambda: later)
    try:
        page = cashier.get(f"{CASHIER}?prepay_id={prepay_id}")
        assert page.status_code == 400
        assert 'data-kind="closed"' in page.get_data(as_text=True)
        paid = cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"})
        assert paid.status_code == 400
    finally:
        clock.set_clock(None)
    assert notify.received == []


def test_a_closed_order_cannot_be_paid(client, cashier, notify):
    _, prepay_id, _ = open_jsapi(client, cashier)
    client.close("HMB20261123000001")
    assert (
        cashier.post(f"{CASHIER}/pay", data={"prepay_id": prepay_id, "action": "pay"}).status_code
        == 400
    )
    assert notify.received == []


@pytest.mark.parametrize(("skew", "status"), [(-600, 401), (600, 401), (-240, 404)])
def test_requests_with_a_stale_timestamp_are_refused(cashier, skew, status):
    """The merchant's clock 10 minutes off: WeChat Pay refuses the signature."""
    path = "/standins/wechatpay/v3/pay/transactions/out-trade-no/HMB1000001?mchid=1900000109"
    header = wxpay.authorization_header(
        mch_id=standin.MCH_ID,
        serial_no=standin.MERCHANT_SERIAL,
        private_key_pem=MERCHANT_PRIVATE,
        method="GET",
        canonical_url=path,
        body="",
        timestamp=str(int(clock.now().timestamp()) + skew),
    )
    response = cashier.get(path, headers={"Authorization": header})
    assert response.status_code == status  # 404: signed fine, the order does not exist
    assert response.get_json()["code"] == ("SIGN_ERROR" if status == 401 else "ORDER_NOT_EXIST")


def test_a_request_for_another_merchant(cashier):
    path = "/standins/wechatpay/v3/pay/transactions/out-trade-no/HMB1000001?mchid=1230000109"
    header = wxpay.authorization_header(
        mch_id="1230000109",
        serial_no=standin.MERCHANT_SERIAL,
        private_key_pem=MERCHANT_PRIVATE,
        method="GET",
        canonical_url=path,
        body="",
    )
    response = cashier.get(path, headers={"Authorization": header})
    assert (response.status_code, response.get_json()["code"]) == (400, "MCH_NOT_EXISTS")


def test_the_store_is_shared_by_two_app_instances(wxpay_apps, client, wxpay_db):
    _, prepay_id, _ = open_jsapi(client, wxpay_apps().test_client())
    other = wxpay_apps().test_client()  # another gunicorn worker
    assert other.get(f"{CASHIER}?prepay_id={prepay_id}").status_code == 200
    with closing(sqlite3.connect(wxpay_db)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"wechatpay_transactions", "wechatpay_refunds", "wechatpay_deliveries"} <= tables
