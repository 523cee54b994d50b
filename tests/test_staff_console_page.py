"""The staff console's page route: the shell at /staff/, its headers and its assets."""

from __future__ import annotations

import re

from app.core.security import access_of
from app.core.web import CSP


def test_staff_page_is_the_console_shell(client):
    resp = client.get("/staff/")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'data-testid="staff-app"' in html
    assert '<script type="module" src="/static/staff/js/app.js"></script>' in html
    assert 'href="/static/staff/css/staff.css"' in html
    # the CSP forbids inline scripts and style attributes: the shell has none
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html
    assert "<style" not in html


def test_staff_page_headers(client):
    resp = client.get("/staff/")
    assert resp.headers["Content-Security-Policy"] == CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-cache, private"
    assert resp.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_staff_without_slash_redirects(client):
    resp = client.get("/staff")
    assert resp.status_code == 308
    assert resp.headers["Location"].endswith("/staff/")


def test_staff_page_needs_no_login_but_the_data_does(client):
    """The page is a shell: anybody gets it; the staff API behind it refuses them."""
    assert client.get("/staff/").status_code == 200
    me = client.get("/api/v1/staff/me")
    assert me.status_code == 401
    assert me.get_json()["error"] == "staff_login_required"


def test_staff_page_routes_are_public_pages(app):
    for endpoint in ("staff_console.page", "staff_console.page_without_slash"):
        access = access_of(app.view_functions[endpoint], "GET")
        assert access is not None
        assert access.kind == "public"


def test_staff_assets_are_served(client):
    """Every script and stylesheet the shell and its modules name exists."""
    html = client.get("/staff/").get_data(as_text=True)
    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    for path in sorted(assets):
        resp = client.get(path)
        assert resp.status_code == 200, path
        resp.close()
    # the modules import each other with relative paths: each import resolves
    seen: set[str] = set()
    todo = [p for p in assets if p.endswith(".js")]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        resp = client.get(path)
        assert resp.status_code == 200, path
        source = resp.get_data(as_text=True)
        resp.close()
        base = path.rsplit("/", 1)[0]
        for spec in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""", source):
            todo.append(_join(base, spec))
    assert "/static/staff/js/queue.js" in seen
    assert "/static/js/dom.js" in seen


def _join(base: str, spec: str) -> str:
    parts = base.split("/")
    for piece in spec.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)
