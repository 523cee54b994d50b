"""WeChat Pay settings: not configured, the stand-in, a real merchant, half a merchant."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from app.auth.providers.config import ProviderConfigError
from app.payments.providers.wechatpay_config import (
    WeChatPayConfigError,
    load_private_key,
    wechatpay_config,
)
from app.settings import Settings
from app.standins import registry
from app.standins import wechatpay as standin
from tests.payments_wechatpay.wxpay_helpers import MERCHANT_PRIVATE, MERCHANT_PUBLIC, key

APIV3 = "0123456789abcdefghijklmnopqrstuv"
PLATFORM_PUBLIC = key(standin.PLATFORM_PUBLIC_KEY_FILE)


def real(**changes: object) -> Settings:
    values: dict[str, object] = {
        "wechatpay_mch_id": "1230000109",
        "wechatpay_app_id": "wx1234567890abcdef",
        "wechatpay_apiv3_key": APIV3,
        "wechatpay_merchant_private_key": MERCHANT_PRIVATE,
        "wechatpay_merchant_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay_platform_public_key": PLATFORM_PUBLIC,
        "wechatpay_platform_serial": "PUB_KEY_ID_0112300001092025112300000000",
        "provider_timeout_s": 4.0,
    }
    values.update(changes)
    return Settings().with_overrides(values)


def test_not_configured_without_standins():
    assert wechatpay_config(Settings()) is None


def test_standin_merchant_with_dev_standins():
    settings = Settings().with_overrides(
        {
            "dev_standins": True,
            "standin_base_url": "http://127.0.0.1:8000/",
            "provider_timeout_s": 2.5,
        }
    )
    config = wechatpay_config(settings)
    assert config is not None
    assert config.is_standin
    assert config.api_base == "http://127.0.0.1:8000/standins/wechatpay"
    assert config.mch_id == "1900000109"
    assert config.app_id == registry.WECHAT_APP_ID == "wxd0000000standin"
    assert len(config.apiv3_key.encode()) == 32
    assert config.merchant_serial == standin.MERCHANT_SERIAL
    assert config.platform_serial == standin.PLATFORM_SERIAL
    assert config.timeout_s == 2.5
    # the merchant key is the stand-in's TEST pair; the platform key verifies its answers
    assert load_private_key(config.merchant_private_key_pem).public_key().public_numbers() == (
        load_private_key(key(standin.MERCHANT_PRIVATE_KEY_FILE)).public_key().public_numbers()
    )
    assert "BEGIN PUBLIC KEY" in config.platform_public_key_pem


def test_a_real_merchant_wins_over_the_standin():
    config = wechatpay_config(real(dev_standins=True))
    assert config is not None
    assert not config.is_standin
    assert config.api_base == "https://api.mch.weixin.qq.com"
    assert config.mch_id == "1230000109"
    assert config.app_id == "wx1234567890abcdef"
    assert config.platform_serial == "PUB_KEY_ID_0112300001092025112300000000"
    assert config.timeout_s == 4.0


def test_secrets_stay_out_of_the_repr():
    text = repr(wechatpay_config(real()))
    assert APIV3 not in text
    assert "PRIVATE KEY" not in text and "PUBLIC KEY" not in text


def test_app_id_defaults_to_the_login_official_account():
    config = wechatpay_config(real(wechatpay_app_id="", wechat_app_id="wxloginapp0000001"))
    assert config is not None and config.app_id == "wxloginapp0000001"
    with pytest.raises(WeChatPayConfigError, match="WECHATPAY_APP_ID"):
        wechatpay_config(real(wechatpay_app_id=""))


def test_keys_from_files(tmp_path):
    (tmp_path / "apiclient_key.pem").write_text(MERCHANT_PRIVATE)
    (tmp_path / "pub_key.pem").write_text(PLATFORM_PUBLIC)
    config = wechatpay_config(
        real(
            wechatpay_merchant_private_key=str(tmp_path / "apiclient_key.pem"),
            wechatpay_platform_public_key=str(tmp_path / "pub_key.pem"),
        )
    )
    assert config is not None
    assert "BEGIN PRIVATE KEY" in config.merchant_private_key_pem
    assert config.platform_public_key_pem.strip() == PLATFORM_PUBLIC.strip()


def test_a_platform_certificate_is_accepted():
    platform_key = load_private_key(key(standin.PLATFORM_PRIVATE_KEY_FILE))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(platform_key.public_key())
        .serial_number(0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(platform_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    config = wechatpay_config(real(wechatpay_platform_public_key=pem))
    assert config is not None
    assert config.platform_public_key_pem.strip() == PLATFORM_PUBLIC.strip()


@pytest.mark.parametrize(
    "missing",
    [
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_MERCHANT_PRIVATE_KEY",
        "WECHATPAY_MERCHANT_SERIAL",
        "WECHATPAY_PLATFORM_PUBLIC_KEY",
        "WECHATPAY_PLATFORM_SERIAL",
    ],
)
def test_half_a_merchant_fails_naming_the_setting(missing):
    with pytest.raises(WeChatPayConfigError) as caught:
        wechatpay_config(real(**{missing.lower(): ""}))
    assert missing in str(caught.value)
    assert isinstance(caught.value, ProviderConfigError)  # start-up catches one type
    assert APIV3 not in str(caught.value) and "BEGIN" not in str(caught.value)


def test_keys_without_a_merchant_number_fail():
    with pytest.raises(WeChatPayConfigError, match="is set but WECHATPAY_MCH_ID is not"):
        wechatpay_config(real(wechatpay_mch_id="", dev_standins=True))
    only_key = Settings().with_overrides({"wechatpay_apiv3_key": APIV3})
    with pytest.raises(
        WeChatPayConfigError, match="WECHATPAY_APIV3_KEY is set but WECHATPAY_MCH_ID"
    ):
        wechatpay_config(only_key)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("wechatpay_apiv3_key", "too-short", "WECHATPAY_APIV3_KEY must be 32"),
        ("wechatpay_merchant_private_key", "/no/such/key.pem", "WECHATPAY_MERCHANT_PRIVATE_KEY"),
        ("wechatpay_merchant_private_key", MERCHANT_PUBLIC, "WECHATPAY_MERCHANT_PRIVATE_KEY"),
        ("wechatpay_platform_public_key", "garbage", "WECHATPAY_PLATFORM_PUBLIC_KEY"),
        ("wechatpay_mch_id", "mch-abc", "WECHATPAY_MCH_ID"),
    ],
)
def test_unusable_values_fail_without_echoing_them(setting, value, message):
    with pytest.raises(WeChatPayConfigError, match=message) as caught:
        wechatpay_config(real(**{setting: value}))
    assert value not in str(caught.value)
