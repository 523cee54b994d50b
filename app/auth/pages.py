"""Small server-rendered pages for the login redirects (errors, refusals).

No inline script or style (the CSP forbids both): the page uses the front end's CSS.
"""

from __future__ import annotations

from flask import Response
from markupsafe import escape

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_zh}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main class="main"><section class="card auth-message" data-testid="auth-message"
 data-code="{code}"><h1>{title_zh}</h1><p>{message_zh}</p><p lang="en">{message_en}</p>
<p><a class="btn btn-primary" href="{link}">{link_zh} / {link_en}</a></p></section></main>
</body></html>"""


def message_page(
    status: int,
    code: str,
    title_zh: str,
    message_zh: str,
    message_en: str,
    link: str = "/",
    link_zh: str = "返回首页",
    link_en: str = "Back to home",
) -> Response:
    html = _PAGE.format(
        code=escape(code),
        title_zh=escape(title_zh),
        message_zh=escape(message_zh),
        message_en=escape(message_en),
        link=escape(link),
        link_zh=escape(link_zh),
        link_en=escape(link_en),
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
