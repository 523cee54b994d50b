"""The Alipay payment stand-in: the cashier page, notice delivery, the return, its store."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import requests

from app.auth.providers import alipay_sign
from app.payments.providers.alipay_pay import AlipayPayClient
from app.payments.providers.base import NoticeRejected, PaymentProviderError
from app.standins import registry
from app.standins.alipay_pay import PAY_METHODS, SELLER_ID, PayStore, handle_gateway
from app.standins.store import StandinStore
from app.standins.transport import WSGIAdapter
from tests.payments_alipay.pay_helpers import (
    NOTIFY_URL,
    RETURN_URL,
    STANDIN_BASE,
    Cashier,
    query_of,
)

ALIPAY_PUBLIC = registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)
OUT_TRADE_NO = "HMB2026030100001"


def _data_code(response) -> str:
    return response.get_data(as_text=True).split('data-code="')[1].split('"')[0]


# --- the cashier page --------------------------------------------------------------------


def test_cashier_page_shows_the_order(alipay, order, cashier, clock_at):
    page = cashier.open(alipay().create_prepay(order()).pay_url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'data-testid="standin-cashier"' in html and 'data-status="WAIT_BUYER_PAY"' in html
    assert "129.00" in html and "惠民保 2026 年度保费" in html
    assert "确认付款" in html and "取消" in html and "Confirm payment" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "standins/alipay-pay.css" in html
    with cashier.client.get("/static/standins/alipay-pay.css") as css:
        assert css.status_code == 200 and b".pay-amount" in css.get_data()


def test_cashier_refuses_a_request_with_a_bad_signature(alipay, order, cashier, clock_at):
    url = alipay().create_prepay(order()).pay_url
    params = query_of(url)
    biz = json.loads(params["biz_content"]) | {"total_amount": "0.01"}
    params["biz_content"] = json.dumps(biz, ensure_ascii=False, separators=(",", ":"))
    page = cashier.client.get("/standins/alipay/gateway.do?" + urlencode(params))
    assert page.status_code == 400
    assert _data_code(page) == "isv.invalid-signature"
    assert PayStore(cashier_db(cashier)).trade(registry.ALIPAY_APP_ID, OUT_TRADE_NO) is None


def cashier_db(cashier: Cashier) -> str:
    return cashier.client.application.extensions["settings"].standin_db


def test_cashier_refuses_another_apps_key(alipay, order, cashier, clock_at):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    url = alipay(app_private_key_pem=other.decode()).create_prepay(order()).pay_url
    assert _data_code(cashier.open(url)) == "isv.invalid-signature"


def test_reopening_the_cashier(alipay, order, cashier, clock_at):
    client = alipay()
    first = cashier.open(client.create_prepay(order()).pay_url)
    again = cashier.open(client.create_prepay(order()).pay_url)
    assert first.status_code == again.status_code == 200
    trade_no = client.query(OUT_TRADE_NO).provider_trade_no
    assert trade_no and trade_no in again.get_data(as_text=True)
    # the same out_trade_no for another amount: Alipay's "交易信息被篡改"
    changed = cashier.open(client.create_prepay(order(amount_fen=100)).pay_url)
    assert changed.status_code == 400 and _data_code(changed) == "ACQ.CONTEXT_INCONSISTENT"
    # once paid, the cashier does not open again
    cashier.pay(client.create_prepay(order()).pay_url)
    paid = cashier.open(client.create_prepay(order()).pay_url)
    assert _data_code(paid) == "ACQ.TRADE_HAS_SUCCESS"


def test_cashier_refuses_a_wrong_product_code(alipay, cashier, clock_at):
    client = alipay()
    biz = {"out_trade_no": "X1", "total_amount": "1.00", "subject": "s", "product_code": "FAST"}
    params = client.gateway.request_params(
        "alipay.trade.wap.pay",
        {"biz_content": json.dumps(biz), "return_url": RETURN_URL},
    )
    page = cashier.client.get("/standins/alipay/gateway.do?" + urlencode(params))
    assert _data_code(page) == "ACQ.PRODUCT_CODE_NOT_SUPPORTED"


def test_the_form_post_variant_opens_the_cashier_too(alipay, order, cashier, clock_at):
    params = query_of(alipay().create_prepay(order()).pay_url)
    page = cashier.client.post("/standins/alipay/gateway.do?charset=utf-8", data=params)
    assert page.status_code == 200 and "129.00" in page.get_data(as_text=True)


def test_cancel_goes_back_to_the_quit_url(alipay, order, cashier, sink, clock_at):
    cashier.open(alipay().create_prepay(order()).pay_url)
    response = cashier.press("cancel", OUT_TRADE_NO)
    assert response.status_code == 302 and response.headers["Location"] == RETURN_URL
    assert sink.forms == []
    assert alipay().query(OUT_TRADE_NO).state == "unpaid"


def test_an_expired_trade_cannot_be_paid(alipay, order, cashier, set_clock, sink):
    set_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    url = alipay().create_prepay(order(expires_at=datetime(2026, 3, 1, 1, 15, tzinfo=UTC))).pay_url
    assert cashier.open(url).status_code == 200
    set_clock(datetime(2026, 3, 1, 1, 15, tzinfo=UTC))
    response = cashier.press("pay", OUT_TRADE_NO)
    assert response.status_code == 400 and _data_code(response) == "ACQ.TRADE_HAS_CLOSE"
    assert sink.forms == []


# --- paying: the notice and the return ---------------------------------------------------


def test_paying_delivers_a_notice_the_client_accepts(alipay, order, cashier, sink, clock_at):
    client = alipay()
    query = cashier.pay(client.create_prepay(order()).pay_url)
    (form,) = sink.forms
    # the wire: a form-encoded POST of decoded values, verified as delivered
    assert b"notify_type=trade_status_sync" in sink.raw_bodies[0]
    assert form["sign_type"] == "RSA2" and form["notify_type"] == "trade_status_sync"
    assert form["fund_bill_list"].startswith('[{"amount":"129.00"')
    assert form["subject"] == "惠民保 2026 年度保费"
    assert form["gmt_payment"] == "2026-03-01 09:02:03"
    notice = client.parse_notice(form)
    assert notice.paid and notice.amount_fen == 12900
    assert notice.out_trade_no == OUT_TRADE_NO and notice.app_id == registry.ALIPAY_APP_ID
    assert notice.mch_id == SELLER_ID and notice.event_id == form["notify_id"]
    assert notice.provider_trade_no == query["trade_no"]
    # the browser goes back with Alipay's signed return parameters, the app's own kept
    assert set(query) == {
        "order",
        "out_trade_no",
        "trade_no",
        "total_amount",
        "app_id",
        "method",
        "sign",
        "sign_type",
        "timestamp",
        "charset",
        "version",
        "seller_id",
        "auth_app_id",
    }
    assert query["order"] == "o1" and query["method"] == "alipay.trade.wap.pay.return"
    assert query["total_amount"] == "129.00" and query["timestamp"] == "2026-03-01 09:02:03"
    returned = {k: v for k, v in query.items() if k != "order"}
    assert client.verify_return(returned)
    assert alipay_sign.verify_params(returned, ALIPAY_PUBLIC, exclude=("sign", "sign_type"))
    deliveries = cashier.client.get(
        "/standins/alipay-pay/deliveries", query_string={"out_trade_no": OUT_TRADE_NO}
    ).get_json()
    assert deliveries == [{"notify_id": form["notify_id"], "status_code": 200, "acked": True}]


def test_the_notify_endpoint_answering_with_the_client(alipay, order, cashier, sink, clock_at):
    client = alipay()

    def handle(form):
        try:
            client.parse_notice(form)
        except NoticeRejected:
            return client.notice_reply(False)
        return client.notice_reply(True)

    sink.handle = handle
    cashier.pay(client.create_prepay(order()).pay_url)
    store = PayStore(cashier_db(cashier))
    (delivery,) = store.deliveries(registry.ALIPAY_APP_ID, OUT_TRADE_NO)
    assert delivery.acked and delivery.status_code == 200


@pytest.mark.parametrize(
    ("reply", "acked"),
    [
        ((200, "success"), True),
        ((200, "failure"), False),
        ((200, "success\n"), False),
        ((200, "SUCCESS"), False),
        ((500, "success"), False),
    ],
)
def test_only_exactly_success_acknowledges(alipay, order, cashier, sink, clock_at, reply, acked):
    sink.handle = lambda form: reply
    cashier.pay(alipay().create_prepay(order()).pay_url)
    (delivery,) = PayStore(cashier_db(cashier)).deliveries(registry.ALIPAY_APP_ID, OUT_TRADE_NO)
    assert delivery.acked is acked


def test_redelivery_sends_the_same_notice(alipay, order, cashier, sink, clock_at):
    client = alipay()
    sink.handle = lambda form: (200, "failure")
    cashier.pay(client.create_prepay(order()).pay_url)
    sink.handle = lambda form: (200, "success")
    response = cashier.client.post(
        "/standins/alipay-pay/redeliver?" + urlencode({"out_trade_no": OUT_TRADE_NO})
    )
    assert response.status_code == 200
    first, second = sink.forms
    assert first == second
    assert response.get_json() == {
        "notify_id": first["notify_id"],
        "status_code": 200,
        "acked": True,
    }
    assert client.parse_notice(first) == client.parse_notice(second)
    acks = [
        d.acked
        for d in PayStore(cashier_db(cashier)).deliveries(registry.ALIPAY_APP_ID, OUT_TRADE_NO)
    ]
    assert acks == [False, True]


def test_redeliver_before_payment_has_nothing_to_send(alipay, order, cashier, clock_at):
    cashier.open(alipay().create_prepay(order()).pay_url)
    response = cashier.client.post(f"/standins/alipay-pay/redeliver?out_trade_no={OUT_TRADE_NO}")
    assert response.status_code == 409
    unknown = cashier.client.post("/standins/alipay-pay/redeliver?out_trade_no=NOPE")
    assert unknown.status_code == 400 and _data_code(unknown) == "ACQ.TRADE_NOT_EXIST"


def test_pressing_pay_twice_sends_one_notice(alipay, order, cashier, sink, clock_at):
    first = cashier.pay(alipay().create_prepay(order()).pay_url)
    again = cashier.press("pay", OUT_TRADE_NO)
    assert again.status_code == 302
    assert query_of(again.headers["Location"])["trade_no"] == first["trade_no"]
    assert len(sink.forms) == 1


def test_an_unreachable_notify_url_does_not_stop_the_payment(
    alipay, order, cashier, sink_adapter, sink, clock_at
):
    sink_adapter.fail = requests.ConnectionError
    query = cashier.pay(alipay().create_prepay(order()).pay_url)
    assert query["out_trade_no"] == OUT_TRADE_NO
    (delivery,) = PayStore(cashier_db(cashier)).deliveries(registry.ALIPAY_APP_ID, OUT_TRADE_NO)
    assert (delivery.status_code, delivery.acked) == (None, False)
    assert alipay().query(OUT_TRADE_NO).state == "paid"  # the query still tells the truth


def test_without_a_return_url_the_cashier_shows_the_result(alipay, order, cashier, clock_at):
    client = alipay()
    params = client.gateway.request_params(
        "alipay.trade.wap.pay",
        {
            "notify_url": NOTIFY_URL,
            "biz_content": json.dumps(
                {
                    "out_trade_no": OUT_TRADE_NO,
                    "total_amount": "99.00",
                    "subject": "惠民保",
                    "product_code": "QUICK_WAP_WAY",
                }
            ),
        },
    )
    assert cashier.client.get("/standins/alipay/gateway.do?" + urlencode(params)).status_code == 200
    response = cashier.press("pay", OUT_TRADE_NO)
    assert response.status_code == 200 and 'data-testid="paid"' in response.get_data(as_text=True)


# --- the gateway handler, called directly -----------------------------------------------


def test_handle_gateway_leaves_other_methods_alone(standin_app):
    with standin_app.test_request_context():
        assert handle_gateway({"method": "alipay.system.oauth.token"}) is None
        assert handle_gateway({}) is None
    assert PAY_METHODS == {
        "alipay.trade.wap.pay",
        "alipay.trade.query",
        "alipay.trade.refund",
        "alipay.trade.fastpay.refund.query",
    }


def test_handle_gateway_answers_signed_json(alipay, standin_app, clock_at):
    client = alipay()
    params = client.gateway.request_params(
        "alipay.trade.query", {"biz_content": json.dumps({"out_trade_no": "NOPE"})}
    )
    with standin_app.test_request_context():
        response = handle_gateway(params)
    assert response is not None and response.status_code == 200
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    part = alipay_sign.split_response(
        response.get_data(as_text=True), "alipay_trade_query_response"
    )
    assert part is not None and part.key == "alipay_trade_query_response"
    assert part.value == {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_EXIST",
        "sub_msg": "交易不存在",
    }
    assert part.sign and alipay_sign.verify(part.content, part.sign, ALIPAY_PUBLIC)
    with standin_app.test_request_context():
        bad = handle_gateway(params | {"sign": "AAAA"})
    part = alipay_sign.split_response(bad.get_data(as_text=True), "alipay_trade_query_response")
    assert part.value["sub_code"] == "isv.invalid-signature"


def test_handle_gateway_refuses_garbage_biz_content(alipay, standin_app):
    client = alipay()
    params = client.gateway.request_params("alipay.trade.refund", {"biz_content": "[1]"})
    with standin_app.test_request_context():
        response = handle_gateway(params)
    part = alipay_sign.split_response(
        response.get_data(as_text=True), "alipay_trade_refund_response"
    )
    assert part.value["code"] == "40004" and part.value["sub_code"] == "ACQ.INVALID_PARAMETER"


# --- the store ---------------------------------------------------------------------------


def test_pay_tables_live_beside_the_login_stand_ins(alipay, order, cashier, standin_db, clock_at):
    login_store = StandinStore(str(standin_db))
    person = login_store.create_person("张三")
    cashier.pay(alipay().create_prepay(order()).pay_url)
    assert login_store.person(person.id) == person
    with closing(sqlite3.connect(standin_db)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"persons", "codes", "tokens"} <= tables
    assert {"alipay_pay_trades", "alipay_pay_refunds", "alipay_pay_deliveries"} <= tables


def test_two_workers_share_trades_and_never_over_refund(
    app_factory, standin_app, alipay, order, cashier, clock_at
):
    cashier.pay(alipay().create_prepay(order()).pay_url)
    other = app_factory()
    results: list[str] = []
    barrier = threading.Barrier(6)
    config = alipay().config

    def refund(index: int) -> None:
        http = requests.Session()
        http.mount(STANDIN_BASE, WSGIAdapter(other if index % 2 else standin_app))
        try:
            barrier.wait()
            AlipayPayClient(config, http).refund(OUT_TRADE_NO, f"R{index}", 5000, 12900, "退保")
            results.append("ok")
        except PaymentProviderError as exc:
            results.append(exc.provider_code or exc.kind)
        finally:
            http.close()

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"] * 4 + ["ok"] * 2
    trade = PayStore(str(cashier_db(cashier))).trade(registry.ALIPAY_APP_ID, OUT_TRADE_NO)
    assert trade is not None and trade.refunded_fen == 10000


def test_the_return_url_keeps_its_own_query(alipay, order, cashier, clock_at):
    url = "http://app.test/pay/return?order=o1&lang=zh"
    query = cashier.pay(alipay().create_prepay(order(return_url=url)).pay_url)
    assert query["order"] == "o1" and query["lang"] == "zh"
