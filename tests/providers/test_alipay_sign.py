"""Alipay RSA2 signing: the signing string, sign/verify, raw-text response splitting."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.auth.providers import alipay_sign
from app.standins import registry

APP_PRIVATE = registry.read_key(registry.APP_PRIVATE_KEY_FILE)
APP_PUBLIC = registry.read_key(registry.APP_PUBLIC_KEY_FILE)
ALIPAY_PRIVATE = registry.read_key(registry.ALIPAY_PRIVATE_KEY_FILE)
ALIPAY_PUBLIC = registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # sorted by key; sign left out; nothing URL-encoded (spaces, ':', '{', '"' as is)
        (
            {
                "timestamp": "2014-07-24 03:07:50",
                "method": "alipay.system.oauth.token",
                "app_id": "2014072300007148",
                "sign": "SHOULD-NOT-APPEAR",
                "charset": "utf-8",
                "version": "1.0",
                "sign_type": "RSA2",
                "grant_type": "authorization_code",
                "code": "4b203fe6c11548bcabd8da5bb087a83b",
                "format": "JSON",
            },
            "app_id=2014072300007148&charset=utf-8&code=4b203fe6c11548bcabd8da5bb087a83b"
            "&format=JSON&grant_type=authorization_code&method=alipay.system.oauth.token"
            "&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0",
        ),
        # empty values (and None) skipped; '&', '=' and Chinese inside values kept raw
        (
            {"b": "", "a": "x=1&y=2", "c": None, "biz_content": '{"subject":"惠民保"}'},
            'a=x=1&y=2&biz_content={"subject":"惠民保"}',
        ),
        # byte order: upper case sorts before lower case, '_' after letters of its case
        ({"b": "2", "B": "1", "a_b": "4", "ab": "3"}, "B=1&a_b=4&ab=3&b=2"),
        ({"sign": "only"}, ""),
        ({}, ""),
    ],
    ids=["request", "empty-and-raw", "order", "sign-only", "nothing"],
)
def test_signing_string(params, expected):
    assert alipay_sign.signing_string(params) == expected


def test_signing_string_for_notifications_leaves_out_sign_type():
    params = {"trade_no": "1", "sign_type": "RSA2", "sign": "x", "app_id": "2"}
    assert alipay_sign.signing_string(params, exclude=alipay_sign.NOTIFY_EXCLUDE) == (
        "app_id=2&trade_no=1"
    )


def test_sign_params_is_sha256_with_rsa_over_the_signing_string():
    params = {"app_id": "2021000000000000", "method": "m", "timestamp": "2026-01-01 08:00:00"}
    sign = alipay_sign.sign_params(params, APP_PRIVATE)
    # checked independently of alipay_sign.verify: PKCS#1 v1.5, SHA-256, base64
    public = serialization.load_pem_public_key(APP_PUBLIC.encode())
    public.verify(
        base64.b64decode(sign),
        b"app_id=2021000000000000&method=m&timestamp=2026-01-01 08:00:00",
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert len(base64.b64decode(sign)) == 256  # RSA-2048
    assert sign == alipay_sign.sign_params(params, APP_PRIVATE)  # deterministic


def test_sign_verify_round_trip_with_the_test_keys():
    content = '{"code":"10000","msg":"Success","nick_name":"张三"}'
    sign = alipay_sign.sign_text(content, ALIPAY_PRIVATE)
    assert alipay_sign.verify(content, sign, ALIPAY_PUBLIC)
    assert not alipay_sign.verify(content.replace("张三", "李四"), sign, ALIPAY_PUBLIC)
    assert not alipay_sign.verify(content, sign, APP_PUBLIC)  # the other pair
    assert not alipay_sign.verify(content, "", ALIPAY_PUBLIC)
    assert not alipay_sign.verify(content, "not base64!!", ALIPAY_PUBLIC)
    assert not alipay_sign.verify(content, base64.b64encode(b"short").decode(), ALIPAY_PUBLIC)


def test_verify_params_round_trip():
    params = {"app_id": "1", "method": "m", "sign_type": "RSA2"}
    params["sign"] = alipay_sign.sign_params(params, APP_PRIVATE)
    assert alipay_sign.verify_params(params, APP_PUBLIC)
    assert not alipay_sign.verify_params({**params, "method": "n"}, APP_PUBLIC)
    assert not alipay_sign.verify_params(
        {k: v for k, v in params.items() if k != "sign"}, APP_PUBLIC
    )


def test_keys_load_from_pkcs1_and_bare_base64():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    der_public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bare_public = base64.b64encode(der_public).decode()  # how Alipay's console shows it
    sign = alipay_sign.sign_text("hello", pkcs1)
    assert alipay_sign.verify("hello", sign, bare_public)
    assert alipay_sign.public_key_pem(bare_public).startswith("-----BEGIN PUBLIC KEY-----")
    assert alipay_sign.private_key_pem(pkcs1).startswith("-----BEGIN PRIVATE KEY-----")
    with pytest.raises(ValueError):
        alipay_sign.load_public_key("not a key")


# --- the raw text Alipay signed ----------------------------------------------------------


def test_split_response_keeps_the_raw_text():
    content = (
        '{ "user_id" : "2088000000000001","avatar":"https:\\/\\/x.cn\\/a.png" ,"n":[1,{"a":"}"}]}'
    )
    body = f'{{"alipay_user_info_share_response":{content} , "sign" : "S1"}}'
    part = alipay_sign.split_response(body, "alipay_user_info_share_response")
    assert part is not None
    assert part.content == content  # exactly as in the body: spaces, \/ escapes, order
    assert part.value["avatar"] == "https://x.cn/a.png"
    assert part.sign == "S1" and part.key == "alipay_user_info_share_response"


def test_split_response_finds_sign_first_and_error_response():
    body = '{"sign":"S2","error_response":{"code":"40002","sub_code":"isv.code-invalid"}}'
    part = alipay_sign.split_response(body, "alipay_system_oauth_token_response")
    assert part is not None and part.key == "error_response"
    assert part.content == '{"code":"40002","sub_code":"isv.code-invalid"}'
    assert part.sign == "S2"


def test_split_response_ignores_the_key_inside_strings():
    decoy = '{"note":"\\"alipay_system_oauth_token_response\\":{}","sign":"x"}'
    body = '{"other":' + decoy + ',"alipay_system_oauth_token_response":{"a":1}}'
    part = alipay_sign.split_response(body, "alipay_system_oauth_token_response")
    assert part is not None and part.content == '{"a":1}' and part.sign is None


@pytest.mark.parametrize(
    "body",
    ["", "[]", "<html></html>", '{"a":1} trailing', '{"a":1,}', '{"a" 1}', '{"a":1'],
)
def test_split_response_refuses_non_objects(body):
    with pytest.raises(ValueError):
        alipay_sign.split_response(body, "x_response")


def test_split_response_without_the_key_is_none():
    assert alipay_sign.split_response('{"sign":"s"}', "x_response") is None
    assert alipay_sign.split_response("{}", "x_response") is None


def test_signed_body_verifies_over_its_raw_value():
    body = alipay_sign.signed_body("x_response", {"code": "10000", "名": "值"}, ALIPAY_PRIVATE)
    part = alipay_sign.split_response(body, "x_response")
    assert part is not None and part.sign
    assert alipay_sign.verify(part.content, part.sign, ALIPAY_PUBLIC)
    assert json.loads(body)["x_response"] == {"code": "10000", "名": "值"}
