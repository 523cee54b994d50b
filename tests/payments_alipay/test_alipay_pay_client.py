"""The Alipay wap payment client: the cashier URL, notices, queries and refunds."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth.providers import alipay_sign
from app.core.money import MoneyError
from app.payments.providers.alipay_pay import (
    AlipayPayClient,
    amount_to_fen,
    build_notice,
    fen_to_amount,
)
from app.payments.providers.base import NoticeRejected, PaymentProviderError
from app.standins import registry
from tests.payments_alipay.pay_helpers import NOTIFY_URL, RETURN_URL, STANDIN_BASE, query_of
from tests.providers.helpers import FakeAdapter, RewritingAdapter

APP_PUBLIC = registry.read_key(registry.APP_PUBLIC_KEY_FILE)
ALIPAY_PRIVATE = registry.read_key(registry.ALIPAY_PRIVATE_KEY_FILE)
QUERY_KEY = "alipay_trade_query_response"
REFUND_KEY = "alipay_trade_refund_response"


def _other_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [(12900, "129.00"), (9900, "99.00"), (1, "0.01"), (10, "0.10"), (100, "1.00"), (0, "0.00")],
)
def test_fen_to_amount(fen, text):
    assert fen_to_amount(fen) == text
    assert amount_to_fen(text) == fen


@pytest.mark.parametrize("fen", [-1, 1.5, True, "100"])
def test_fen_to_amount_refuses_non_fen(fen):
    with pytest.raises(ValueError):
        fen_to_amount(fen)


@pytest.mark.parametrize("text", ["12.345", "1e3", "-1.00", "+1.00", " 1.00", "abc", "", "NaN"])
def test_amount_to_fen_refuses_malformed(text):
    with pytest.raises(MoneyError):
        amount_to_fen(text)


def test_amount_to_fen_reads_whole_yuan():
    assert amount_to_fen("129") == 12900 and amount_to_fen("99.5") == 9950


# --- the cashier URL ---------------------------------------------------------------------


def test_wap_pay_url_is_a_signed_page_pay_request(alipay, order, clock_at, adapter):
    result = alipay().create_prepay(order())
    assert (result.provider, result.channel, result.jsapi_params) == ("alipay", "wap", None)
    assert result.out_trade_no == "HMB2026030100001"
    url = result.pay_url
    assert url.startswith(f"{STANDIN_BASE}/standins/alipay/gateway.do?")
    assert "+" not in url and " " not in url  # percent-encoded (%20), not form-encoded
    params = query_of(url)
    assert params == {
        "app_id": registry.ALIPAY_APP_ID,
        "method": "alipay.trade.wap.pay",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-03-01 09:02:03",
        "version": "1.0",
        "notify_url": NOTIFY_URL,
        "return_url": RETURN_URL,
        "biz_content": params["biz_content"],
        "sign": params["sign"],
    }
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "HMB2026030100001",
        "total_amount": "129.00",
        "subject": "惠民保 2026 年度保费",
        "product_code": "QUICK_WAP_WAY",
        "time_expire": "2026-03-01 09:32:03",
        "quit_url": RETURN_URL,
    }
    assert alipay_sign.verify_params(params, APP_PUBLIC)
    assert adapter.requests == []  # no server call


@pytest.mark.parametrize(("fen", "text"), [(12900, "129.00"), (9900, "99.00"), (1, "0.01")])
def test_wap_pay_amounts(alipay, order, fen, text):
    params = query_of(alipay().create_prepay(order(amount_fen=fen)).pay_url)
    assert json.loads(params["biz_content"])["total_amount"] == text


def test_time_expire_is_shanghai_time_whatever_the_zone(alipay, order):
    expires = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    params = query_of(alipay().create_prepay(order(expires_at=expires)).pay_url)
    assert json.loads(params["biz_content"])["time_expire"] == "2026-03-02 12:30:00"


def test_wap_pay_refuses_a_naive_expiry_and_no_amount(alipay, order):
    with pytest.raises(ValueError):
        alipay().create_prepay(order(expires_at=datetime(2026, 3, 1)))  # noqa: DTZ001
    with pytest.raises(ValueError):
        alipay().create_prepay(order(amount_fen=0))


def test_gateway_with_a_query_gets_an_ampersand(alipay, order):
    client = alipay(gateway="https://openapi.alipay.com/gateway.do?charset=utf-8")
    url = client.create_prepay(order()).pay_url
    assert url.startswith("https://openapi.alipay.com/gateway.do?charset=utf-8&app_id=")


# --- the async notice --------------------------------------------------------------------


def notice_fields(**changes: str) -> dict[str, str]:
    fields = {
        "notify_time": "2026-03-01 09:05:00",
        "notify_type": "trade_status_sync",
        "notify_id": "2026030100222090500012345678901234",
        "app_id": registry.ALIPAY_APP_ID,
        "auth_app_id": registry.ALIPAY_APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2026030122001412345678901234",
        "out_trade_no": "HMB2026030100001",
        "total_amount": "129.00",
        "receipt_amount": "129.00",
        "buyer_pay_amount": "129.00",
        "invoice_amount": "129.00",
        "point_amount": "0.00",
        "trade_status": "TRADE_SUCCESS",
        "gmt_create": "2026-03-01 09:04:00",
        "gmt_payment": "2026-03-01 09:04:59",
        "seller_id": "2088102177000000",
        "buyer_id": "2088102177001234",
        "subject": "惠民保 2026 年度保费 & 附加 = 100%",
        "fund_bill_list": '[{"amount":"129.00","fundChannel":"ALIPAYACCOUNT"}]',
        "body": "",  # empty values are left out of the signing string
    }
    fields.update(changes)
    return fields


def signed_notice(key: str = ALIPAY_PRIVATE, **changes: str) -> dict[str, str]:
    return build_notice(notice_fields(**changes), alipay_private_key_pem=key)


def test_build_notice_signs_like_alipay():
    notice = signed_notice()
    assert notice["sign_type"] == "RSA2"
    content = "&".join(
        f"{k}={v}" for k, v in sorted(notice.items()) if k not in ("sign", "sign_type") and v != ""
    )
    public = registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)
    assert alipay_sign.verify(content, notice["sign"], public)


def test_valid_notice(alipay):
    notice = alipay().parse_notice(signed_notice())
    assert dataclasses.asdict(notice) == {
        "provider": "alipay",
        "out_trade_no": "HMB2026030100001",
        "provider_trade_no": "2026030122001412345678901234",
        "amount_fen": 12900,
        "paid": True,
        "app_id": registry.ALIPAY_APP_ID,
        "mch_id": "2088102177000000",
        "event_id": "2026030100222090500012345678901234",
    }


def test_replayed_notice_gives_the_same_result(alipay):
    form = signed_notice()
    client = alipay()
    assert client.parse_notice(form) == client.parse_notice(dict(form))


def test_notice_from_a_multidict_form(alipay):
    from werkzeug.datastructures import ImmutableMultiDict

    form = ImmutableMultiDict(list(signed_notice().items()))
    assert alipay().parse_notice(form).amount_fen == 12900


def _rejected(client: AlipayPayClient, form: dict[str, str]) -> str:
    with pytest.raises(NoticeRejected) as caught:
        client.parse_notice(form)
    assert caught.value.provider == "alipay"
    return caught.value.reason


def test_forged_notice_is_bad_signature(alipay):
    assert _rejected(alipay(), signed_notice(key=_other_private_key())) == "bad_signature"


@pytest.mark.parametrize(
    "change",
    [
        {"total_amount": "1.29"},  # altered after signing
        {"trade_status": "TRADE_FINISHED"},
        {"out_trade_no": "HMB2026030100002"},
        {"sign": ""},
        {"sign": "not base64!"},
        {"sign_type": "RSA"},
        {"sign_type": ""},
    ],
)
def test_altered_notice_is_bad_signature(alipay, change):
    form = signed_notice() | change
    assert _rejected(alipay(), form) == "bad_signature"


def test_unsigned_notice_is_bad_signature(alipay):
    assert _rejected(alipay(), notice_fields()) == "bad_signature"


def test_notice_for_another_app_is_wrong_app(alipay):
    assert _rejected(alipay(), signed_notice(app_id="2021999999999999")) == "wrong_app"


@pytest.mark.parametrize("amount", ["12.345", "1e3", "-129.00", "abc", ""])
def test_malformed_total_amount_is_bad_payload(alipay, amount):
    assert _rejected(alipay(), signed_notice(total_amount=amount)) == "bad_payload"


@pytest.mark.parametrize(
    "change",
    [{"notify_id": ""}, {"trade_no": ""}, {"trade_status": "PAID"}, {"notify_type": "x"}],
)
def test_incomplete_notice_is_bad_payload(alipay, change):
    assert _rejected(alipay(), signed_notice(**change)) == "bad_payload"


@pytest.mark.parametrize(
    ("status", "paid"),
    [
        ("TRADE_SUCCESS", True),
        ("TRADE_FINISHED", True),
        ("TRADE_CLOSED", False),
        ("WAIT_BUYER_PAY", False),
    ],
)
def test_notice_paid_by_trade_status(alipay, status, paid):
    assert alipay().parse_notice(signed_notice(trade_status=status)).paid is paid


def test_notice_reply_is_exactly_success():
    assert AlipayPayClient.notice_reply(True) == (200, "success")
    status, body = AlipayPayClient.notice_reply(False)
    assert body == "failure" and status in (200, 400)


def test_return_parameters_are_verified(alipay):
    fields = {
        "charset": "utf-8",
        "out_trade_no": "HMB2026030100001",
        "method": "alipay.trade.wap.pay.return",
        "total_amount": "129.00",
        "trade_no": "2026030122001412345678901234",
        "auth_app_id": registry.ALIPAY_APP_ID,
        "version": "1.0",
        "app_id": registry.ALIPAY_APP_ID,
        "seller_id": "2088102177000000",
        "timestamp": "2026-03-01 09:05:00",
    }
    client = alipay()
    assert client.verify_return(build_notice(fields, alipay_private_key_pem=ALIPAY_PRIVATE))
    assert not client.verify_return(
        build_notice(fields, alipay_private_key_pem=_other_private_key())
    )
    forged = build_notice(fields, alipay_private_key_pem=ALIPAY_PRIVATE) | {"total_amount": "1"}
    assert not client.verify_return(forged)


# --- query, against the stand-in ---------------------------------------------------------


def test_query_of_a_trade_alipay_never_saw_is_unpaid(alipay, adapter, clock_at):
    state = alipay().query("HMB-NEVER-OPENED")
    assert (state.out_trade_no, state.state, state.amount_fen, state.provider_trade_no) == (
        "HMB-NEVER-OPENED",
        "unpaid",
        None,
        None,
    )
    (sent,) = adapter.requests
    assert sent.method == "POST"
    assert sent.url == f"{STANDIN_BASE}/standins/alipay/gateway.do?charset=utf-8"
    form = query_of("?" + sent.body)
    assert form["method"] == "alipay.trade.query"
    assert json.loads(form["biz_content"]) == {"out_trade_no": "HMB-NEVER-OPENED"}
    assert alipay_sign.verify_params(form, APP_PUBLIC)
    assert adapter.timeouts == [3.5]


def test_query_through_the_states(alipay, order, cashier, clock_at):
    client = alipay()
    url = client.create_prepay(order(amount_fen=9900)).pay_url
    assert cashier.open(url).status_code == 200
    opened = client.query("HMB2026030100001")
    assert (opened.state, opened.amount_fen) == ("unpaid", 9900)
    assert opened.provider_trade_no and len(opened.provider_trade_no) == 28
    returned = cashier.pay(url)
    paid = client.query("HMB2026030100001")
    assert (paid.state, paid.amount_fen) == ("paid", 9900)
    assert paid.provider_trade_no == opened.provider_trade_no == returned["trade_no"]
    client.refund("HMB2026030100001", "R1", 9900, 9900, "退保")
    assert client.query("HMB2026030100001").state == "closed"  # refunded in full


def test_query_of_an_expired_trade_is_closed(alipay, order, cashier, set_clock):
    set_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    client = alipay()
    url = client.create_prepay(order(expires_at=datetime(2026, 3, 1, 1, 15, tzinfo=UTC))).pay_url
    assert cashier.open(url).status_code == 200
    assert client.query("HMB2026030100001").state == "unpaid"
    set_clock(datetime(2026, 3, 1, 1, 16, tzinfo=UTC))
    assert client.query("HMB2026030100001").state == "closed"


def _flip_status(text: str) -> str:
    return text.replace('"trade_status":"WAIT_BUYER_PAY"', '"trade_status":"TRADE_SUCCESS"')


def test_tampered_query_response_is_bad_signature(alipay, order, cashier, http, adapter, clock_at):
    client = alipay()
    assert cashier.open(client.create_prepay(order()).pay_url).status_code == 200
    http.mount(STANDIN_BASE, RewritingAdapter(adapter, _flip_status))
    with pytest.raises(PaymentProviderError) as caught:
        client.query("HMB2026030100001")
    error = caught.value
    assert (error.provider, error.kind) == ("alipay", "bad_signature")
    assert "验签" in error.message_zh


def test_trade_not_exist_must_be_signed_too(alipay, http):
    value = {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
    body = alipay_sign.signed_body(QUERY_KEY, value, _other_private_key())
    http.mount(STANDIN_BASE, FakeAdapter(body, 200, "text/html;charset=utf-8"))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().query("HMB2026030100001")
    assert caught.value.kind == "bad_signature"


@pytest.mark.parametrize(
    ("value", "kind", "code"),
    [
        ({"code": "10000", "msg": "Success", "trade_status": "PAID"}, "invalid_response", None),
        (
            {"code": "10000", "msg": "Success", "out_trade_no": "OTHER", "trade_status": "x"},
            "invalid_response",
            None,
        ),
        (
            {"code": "10000", "trade_status": "TRADE_SUCCESS", "total_amount": "1e3"},
            "invalid_response",
            None,
        ),
        (
            {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.SYSTEM_ERROR"},
            "unavailable",
            "ACQ.SYSTEM_ERROR",
        ),
        (
            {
                "code": "20000",
                "msg": "Service Currently Unavailable",
                "sub_code": "isp.unknow-error",
            },
            "unavailable",
            "isp.unknow-error",
        ),
        (
            {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id"},
            "rejected",
            "isv.invalid-app-id",
        ),
    ],
)
def test_query_answers_mapped(alipay, http, value, kind, code):
    body = alipay_sign.signed_body(QUERY_KEY, value, ALIPAY_PRIVATE)
    http.mount(STANDIN_BASE, FakeAdapter(body, 200, "text/html;charset=utf-8"))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().query("HMB2026030100001")
    assert (caught.value.kind, caught.value.provider_code) == (kind, code)


@pytest.mark.parametrize("failure", [requests.ConnectTimeout, requests.ReadTimeout])
def test_timeout_is_unavailable(alipay, adapter, failure):
    adapter.fail = failure
    for call in (
        lambda c: c.query("HMB2026030100001"),
        lambda c: c.refund("HMB2026030100001", "R1", 100, 12900, "退保"),
    ):
        with pytest.raises(PaymentProviderError) as caught:
            call(alipay())
        assert caught.value.kind == "unavailable"
        assert caught.value.__cause__ is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable(alipay, http, status):
    http.mount(STANDIN_BASE, FakeAdapter("<html>busy</html>", status, "text/html"))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().query("HMB2026030100001")
    assert caught.value.kind == "unavailable"


def test_garbage_is_invalid_response(alipay, http):
    http.mount(STANDIN_BASE, FakeAdapter("<html>hello</html>", 200, "text/html"))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().query("HMB2026030100001")
    assert caught.value.kind == "invalid_response"


def test_request_signed_with_a_wrong_app_key_is_rejected(alipay):
    with pytest.raises(PaymentProviderError) as caught:
        alipay(app_private_key_pem=_other_private_key()).query("HMB2026030100001")
    assert (caught.value.kind, caught.value.provider_code) == ("rejected", "isv.invalid-signature")


# --- refunds, against the stand-in -------------------------------------------------------


@pytest.fixture
def paid_trade(alipay, order, cashier, clock_at):
    """A 129.00 premium paid through the cashier."""
    cashier.pay(alipay().create_prepay(order()).pay_url)
    return "HMB2026030100001"


def test_refund_success(alipay, paid_trade, adapter):
    result = alipay().refund(paid_trade, "HMB-R-1", 12900, 12900, "退保")
    assert dataclasses.asdict(result) == {
        "out_refund_no": "HMB-R-1",
        "status": "success",
        "provider_refund_id": None,
    }
    form = query_of("?" + adapter.requests[-1].body)
    assert form["method"] == "alipay.trade.refund"
    assert json.loads(form["biz_content"]) == {
        "out_trade_no": paid_trade,
        "refund_amount": "129.00",
        "out_request_no": "HMB-R-1",
        "refund_reason": "退保",
    }
    assert alipay_sign.verify_params(form, APP_PUBLIC)


def test_partial_refunds_up_to_the_paid_amount(alipay, paid_trade):
    client = alipay()
    assert client.refund(paid_trade, "R1", 2900, 12900, "部分退款").status == "success"
    assert client.query(paid_trade).state == "paid"
    with pytest.raises(PaymentProviderError) as caught:
        client.refund(paid_trade, "R2", 10001, 12900, "超额")
    error = caught.value
    assert (error.kind, error.provider_code) == ("rejected", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    assert client.refund(paid_trade, "R3", 10000, 12900, "余额").status == "success"
    with pytest.raises(PaymentProviderError) as caught:
        client.refund(paid_trade, "R4", 1, 12900, "再退")
    assert caught.value.provider_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"


def test_refund_retry_is_idempotent(alipay, paid_trade):
    client = alipay()
    assert client.refund(paid_trade, "R1", 5000, 12900, "退保").status == "success"
    # the same out_request_no again: no new money moves; Alipay says fund_change N
    assert client.refund(paid_trade, "R1", 5000, 12900, "退保").status == "processing"
    confirmed = client.refund_query(paid_trade, "R1")
    assert confirmed is not None and confirmed.status == "success"
    assert client.refund_query(paid_trade, "R-never") is None
    # the same number for another amount is refused
    with pytest.raises(PaymentProviderError) as caught:
        client.refund(paid_trade, "R1", 6000, 12900, "退保")
    assert caught.value.provider_code == "ACQ.DISCORDANT_REPEAT_REQUEST"
    # and only 50.00 left the merchant
    assert client.refund(paid_trade, "R2", 7900, 12900, "余额").status == "success"


def test_refund_of_an_unpaid_or_unknown_trade_is_rejected(alipay, order, cashier, clock_at):
    client = alipay()
    assert cashier.open(client.create_prepay(order()).pay_url).status_code == 200
    with pytest.raises(PaymentProviderError) as caught:
        client.refund("HMB2026030100001", "R1", 100, 12900, "退保")
    assert caught.value.provider_code == "ACQ.TRADE_STATUS_ERROR"
    with pytest.raises(PaymentProviderError) as caught:
        client.refund("HMB-UNKNOWN", "R1", 100, 12900, "退保")
    assert (caught.value.kind, caught.value.provider_code) == ("rejected", "ACQ.TRADE_NOT_EXIST")


def test_refund_checks_its_arguments_locally(alipay, adapter):
    for refund_fen in (0, 12901):
        with pytest.raises(ValueError):
            alipay().refund("HMB2026030100001", "R1", refund_fen, 12900, "退保")
    assert adapter.requests == []


def _flip_fund_change(text: str) -> str:
    return text.replace('"fund_change":"Y"', '"fund_change":"N"')


def test_tampered_refund_response_is_bad_signature(alipay, paid_trade, http, adapter):
    http.mount(STANDIN_BASE, RewritingAdapter(adapter, _flip_fund_change))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().refund(paid_trade, "R1", 100, 12900, "退保")
    assert caught.value.kind == "bad_signature"


def test_refund_answer_without_fund_change_is_invalid(alipay, http):
    body = alipay_sign.signed_body(REFUND_KEY, {"code": "10000", "msg": "Success"}, ALIPAY_PRIVATE)
    http.mount(STANDIN_BASE, FakeAdapter(body, 200))
    with pytest.raises(PaymentProviderError) as caught:
        alipay().refund("HMB2026030100001", "R1", 100, 12900, "退保")
    assert caught.value.kind == "invalid_response"
