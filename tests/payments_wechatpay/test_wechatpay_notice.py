"""Incoming payment notices: what parse_notice trusts and what it rejects, and why."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core import clock
from app.payments.providers import wechatpay as wxpay
from app.payments.providers.base import NoticeRejected, PaymentNotice
from app.standins import wechatpay as standin
from tests.payments_wechatpay.wxpay_helpers import (
    MERCHANT_PRIVATE,
    notice,
    resign,
    transaction,
)


def rejected(client, headers, body, now=None) -> str:
    with pytest.raises(NoticeRejected) as caught:
        client.parse_notice(headers, body, now or clock.now())
    assert caught.value.provider == "wechatpay"
    return caught.value.reason


def other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_valid_notice(client):
    headers, body = notice(event_id="EV-2018022511223320873")
    parsed = client.parse_notice(headers, body, clock.now())
    assert parsed == PaymentNotice(
        provider="wechatpay",
        out_trade_no="HMB20261123000001",
        provider_trade_no="4200000000202611230000000001",
        amount_fen=100_00,
        paid=True,
        app_id=standin.APP_ID,
        mch_id=standin.MCH_ID,
        event_id="EV-2018022511223320873",
    )


def test_the_amount_is_reported_not_judged(client):
    """parse_notice reads amount.total; comparing it with the order is the caller's job."""
    headers, body = notice(transaction(amount={"total": 1, "payer_total": 1, "currency": "CNY"}))
    assert client.parse_notice(headers, body, clock.now()).amount_fen == 1


def test_a_replay_parses_to_the_same_notice(client):
    headers, body = notice()
    first = client.parse_notice(headers, body, clock.now())
    assert client.parse_notice(headers, body, clock.now()) == first
    # a redelivery (same id, signed afresh) too
    again = notice(event_id=first.event_id, at=clock.now() + timedelta(seconds=15))
    assert client.parse_notice(*again, clock.now()) == first


def test_header_names_are_case_insensitive(client):
    headers, body = notice()
    lowered = {k.lower(): v for k, v in headers.items()}
    assert client.parse_notice(lowered, body, clock.now()).paid


def test_an_unpaid_state_is_not_paid(client):
    txn = transaction(trade_state="PAYERROR", trade_state_desc="支付失败")
    del txn["transaction_id"]
    parsed = client.parse_notice(*notice(txn), clock.now())
    assert parsed.paid is False
    assert parsed.provider_trade_no == ""


def test_forged_signature_with_another_key(client):
    headers, body = notice(private_key=other_key())
    assert rejected(client, headers, body) == "bad_signature"


def test_signed_with_the_merchant_key_is_forged_too(client):
    headers, body = notice(private_key=MERCHANT_PRIVATE)
    assert rejected(client, headers, body) == "bad_signature"


def test_body_altered_after_signing(client):
    headers, body = notice()
    envelope = json.loads(body)
    envelope["summary"] = "支付成功!"
    assert rejected(client, headers, json.dumps(envelope).encode()) == "bad_signature"
    assert rejected(client, headers, body + b" ") == "bad_signature"


def test_wechats_signature_probe_is_rejected(client):
    headers, body = notice()
    headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]
    assert rejected(client, headers, body) == "bad_signature"


@pytest.mark.parametrize(
    "missing", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature"]
)
def test_missing_headers(client, missing):
    headers, body = notice()
    del headers[missing]
    assert rejected(client, headers, body) == "bad_signature"


def test_unknown_serial(client):
    headers, body = notice(serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    assert rejected(client, headers, body) == "unknown_serial"
    headers, body = notice()
    del headers["Wechatpay-Serial"]
    assert rejected(client, headers, body) == "bad_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=6), timedelta(minutes=-6), timedelta(days=1)])
def test_stale_timestamp(client, offset):
    now = clock.now()
    headers, body = notice(at=now + offset)
    assert rejected(client, headers, body, now) == "stale_timestamp"


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=4, seconds=59), timedelta(minutes=-4, seconds=-59)]
)
def test_within_five_minutes_is_accepted(client, offset):
    now = clock.now()
    headers, body = notice(at=now + offset)
    assert client.parse_notice(headers, body, now).paid


