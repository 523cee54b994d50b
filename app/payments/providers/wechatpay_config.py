"""WeChat Pay API v3 client configuration from the settings.

`wechatpay_config(settings)` returns None when WeChat Pay is not configured (the WeChat
Pay option is then not offered). With DEV_STANDINS=1 and no WECHATPAY_MCH_ID it points
at the local stand-in (`app/standins/wechatpay.py`) with the stand-in's test merchant,
APIv3 key and TEST key pairs. A configuration given only in part raises
`WeChatPayConfigError` naming the setting (never its value): call it at start-up so a
broken deployment fails to boot.

Keys are PEM text or a path to a PEM file. The platform key may be the WeChat Pay
public key (公钥模式, serial `PUB_KEY_ID_…`) or a platform certificate (平台证书, its
serial); either way only its RSA public key is kept.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth.providers.config import ProviderConfigError

APIV3_KEY_BYTES = 32


class WeChatPayConfigError(ProviderConfigError):
    """WeChat Pay settings are present but unusable (the message names the setting,
    never its value)."""


@dataclass(frozen=True)
class WeChatPayConfig:
    mch_id: str  # 商户号
    app_id: str  # the official account's appid the payers' openids belong to
    apiv3_key: str = field(repr=False)  # 32 characters: decrypts notices (AES-256-GCM)
    merchant_private_key_pem: str = field(repr=False)  # signs requests (apiclient_key.pem)
    merchant_serial: str  # the merchant API certificate's serial number
    platform_public_key_pem: str = field(repr=False)  # verifies responses and notices
    platform_serial: str  # Wechatpay-Serial of the platform key
    api_base: str  # https://api.mch.weixin.qq.com (no trailing slash)
    timeout_s: float
    is_standin: bool


# --- keys ------------------------------------------------------------------------------


def _key_text(value: str) -> str:
    """PEM text as is, else the content of the file the value names."""
    value = value.strip()
    if "-----BEGIN" in value:
        return value
    try:
        path = Path(value)
        if path.is_file():
            return path.read_text(encoding="ascii")
    except (OSError, ValueError):  # not a usable path name
        pass
    return value


@functools.lru_cache(maxsize=16)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PKCS#8 or PKCS#1 PEM."""
    key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@functools.lru_cache(maxsize=16)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from SubjectPublicKeyInfo PEM or an X.509 certificate PEM."""
    data = pem.strip().encode("ascii")
    if b"-----BEGIN CERTIFICATE-----" in data:
        key: Any = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _private_pem(name: str, value: str) -> str:
    try:
        key = load_private_key(_key_text(value))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise WeChatPayConfigError(
            f"{name} is neither an RSA private key in PEM nor a readable PEM file"
        ) from exc
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _public_pem(name: str, value: str) -> str:
    try:
        key = load_public_key(_key_text(value))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise WeChatPayConfigError(
            f"{name} is neither an RSA public key (or certificate) in PEM nor a readable PEM file"
        ) from exc
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


# --- settings --------------------------------------------------------------------------

# (setting name, Settings attribute) that a real merchant configuration needs
_REQUIRED = (
    ("WECHATPAY_APIV3_KEY", "wechatpay_apiv3_key"),
    ("WECHATPAY_MERCHANT_PRIVATE_KEY", "wechatpay_merchant_private_key"),
    ("WECHATPAY_MERCHANT_SERIAL", "wechatpay_merchant_serial"),
    ("WECHATPAY_PLATFORM_PUBLIC_KEY", "wechatpay_platform_public_key"),
    ("WECHATPAY_PLATFORM_SERIAL", "wechatpay_platform_serial"),
)


def wechatpay_config(settings: Any) -> WeChatPayConfig | None:
    """The client configuration, None when WeChat Pay is not configured (see module doc)."""
    mch_id = str(settings.wechatpay_mch_id).strip()
    if not mch_id:
        for name, attr in (("WECHATPAY_APP_ID", "wechatpay_app_id"), *_REQUIRED):
            if getattr(settings, attr):
                raise WeChatPayConfigError(f"{name} is set but WECHATPAY_MCH_ID is not")
        if not settings.dev_standins:
            return None
        return _standin_config(settings)
    if not mch_id.isdigit():
        raise WeChatPayConfigError("WECHATPAY_MCH_ID must be the merchant number (digits)")
    for name, attr in _REQUIRED:
        if not str(getattr(settings, attr)).strip():
            raise WeChatPayConfigError(f"WECHATPAY_MCH_ID is set but {name} is not")
    # the payers' openids belong to the official account: by default the login app's
    app_id = str(settings.wechatpay_app_id or settings.wechat_app_id).strip()
    if not app_id:
        raise WeChatPayConfigError("WECHATPAY_MCH_ID is set but WECHATPAY_APP_ID is not")
    apiv3_key = str(settings.wechatpay_apiv3_key).strip()
    if len(apiv3_key.encode("utf-8")) != APIV3_KEY_BYTES:
        raise WeChatPayConfigError("WECHATPAY_APIV3_KEY must be 32 characters")
    return WeChatPayConfig(
        mch_id=mch_id,
        app_id=app_id,
        apiv3_key=apiv3_key,
        merchant_private_key_pem=_private_pem(
            "WECHATPAY_MERCHANT_PRIVATE_KEY", settings.wechatpay_merchant_private_key
        ),
        merchant_serial=str(settings.wechatpay_merchant_serial).strip(),
        platform_public_key_pem=_public_pem(
            "WECHATPAY_PLATFORM_PUBLIC_KEY", settings.wechatpay_platform_public_key
        ),
        platform_serial=str(settings.wechatpay_platform_serial).strip(),
        api_base=str(settings.wechatpay_api_base).rstrip("/"),
        timeout_s=float(settings.provider_timeout_s),
        is_standin=False,
    )


def _standin_config(settings: Any) -> WeChatPayConfig:
    from app.standins import wechatpay as standin

    return WeChatPayConfig(
        mch_id=standin.MCH_ID,
        app_id=standin.APP_ID,
        apiv3_key=standin.APIV3_KEY,
        merchant_private_key_pem=standin.read_key(standin.MERCHANT_PRIVATE_KEY_FILE),
        merchant_serial=standin.MERCHANT_SERIAL,
        platform_public_key_pem=standin.read_key(standin.PLATFORM_PUBLIC_KEY_FILE),
        platform_serial=standin.PLATFORM_SERIAL,
        api_base=f"{str(settings.standin_base_url).rstrip('/')}/standins/wechatpay",
        timeout_s=float(settings.provider_timeout_s),
        is_standin=True,
    )
