"""The apps registered with the stand-ins (what the real providers know about a merchant).

Pure constants and paths, no Flask: `app.auth.providers.config` reads them in stand-in
mode, the stand-in routes check requests against them.
"""

from __future__ import annotations

from pathlib import Path

KEYS_DIR = Path(__file__).resolve().parent / "keys"

# WeChat official account registered with the stand-in
WECHAT_APP_ID = "wxd0000000standin"
WECHAT_APP_SECRET = "standin0test0secret0not0real0000"  # noqa: S105 - a stand-in's fixed test secret

# Alipay app registered with the stand-in (2021… is the shape of a real app id)
ALIPAY_APP_ID = "2021000000000000"
APP_PRIVATE_KEY_FILE = KEYS_DIR / "app_private_key.pem"  # the merchant app signs with this
APP_PUBLIC_KEY_FILE = KEYS_DIR / "app_public_key.pem"  # the stand-in verifies requests with this
ALIPAY_PRIVATE_KEY_FILE = KEYS_DIR / "alipay_private_key.pem"  # the stand-in signs responses
ALIPAY_PUBLIC_KEY_FILE = KEYS_DIR / "alipay_public_key.pem"  # the app verifies responses


def read_key(path: Path) -> str:
    return path.read_text(encoding="ascii")
