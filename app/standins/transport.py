"""A requests transport adapter that serves requests to a WSGI app in-process.

    http = requests.Session()
    http.mount("http://standins.test", WSGIAdapter(standin_app))
    WeChatClient(config, http).fetch_identity(code)   # the production code path, no server

`fail` simulates an outage: an exception (instance or class) raised instead of serving,
e.g. `WSGIAdapter(app, fail=requests.ConnectTimeout)`; set or clear it at any time.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

WSGIApp = Callable[..., Any]


class WSGIAdapter(BaseAdapter):
    def __init__(
        self,
        app: WSGIApp,
        *,
        fail: BaseException | type[BaseException] | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.fail = fail
        # what was sent, and with which timeout, for assertions
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(timeout)
        if self.fail is not None:
            failure = self.fail
            if isinstance(failure, type):
                raise failure(f"simulated failure reaching {urlsplit(request.url or '').netloc}")
            raise failure
        environ = self._environ(request)
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return self._response(request, status, headers, body)

    def close(self) -> None:
        pass

    @staticmethod
    def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
        url = urlsplit(request.url or "")
        raw: Any = request.body
        if raw is None:
            body = b""
        elif isinstance(raw, str):
            body = raw.encode("utf-8")
        elif isinstance(raw, bytes):
            body = raw
        else:  # a generator/iterable body
            body = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in raw)
        headers = [
            (k, v if isinstance(v, str) else v.decode("latin-1"))
            for k, v in request.headers.items()
            if k.lower() not in {"content-length", "host"}
        ]
        builder = EnvironBuilder(
            method=request.method or "GET",
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path or "/",
            query_string=url.query,
            headers=headers,
            data=body,
        )
        try:
            environ: dict[str, Any] = builder.get_environ()
        finally:
            builder.close()
        return environ

    def _response(
        self,
        request: requests.PreparedRequest,
        status: str,
        headers: Any,
        body: bytes,
    ) -> requests.Response:
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code = int(code)
        response.reason = reason or HTTPStatus(int(code)).phrase
        response.headers = CaseInsensitiveDict(headers.to_wsgi_list())
        response._content = body
        response._content_consumed = True
        response.raw = io.BytesIO(body)
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]
        return response
