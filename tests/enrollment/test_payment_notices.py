"""Paying an order: every notice path for WeChat Pay and Alipay, with real RSA keys and
AES-GCM; payment, order and policies change together; replays change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.enrollment.models import Order, Policy
from app.payments.models import Payment, PaymentEvent
from app.payments.providers import alipay_pay, wechatpay
from app.standins import registry
from app.standins import wechatpay as wx_standin

WX_PLATFORM_KEY = wx_standin.read_key(wx_standin.PLATFORM_PRIVATE_KEY_FILE)
ALIPAY_KEY = registry.ALIPAY_PRIVATE_KEY_FILE.read_text()
OTHER_KEY = wx_standin.read_key(wx_standin.MERCHANT_PRIVATE_KEY_FILE)  # not the platform's


@pytest.fixture
def paying(family, provider_transport, session):
    """A pending order for the member and a started payment at each provider."""
    me = family.self_id()
    family.declare(me)
    order = family.order([me]).get_json()

    def start(provider):
        resp = family.post(f"/api/v1/orders/{order['id']}/payments", {"provider": provider})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    return order, start


def wx_notice(out_trade_no, total, **over):
    txn = {
        "appid": over.pop("appid", wx_standin.APP_ID),
        "mchid": over.pop("mchid", wx_standin.MCH_ID),
        "out_trade_no": out_trade_no,
        "transaction_id": "4200000000" + out_trade_no[-10:],
        "trade_type": "MWEB",
        "trade_state": over.pop("trade_state", "SUCCESS"),
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": wechatpay.rfc3339(clock.now()),
        "payer": {"openid": "o-standin"},
        "amount": {
            "total": total,
            "payer_total": total,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }
    return wechatpay.build_notice(
        None,
        txn,
        platform_private_key_pem=over.pop("key", WX_PLATFORM_KEY),
        platform_serial=over.pop("serial", wx_standin.PLATFORM_SERIAL),
        apiv3_key=wx_standin.APIV3_KEY,
        timestamp=over.pop("timestamp", None),
        event_id=over.pop("event_id", None),
    )


def post_wx(client, headers, body):
    return client.post("/api/v1/payments/wechatpay/notify", data=body, headers=headers)


def policies(session):
    return session.scalar(select(func.count()).select_from(Policy))


def test_wechatpay_start_gives_a_pay_url(paying):
    _order, start = paying
    started = start("wechatpay")
    assert started["pay_url"]
    assert started["payment"]["status"] == "created"
    assert started["payment"]["out_trade_no"].startswith("P")


def test_wechatpay_notice_pays_and_replays_change_nothing(paying, family, session):
    order, start = paying
    otn = start("wechatpay")["payment"]["out_trade_no"]
    headers, body = wx_notice(otn, order["total_fen"])
    first = post_wx(family.client, headers, body)
    assert first.status_code == 204
    detail = family.client.get(f"/api/v1/orders/{order['id']}").get_json()
    assert detail["status"] == "paid"
    assert detail["payments"][0]["status"] == "paid"
    assert policies(session) == 1
    for _ in range(10):
        assert post_wx(family.client, headers, body).status_code == 204
    assert policies(session) == 1
    mine = family.client.get("/api/v1/me/policies").get_json()
    assert len(mine) == 1 and mine[0]["premium_fen"] == order["total_fen"]
    assert mine[0]["status"] == "pending_start"
    outcomes = session.scalars(select(PaymentEvent.outcome)).all()
    assert outcomes.count("applied") == 1 and outcomes.count("replayed") == 10


@pytest.mark.parametrize(
    ("change", "status", "outcome"),
    [
        ({"key": OTHER_KEY}, 401, "rejected:bad_signature"),
        ({"serial": "FFFF"}, 401, "rejected:unknown_serial"),
        ({"appid": "wx-somebody-else"}, 400, "rejected:wrong_app"),
        ({"mchid": "1234567890"}, 400, "rejected:wrong_merchant"),
        ({"amount": 1}, 400, "amount_mismatch"),
        ({"stale": True}, 400, "rejected:stale_timestamp"),
        ({"unknown": True}, 404, "unknown_order"),
    ],
    ids=[
        "forged",
        "unknown-serial",
        "wrong-app",
        "wrong-merchant",
        "wrong-amount",
        "stale",
        "unknown-order",
    ],
)
def test_wechatpay_bad_notices_change_nothing(paying, family, session, change, status, outcome):
    order, start = paying
    otn = start("wechatpay")["payment"]["out_trade_no"]
    change = dict(change)
    total = change.pop("amount", order["total_fen"])
    if change.pop("stale", False):
        change["timestamp"] = int((clock.now() - timedelta(minutes=6)).timestamp())
    if change.pop("unknown", False):
        otn = "P" + "0" * 26
    headers, body = wx_notice(otn, total, **change)
    resp = post_wx(family.client, headers, body)
    assert resp.status_code == status
    assert resp.get_json()["code"] == "FAIL"
    assert family.client.get(f"/api/v1/orders/{order['id']}").get_json()["status"] == "pending"
    assert policies(session) == 0
    assert outcome in session.scalars(select(PaymentEvent.outcome)).all()


def test_wechatpay_altered_body_is_rejected(paying, family, session):
    order, start = paying
    otn = start("wechatpay")["payment"]["out_trade_no"]
    headers, body = wx_notice(otn, order["total_fen"])
    altered = body.replace(b'"summary":"', b'"summary":"x', 1)
    assert post_wx(family.client, headers, altered).status_code == 401
    assert policies(session) == 0


def test_wechatpay_timestamp_within_five_minutes_is_accepted(paying, family, session):
    order, start = paying
    otn = start("wechatpay")["payment"]["out_trade_no"]
    ts = int((clock.now() - timedelta(minutes=4, seconds=59)).timestamp())
    headers, body = wx_notice(otn, order["total_fen"], timestamp=ts)
    assert post_wx(family.client, headers, body).status_code == 204


def ali_fields(out_trade_no, total_fen, **over):
    fields = {
        "notify_time": "2026-11-23 12:00:00",
        "notify_type": "trade_status_sync",
        "notify_id": over.pop("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
        "app_id": over.pop("app_id", registry.ALIPAY_APP_ID),
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2026112322001400000000000001",
        "out_trade_no": out_trade_no,
        "total_amount": alipay_pay.fen_to_amount(total_fen),
        "receipt_amount": alipay_pay.fen_to_amount(total_fen),
        "buyer_pay_amount": alipay_pay.fen_to_amount(total_fen),
        "trade_status": over.pop("trade_status", "TRADE_SUCCESS"),
        "gmt_create": "2026-11-23 11:59:00",
        "gmt_payment": "2026-11-23 11:59:30",
        "seller_id": "2088000000000000",
    }
    return alipay_pay.build_notice(fields, alipay_private_key_pem=over.pop("key", ALIPAY_KEY))


def post_ali(client, form):
    return client.post("/api/v1/payments/alipay/notify", data=form)


def test_alipay_notice_pays_and_replays_change_nothing(paying, family, session):
    order, start = paying
    started = start("alipay")
    assert "alipay.trade.wap.pay" in started["pay_url"]
    form = ali_fields(started["payment"]["out_trade_no"], order["total_fen"])
    first = post_ali(family.client, form)
    assert first.status_code == 200 and first.get_data(as_text=True) == "success"
    for _ in range(10):
        assert post_ali(family.client, form).get_data(as_text=True) == "success"
    assert policies(session) == 1
    assert session.get(Order, order["id"]).status == "paid"


@pytest.mark.parametrize(
    ("change", "paid"),
    [
        ({"key": OTHER_KEY}, False),
        ({"app_id": "2021009999999999"}, False),
        ({"amount": 1}, False),
        ({"trade_status": "TRADE_CLOSED"}, False),
        ({"trade_status": "TRADE_FINISHED"}, True),
    ],
    ids=["forged", "wrong-app", "wrong-amount", "closed", "finished"],
)
def test_alipay_notice_paths(paying, family, session, change, paid):
    order, start = paying
    otn = start("alipay")["payment"]["out_trade_no"]
    change = dict(change)
    total = change.pop("amount", order["total_fen"])
    resp = post_ali(family.client, ali_fields(otn, total, **change))
    expected = "success" if paid or change.get("trade_status") == "TRADE_CLOSED" else "failure"
    assert resp.get_data(as_text=True) == expected
    assert (session.get(Order, order["id"]).status == "paid") is paid
    assert policies(session) == (1 if paid else 0)


def test_altered_alipay_amount_after_signing(paying, family, session):
    order, start = paying
    otn = start("alipay")["payment"]["out_trade_no"]
    form = ali_fields(otn, order["total_fen"])
    form["total_amount"] = "0.01"
    assert post_ali(family.client, form).get_data(as_text=True) == "failure"
    assert policies(session) == 0


def test_late_notice_reconciled_by_query(paying, family, session, monkeypatch):
    from app.payments.providers.base import TradeState

    order, start = paying
    otn = start("wechatpay")["payment"]["out_trade_no"]
    monkeypatch.setattr(
        wechatpay.WeChatPayClient,
        "query",
        lambda self, out_trade_no: TradeState(out_trade_no, "paid", order["total_fen"], "42"),
    )
    detail = family.client.get(f"/api/v1/orders/{order['id']}").get_json()
    assert detail["status"] == "paid"
    assert policies(session) == 1
    assert (
        "applied"
        in session.scalars(select(PaymentEvent.outcome).where(PaymentEvent.source == "query")).all()
    )
    assert session.scalar(select(Payment.status).where(Payment.out_trade_no == otn)) == "paid"


def test_jsapi_pays_as_the_wechat_login(paying, family, session):
    from app.members.models import MemberIdentity

    order, _start = paying
    no_login = family.post(
        f"/api/v1/orders/{order['id']}/payments", {"provider": "wechatpay", "channel": "jsapi"}
    )
    assert no_login.status_code == 422
    assert no_login.get_json()["error"] == "wechat_login_required"
    identity = session.scalar(select(MemberIdentity))
    identity.app_id = wx_standin.APP_ID  # the member logged in at the pay app's account
    session.flush()
    resp = family.post(
        f"/api/v1/orders/{order['id']}/payments", {"provider": "wechatpay", "channel": "jsapi"}
    )
    assert resp.status_code == 201, resp.get_json()
    params = resp.get_json()["jsapi_params"]
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    assert params["appId"] == wx_standin.APP_ID


def test_alipay_unknown_order_changes_nothing(paying, family, session):
    order, start = paying
    start("alipay")
    resp = post_ali(family.client, ali_fields("P" + "0" * 26, order["total_fen"]))
    assert resp.get_data(as_text=True) == "failure"
    assert session.get(Order, order["id"]).status == "pending"
    assert "unknown_order" in session.scalars(select(PaymentEvent.outcome)).all()
