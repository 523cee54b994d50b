"""Provider client configuration from the settings.

`wechat_config` / `alipay_config` return None when the provider is not configured (the
login button is then not offered). With DEV_STANDINS=1 and no app id set, they point at
the local stand-ins (`app/standins/`) with the stand-in's registered test app. A provider
configured only in part (an app id without its secret or keys) raises
`ProviderConfigError`: call both at start-up so a broken deployment fails to boot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.auth.providers import alipay_sign

WECHAT_SCOPES = ("snsapi_base", "snsapi_userinfo")
ALIPAY_SCOPES = ("auth_base", "auth_user")


class ProviderConfigError(ValueError):
    """A provider's settings are present but unusable (the message names the setting,
    never its value)."""


@dataclass(frozen=True)
class WeChatConfig:
    app_id: str
    app_secret: str = field(repr=False)
    scope: str  # snsapi_base | snsapi_userinfo
    oauth_base: str  # https://open.weixin.qq.com (the browser goes there)
    api_base: str  # https://api.weixin.qq.com (the server calls it)
    timeout_s: float
    is_standin: bool


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    app_private_key_pem: str = field(repr=False)  # the app's signing key (PKCS#8 PEM)
    alipay_public_key_pem: str = field(repr=False)  # Alipay's key, verifies responses
    scope: str  # auth_base | auth_user
    auth_base: str  # https://openauth.alipay.com (the browser goes there)
    gateway: str  # https://openapi.alipay.com/gateway.do (the server calls it)
    timeout_s: float
    is_standin: bool


def _check_scope(name: str, scope: str, allowed: tuple[str, ...]) -> str:
    if scope not in allowed:
        raise ProviderConfigError(f"{name} must be one of {', '.join(allowed)}")
    return scope


def wechat_config(settings: Any) -> WeChatConfig | None:
    if not settings.wechat_app_id and not settings.dev_standins:
        return None
    scope = _check_scope("WECHAT_SCOPE", settings.wechat_scope, WECHAT_SCOPES)
    if settings.wechat_app_id:
        if not settings.wechat_app_secret:
            raise ProviderConfigError("WECHAT_APP_ID is set but WECHAT_APP_SECRET is not")
        return WeChatConfig(
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret,
            scope=scope,
            oauth_base=settings.wechat_oauth_base.rstrip("/"),
            api_base=settings.wechat_api_base.rstrip("/"),
            timeout_s=settings.provider_timeout_s,
            is_standin=False,
        )
    from app.standins import registry

    base = f"{settings.standin_base_url.rstrip('/')}/standins/wechat"
    return WeChatConfig(
        app_id=registry.WECHAT_APP_ID,
        app_secret=registry.WECHAT_APP_SECRET,
        scope=scope,
        oauth_base=base,
        api_base=base,
        timeout_s=settings.provider_timeout_s,
        is_standin=True,
    )


def key_text(value: str) -> str:
    """A key setting's text: PEM text (or a bare base64 body) as is, else a file's content."""
    value = value.strip()
    if "-----BEGIN" in value:
        return value
    path = Path(value)
    try:
        if path.is_file():
            return path.read_text(encoding="ascii")
    except OSError:  # e.g. a long base64 body is not a valid path name
        pass
    return value


def _load(name: str, value: str, normalise: Any) -> str:
    try:
        pem: str = normalise(key_text(value))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise ProviderConfigError(
            f"{name} is neither an RSA key in PEM (or bare base64) nor a readable key file"
        ) from exc
    return pem


def alipay_config(settings: Any) -> AlipayConfig | None:
    if not settings.alipay_app_id and not settings.dev_standins:
        return None
    scope = _check_scope("ALIPAY_SCOPE", settings.alipay_scope, ALIPAY_SCOPES)
    if settings.alipay_app_id:
        for name, value in (
            ("ALIPAY_APP_PRIVATE_KEY", settings.alipay_app_private_key),
            ("ALIPAY_PUBLIC_KEY", settings.alipay_public_key),
        ):
            if not value:
                raise ProviderConfigError(f"ALIPAY_APP_ID is set but {name} is not")
        return AlipayConfig(
            app_id=settings.alipay_app_id,
            app_private_key_pem=_load(
                "ALIPAY_APP_PRIVATE_KEY",
                settings.alipay_app_private_key,
                alipay_sign.private_key_pem,
            ),
            alipay_public_key_pem=_load(
                "ALIPAY_PUBLIC_KEY", settings.alipay_public_key, alipay_sign.public_key_pem
            ),
            scope=scope,
            auth_base=settings.alipay_auth_base.rstrip("/"),
            gateway=settings.alipay_gateway,
            timeout_s=settings.provider_timeout_s,
            is_standin=False,
        )
    from app.standins import registry

    base = f"{settings.standin_base_url.rstrip('/')}/standins/alipay"
    return AlipayConfig(
        app_id=registry.ALIPAY_APP_ID,
        app_private_key_pem=registry.read_key(registry.APP_PRIVATE_KEY_FILE),
        alipay_public_key_pem=registry.read_key(registry.ALIPAY_PUBLIC_KEY_FILE),
        scope=scope,
        auth_base=base,
        gateway=f"{base}/gateway.do",
        timeout_s=settings.provider_timeout_s,
        is_standin=True,
    )
