"""WeChat Pay API v3 signatures, encryption and formats, without a server."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from app.payments.providers import wechatpay as wxpay
from app.payments.providers.wechatpay_config import load_public_key
from app.standins import wechatpay as standin
from tests.payments_wechatpay.wxpay_helpers import (
    MERCHANT_PRIVATE,
    MERCHANT_PUBLIC,
    PLATFORM_PRIVATE,
    key,
    transaction,
)

PLATFORM_PUBLIC = key(standin.PLATFORM_PUBLIC_KEY_FILE)


def test_request_signing_string_is_five_lines():
    message = wxpay.request_message(
        "post",
        "/v3/pay/transactions/jsapi",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        '{"appid":"wx"}',
    )
    assert message == (
        b"POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n"
        b'{"appid":"wx"}\n'
    )
    # a GET signs an empty body: the line is still there
    assert (
        wxpay.request_message("GET", "/v3/x?mchid=1", "1", "N", b"")
        == b"GET\n/v3/x?mchid=1\n1\nN\n\n"
    )


def test_response_signing_string_is_three_lines():
    assert wxpay.response_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", "{}") == (
        b"1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{}\n"
    )


def test_authorization_header_format_and_signature():
    header = wxpay.authorization_header(
        mch_id="1900000109",
        serial_no=standin.MERCHANT_SERIAL,
        private_key_pem=MERCHANT_PRIVATE,
        method="GET",
        canonical_url="/v3/certificates",
        body="",
        timestamp="1554208460",
        nonce="593BEC0C930BF1AFEB40B4A08C8FB242",
    )
    assert re.fullmatch(
        r'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",'
        r'nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        r'signature="[A-Za-z0-9+/=]+",timestamp="1554208460",serial_no="'
        + standin.MERCHANT_SERIAL
        + '"',
        header,
    )
    params = wxpay.parse_authorization(header)
    assert params is not None
    assert params["mchid"] == "1900000109"
    # PKCS#1 v1.5 SHA-256 RSA, verifiable with the merchant's public key and nothing else
    message = b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    signature = base64.b64decode(params["signature"])
    assert len(signature) == 256  # RSA 2048
    load_public_key(MERCHANT_PUBLIC).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    assert wxpay.rsa_verify(message, params["signature"], MERCHANT_PUBLIC)
    assert not wxpay.rsa_verify(message, params["signature"], PLATFORM_PUBLIC)
    assert not wxpay.rsa_verify(message + b"x", params["signature"], MERCHANT_PUBLIC)


def test_authorization_header_defaults_to_fresh_nonce_and_now():
    one = wxpay.parse_authorization(
        wxpay.authorization_header(
            mch_id="1",
            serial_no="S",
            private_key_pem=MERCHANT_PRIVATE,
            method="GET",
            canonical_url="/",
            body="",
        )
    )
    two = wxpay.parse_authorization(
        wxpay.authorization_header(
            mch_id="1",
            serial_no="S",
            private_key_pem=MERCHANT_PRIVATE,
            method="GET",
            canonical_url="/",
            body="",
        )
    )
    assert one and two
    assert re.fullmatch(r"[A-Z0-9]{32}", one["nonce_str"])
    assert one["nonce_str"] != two["nonce_str"]
    assert abs(int(one["timestamp"]) - datetime.now(UTC).timestamp()) < 60


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Bearer abc",
        'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n"',  # parameters missing
        'WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="n",signature="s",timestamp="1",serial_no="x"',
        'WECHATPAY2-SHA256-RSA mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="x"',
    ],
)
def test_malformed_authorization_headers_are_refused(value):
    assert wxpay.parse_authorization(value) is None


def test_canonical_url_is_the_path_and_query_as_sent():
    assert (
        wxpay.canonical_url(
            "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/A1?mchid=19"
        )
        == "/v3/pay/transactions/out-trade-no/A1?mchid=19"
    )
    assert wxpay.canonical_url("http://standins.test/standins/wechatpay/v3/x") == (
        "/standins/wechatpay/v3/x"
    )


def test_jsapi_pay_sign_verifies_with_the_merchant_key():
    sign = wxpay.jsapi_pay_sign(
        "wx8888888888888888",
        "1414561699",
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "prepay_id=wx201410272009395522657a690389285100",
        MERCHANT_PRIVATE,
    )
    message = (
        b"wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n"
        b"prepay_id=wx201410272009395522657a690389285100\n"
    )
    assert wxpay.rsa_verify(message, sign, MERCHANT_PUBLIC)


def test_aead_round_trip_and_tamper_detection():
    sealed = wxpay.aead_encrypt(standin.APIV3_KEY, "fdasflkja484", "transaction", b'{"a":1}')
    assert len(base64.b64decode(sealed)) == len(b'{"a":1}') + 16  # the GCM tag at the end
    assert (
        wxpay.aead_decrypt(standin.APIV3_KEY, "fdasflkja484", "transaction", sealed) == b'{"a":1}'
    )
    for args in (
        ("0" * 32, "fdasflkja484", "transaction", sealed),
        (standin.APIV3_KEY, "fdasflkja485", "transaction", sealed),
        (standin.APIV3_KEY, "fdasflkja484", "certificate", sealed),
        (standin.APIV3_KEY, "fdasflkja484", "transaction", "not base64!"),
    ):
        with pytest.raises(ValueError):
            wxpay.aead_decrypt(*args)


def test_rfc3339_is_beijing_time():
    moment = datetime(2026, 11, 23, 2, 30, 5, 123456, tzinfo=UTC)
    assert wxpay.rfc3339(moment) == "2026-11-23T10:30:05+08:00"
    assert wxpay.rfc3339(moment.astimezone(ZoneInfo("Europe/Paris"))) == "2026-11-23T10:30:05+08:00"
    with pytest.raises(ValueError):
        wxpay.rfc3339(datetime(2026, 11, 23, 10, 30))  # noqa: DTZ001 - naive on purpose


def test_build_notice_is_wechats_envelope():
    headers, body = wxpay.build_notice(
        None,
        transaction(),
        platform_private_key_pem=PLATFORM_PRIVATE,
        platform_serial=standin.PLATFORM_SERIAL,
        apiv3_key=standin.APIV3_KEY,
        timestamp=1554209980,
        nonce="c5ac7061fccab6bf3e254dcf98995b8c",
    )
    assert headers["Wechatpay-Timestamp"] == "1554209980"
    assert headers["Wechatpay-Nonce"] == "c5ac7061fccab6bf3e254dcf98995b8c"
    assert headers["Wechatpay-Serial"] == standin.PLATFORM_SERIAL
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert wxpay.rsa_verify(
        wxpay.response_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", body),
        headers["Wechatpay-Signature"],
        PLATFORM_PUBLIC,
    )
    envelope = json.loads(body)
    assert set(envelope) == {
        "id",
        "create_time",
        "resource_type",
        "event_type",
        "summary",
        "resource",
    }
    assert envelope["resource_type"] == "encrypt-resource"
    assert envelope["event_type"] == "TRANSACTION.SUCCESS"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", envelope["create_time"])
    resource = envelope["resource"]
    assert resource["original_type"] == "transaction"
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert resource["associated_data"] == "transaction"
    assert len(resource["nonce"]) == 12
    plain = wxpay.aead_decrypt(
        standin.APIV3_KEY, resource["nonce"], resource["associated_data"], resource["ciphertext"]
    )
    assert json.loads(plain) == transaction()


def test_build_notice_fills_mchid_and_appid_from_a_config():
    class Merchant:
        mch_id = "1900000109"
        app_id = "wxd0000000standin"

    txn = transaction()
    del txn["mchid"], txn["appid"]
    _, body = wxpay.build_notice(
        Merchant(),
        txn,
        platform_private_key_pem=PLATFORM_PRIVATE,
        platform_serial="S",
        apiv3_key=standin.APIV3_KEY,
    )
    resource = json.loads(body)["resource"]
    plain = json.loads(
        wxpay.aead_decrypt(
            standin.APIV3_KEY, resource["nonce"], "transaction", resource["ciphertext"]
        )
    )
    assert (plain["mchid"], plain["appid"]) == ("1900000109", "wxd0000000standin")
