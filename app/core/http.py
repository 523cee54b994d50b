"""The HTTP session for calls to third parties (WeChat, Alipay, WeChat Pay).

Tests (and the stand-in setup) plug a factory into `app.extensions["provider_http"]`,
e.g. one that mounts an in-process transport; otherwise a plain requests.Session. The
caller closes it when done.
"""

from __future__ import annotations

import requests
from flask import current_app


def provider_session() -> requests.Session:
    factory = current_app.extensions.get("provider_http")
    session: requests.Session = factory() if factory else requests.Session()
    return session
