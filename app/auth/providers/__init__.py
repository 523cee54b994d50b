"""Login provider clients (WeChat, Alipay): authorize URLs and code -> identity.

config = wechat_config(settings)          # None when WeChat login is not configured
client = WeChatClient(config, http)       # http: a requests.Session (tests mount adapters)
client.authorize_url(redirect_uri=..., state=...)
identity = client.fetch_identity(code)    # ProviderIdentity, or raises ProviderError
"""

from app.auth.providers.alipay import AlipayClient
from app.auth.providers.base import ProviderError, ProviderIdentity
from app.auth.providers.config import (
    AlipayConfig,
    ProviderConfigError,
    WeChatConfig,
    alipay_config,
    wechat_config,
)
from app.auth.providers.wechat import WeChatClient

__all__ = [
    "AlipayClient",
    "AlipayConfig",
    "ProviderConfigError",
    "ProviderError",
    "ProviderIdentity",
    "WeChatClient",
    "WeChatConfig",
    "alipay_config",
    "wechat_config",
]