def test_a_timestamp_that_is_no_number(client):
    headers, body = notice()
    headers["Wechatpay-Timestamp"] = "yesterday"
    assert rejected(client, headers, body) == "stale_timestamp"


def test_wrong_merchant(client):
    headers, body = notice(transaction(mchid="1230000109"))
    assert rejected(client, headers, body) == "wrong_merchant"


def test_wrong_app(client):
    headers, body = notice(transaction(appid="wx0000000000other"))
    assert rejected(client, headers, body) == "wrong_app"


def test_encrypted_with_another_apiv3_key(client):
    headers, body = notice(apiv3_key="another0apiv3key0of0thirty0two00")
    assert rejected(client, headers, body) == "decrypt_failed"


def test_associated_data_changed(client):
    headers, body = notice()
    envelope = json.loads(body)
    envelope["resource"]["associated_data"] = "certificate"
    changed = json.dumps(envelope).encode()
    assert rejected(client, resign(changed, headers), changed) == "decrypt_failed"


def test_ciphertext_changed(client):
    headers, body = notice()
    envelope = json.loads(body)
    ciphertext = envelope["resource"]["ciphertext"]
    envelope["resource"]["ciphertext"] = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    changed = json.dumps(envelope).encode()
    assert rejected(client, resign(changed, headers), changed) == "decrypt_failed"


def test_an_unknown_algorithm(client):
    headers, body = notice()
    envelope = json.loads(body)
    envelope["resource"]["algorithm"] = "AEAD_SM4_GCM"
    changed = json.dumps(envelope).encode()
    assert rejected(client, resign(changed, headers), changed) == "decrypt_failed"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "EV-1", "event_type": "TRANSACTION.SUCCESS"}',
        b'{"id": "EV-1", "event_type": "REFUND.SUCCESS", "resource": {}}',
        "支付成功".encode("gbk"),
    ],
)
def test_bodies_that_are_no_transaction_notice(client, body):
    headers, _ = notice()
    assert rejected(client, resign(body, headers), body) == "bad_payload"


@pytest.mark.parametrize(
    "plaintext",
    [
        b"not json",
        json.dumps({**transaction(), "amount": {"total": "100.00"}}).encode(),
        json.dumps({**transaction(), "amount": {"total": 1.5}}).encode(),
        json.dumps({k: v for k, v in transaction().items() if k != "out_trade_no"}).encode(),
        json.dumps({k: v for k, v in transaction().items() if k != "transaction_id"}).encode(),
        json.dumps({k: v for k, v in transaction().items() if k != "mchid"}).encode(),
    ],
)
def test_decrypted_resources_that_are_no_transaction(client, plaintext):
    headers, body = notice()
    envelope = json.loads(body)
    resource = envelope["resource"]
    resource["ciphertext"] = wxpay.aead_encrypt(
        standin.APIV3_KEY, resource["nonce"], resource["associated_data"], plaintext
    )
    changed = json.dumps(envelope).encode()
    assert rejected(client, resign(changed, headers), changed) == "bad_payload"


def test_now_must_be_aware(client):
    headers, body = notice()
    with pytest.raises(ValueError):
        client.parse_notice(headers, body, clock.now().replace(tzinfo=None))


def test_notice_reply_shapes(client):
    assert client.notice_reply(True) == (204, None)
    assert client.notice_reply(False) == (500, {"code": "FAIL", "message": "失败"})
    assert client.notice_reply(False, "验签失败", status=400) == (
        400,
        {"code": "FAIL", "message": "验签失败"},
    )
    assert wxpay.WeChatPayClient.notice_reply(True) == (204, None)
    with pytest.raises(ValueError):
        client.notice_reply(False, status=200)


def test_rejections_carry_no_plaintext(client):
    headers, body = notice(transaction(appid="wx0000000000other"))
    with pytest.raises(NoticeRejected) as caught:
        client.parse_notice(headers, body, clock.now())
    text = str(caught.value)
    assert "HMB20261123000001" not in text and "oStandinPayer" not in text
    assert standin.APIV3_KEY not in text
