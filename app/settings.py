"""Every environment variable the service reads, read once into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the known development default


class SettingsError(RuntimeError):
    """The settings cannot run in this environment (e.g. production with a default secret)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'instance' / 'huiminbao.db'}"


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"  # APP_ENV: development | test | production
    secret_key: str = DEV_SECRET  # SECRET_KEY
    database_url: str = ""  # DATABASE_URL (sqlite:///... or postgresql+psycopg://...)
    dev_standins: bool = False  # DEV_STANDINS=1 mounts the local provider stand-ins
    log_level: str = "INFO"  # LOG_LEVEL
    max_content_length: int = 1 * 1024 * 1024  # MAX_CONTENT_LENGTH (bytes) for JSON bodies
    static_dir: str = str(REPO_ROOT / "static")
    # where the app and the browser reach the stand-ins (DEV_STANDINS=1 only)
    standin_base_url: str = "http://127.0.0.1:8000"  # STANDIN_BASE_URL (default from PORT)
    standin_db: str = str(REPO_ROOT / "instance" / "standins.sqlite3")  # STANDIN_DB
    # the address members reach us at (callback URLs registered with the providers);
    # empty: taken from the request (behind a proxy set FORWARDED_ALLOW_IPS for gunicorn)
    public_base_url: str = ""  # PUBLIC_BASE_URL, e.g. https://hmb.example.cn
    provider_timeout_s: float = 5.0  # PROVIDER_TIMEOUT: connect/read timeout for provider calls
    # reverse proxies in front of gunicorn that set X-Forwarded-For/-Proto/-Host (nginx: 1);
    # the client address (rate limits, staff audit log, WeChat Pay's payer IP) is read from
    # them. 0 (the default): the peer address is the client's.
    proxy_hops: int = 0  # PROXY_HOPS
    # WeChat official-account web authorization
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_scope: str = "snsapi_base"
    wechat_oauth_base: str = "https://open.weixin.qq.com"
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Alipay H5 user authorization (keys: PEM text or a file path)
    alipay_app_id: str = ""
    alipay_app_private_key: str = ""
    alipay_public_key: str = ""
    alipay_scope: str = "auth_base"
    alipay_auth_base: str = "https://openauth.alipay.com"
    alipay_gateway: str = "https://openapi.alipay.com/gateway.do"
    # WeChat Pay API v3 (keys: PEM text or a file path)
    wechatpay_mch_id: str = ""
    wechatpay_app_id: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_merchant_private_key: str = ""
    wechatpay_merchant_serial: str = ""
    wechatpay_platform_public_key: str = ""
    wechatpay_platform_serial: str = ""
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com"
    order_ttl_minutes: int = 30  # ORDER_TTL_MINUTES: unpaid orders expire
    # personal data at rest: "kid1:<base64 32 bytes>,kid2:..." ; the active key id; the HMAC key
    pii_keys: str = ""  # PII_KEYS (development: derived from SECRET_KEY)
    pii_active_key: str = ""  # PII_ACTIVE_KEY (default: the last key of PII_KEYS)
    pii_index_key: str = ""  # PII_INDEX_KEY base64 (development: derived from SECRET_KEY)
    ratelimit_storage_uri: str = "memory://"  # RATELIMIT_STORAGE_URI (redis://... in production)
    ratelimit_login: str = "30 per minute"  # RATELIMIT_LOGIN: member login starts, per address
    ratelimit_staff_login: str = "5 per minute"  # RATELIMIT_STAFF_LOGIN: staff password tries
    session_idle_minutes: int = 30  # SESSION_IDLE_MINUTES
    session_absolute_hours: int = 7 * 24  # SESSION_ABSOLUTE_HOURS
    # claim documents (app/documents/storage.py): local directory by default, S3 when set
    document_storage: str = ""  # DOCUMENT_STORAGE: local | s3 (default: s3 if S3_BUCKET)
    document_dir: str = str(REPO_ROOT / "instance" / "documents")  # DOCUMENT_DIR
    document_max_bytes: int = 15 * 1024 * 1024  # DOCUMENT_MAX_BYTES: per uploaded file
    documents_per_claim: int = 50  # DOCUMENTS_PER_CLAIM
    s3_bucket: str = ""  # S3_BUCKET
    s3_endpoint_url: str = ""  # S3_ENDPOINT_URL (OSS, COS, MinIO; empty for AWS)
    s3_region: str = ""  # S3_REGION
    # member notifications besides the message centre: logging | wechat
    notify_channel: str = "logging"  # NOTIFY_CHANNEL
    wechat_subscribe_template_id: str = ""  # WECHAT_SUBSCRIBE_TEMPLATE_ID (claim status)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            app_env=env.get("APP_ENV", "development"),
            secret_key=env.get("SECRET_KEY", DEV_SECRET),
            database_url=env.get("DATABASE_URL") or default_database_url(),
            dev_standins=_bool(env.get("DEV_STANDINS")),
            log_level=env.get("LOG_LEVEL", "INFO"),
            max_content_length=int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
            standin_base_url=env.get("STANDIN_BASE_URL")
            or f"http://127.0.0.1:{env.get('PORT', '8000')}",
            standin_db=env.get("STANDIN_DB") or str(REPO_ROOT / "instance" / "standins.sqlite3"),
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            provider_timeout_s=float(env.get("PROVIDER_TIMEOUT", "5")),
            proxy_hops=int(env.get("PROXY_HOPS", "0")),
            wechat_app_id=env.get("WECHAT_APP_ID", ""),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", ""),
            wechat_scope=env.get("WECHAT_SCOPE", "snsapi_base"),
            wechat_oauth_base=env.get("WECHAT_OAUTH_BASE", "https://open.weixin.qq.com"),
            wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
            alipay_app_id=env.get("ALIPAY_APP_ID", ""),
            alipay_app_private_key=env.get("ALIPAY_APP_PRIVATE_KEY", ""),
            alipay_public_key=env.get("ALIPAY_PUBLIC_KEY", ""),
            alipay_scope=env.get("ALIPAY_SCOPE", "auth_base"),
            alipay_auth_base=env.get("ALIPAY_AUTH_BASE", "https://openauth.alipay.com"),
            alipay_gateway=env.get("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do"),
            wechatpay_mch_id=env.get("WECHATPAY_MCH_ID", ""),
            wechatpay_app_id=env.get("WECHATPAY_APP_ID", ""),
            wechatpay_apiv3_key=env.get("WECHATPAY_APIV3_KEY", ""),
            wechatpay_merchant_private_key=env.get("WECHATPAY_MERCHANT_PRIVATE_KEY", ""),
            wechatpay_merchant_serial=env.get("WECHATPAY_MERCHANT_SERIAL", ""),
            wechatpay_platform_public_key=env.get("WECHATPAY_PLATFORM_PUBLIC_KEY", ""),
            wechatpay_platform_serial=env.get("WECHATPAY_PLATFORM_SERIAL", ""),
            wechatpay_api_base=env.get("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com"),
            order_ttl_minutes=int(env.get("ORDER_TTL_MINUTES", "30")),
            pii_keys=env.get("PII_KEYS", ""),
            pii_active_key=env.get("PII_ACTIVE_KEY", ""),
            pii_index_key=env.get("PII_INDEX_KEY", ""),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
            ratelimit_login=env.get("RATELIMIT_LOGIN", "30 per minute"),
            ratelimit_staff_login=env.get("RATELIMIT_STAFF_LOGIN", "5 per minute"),
            session_idle_minutes=int(env.get("SESSION_IDLE_MINUTES", "30")),
            session_absolute_hours=int(env.get("SESSION_ABSOLUTE_HOURS", str(7 * 24))),
            document_storage=env.get("DOCUMENT_STORAGE", ""),
            document_dir=env.get("DOCUMENT_DIR") or str(REPO_ROOT / "instance" / "documents"),
            document_max_bytes=int(env.get("DOCUMENT_MAX_BYTES", str(15 * 1024 * 1024))),
            documents_per_claim=int(env.get("DOCUMENTS_PER_CLAIM", "50")),
            s3_bucket=env.get("S3_BUCKET", ""),
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", ""),
            s3_region=env.get("S3_REGION", ""),
            notify_channel=env.get("NOTIFY_CHANNEL", "logging"),
            wechat_subscribe_template_id=env.get("WECHAT_SUBSCRIBE_TEMPLATE_ID", ""),
        )

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Settings:
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        known = {k.lower(): v for k, v in overrides.items() if k.lower() in names}
        return replace(self, **known)

    def check(self) -> None:
        if self.app_env not in {"development", "test", "production"}:
            raise SettingsError(
                f"APP_ENV must be development, test or production, not {self.app_env!r}"
            )
        if self.is_production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "APP_ENV=production needs SECRET_KEY set to a random value of 32+ characters"
                )
            if self.dev_standins:
                raise SettingsError("DEV_STANDINS must not be set in production")
            if not self.pii_keys or not self.pii_index_key:
                raise SettingsError(
                    "APP_ENV=production needs PII_KEYS and PII_INDEX_KEY (personal data at rest)"
                )
