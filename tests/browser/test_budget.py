"""The front end's first load stays small: members are on phones and weak networks.

Fetches `/` from the real server, every asset index.html references, and the ES modules
they import (recursively, static and dynamic imports), gzip-compresses each (level 9)
and checks the total. Needs no browser.
"""

from __future__ import annotations

import gzip
import re
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BUDGET_BYTES = 150 * 1024
ASSET_RELS = {"stylesheet", "icon", "modulepreload", "preload", "manifest", "apple-touch-icon"}

# import x from "./a.js" · import "./a.js" · export { x } from "./a.js" · import("./a.js")
IMPORT_RE = re.compile(
    r"""(?:\bimport\s*(?:[\w$*{},\s]+?\s*from\s*)?|\bexport\s*(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*|\bimport\s*\(\s*)["']([^"']+)["']"""
)


class _AssetRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a:
            self.inline.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in a):
            self.inline.append(f"event handler attribute on <{tag}>")
        if tag == "script":
            if a.get("src"):
                self.refs.append(str(a["src"]))
            else:
                self.inline.append("inline <script>")
        elif tag == "style":
            self.inline.append("inline <style>")
        elif tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if rels & ASSET_RELS:
                self.refs.append(str(a["href"]))
        elif tag == "img" and a.get("src") and not str(a["src"]).startswith("data:"):
            self.refs.append(str(a["src"]))


@dataclass
class _Fetched:
    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def gzipped(self) -> int:
        return len(gzip.compress(self.body, compresslevel=9, mtime=0))


def _fetch(url: str) -> _Fetched:
    assert urlsplit(url).scheme == "http", url
    # the URL is the live server's (http://127.0.0.1:<port>), checked above
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return _Fetched(
            url, response.status, response.headers.get("Content-Type", ""), response.read()
        )


def _first_load(base_url: str) -> tuple[list[_Fetched], _AssetRefs]:
    index = _fetch(base_url + "/")
    parser = _AssetRefs()
    parser.feed(index.body.decode("utf-8"))
    fetched = [index]
    queue = [urljoin(index.url, ref) for ref in parser.refs]
    seen: set[str] = set()
    origin = urlsplit(base_url).netloc
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        assert urlsplit(url).netloc == origin, f"the first load reaches another origin: {url}"
        item = _fetch(url)
        fetched.append(item)
        if urlsplit(url).path.endswith((".js", ".mjs")):
            for spec in IMPORT_RE.findall(item.body.decode("utf-8")):
                queue.append(urljoin(url, spec))
    return fetched, parser


def test_first_load_is_under_budget(live_server: str, artifacts_dir: Path) -> None:
    fetched, _ = _first_load(live_server)
    paths = {urlsplit(f.url).path for f in fetched}
    # The parser found the app (else the total below would mean nothing).
    assert {"/", "/static/css/app.css", "/static/js/app.js"} <= paths
    assert "/static/js/screens/home.js" in paths
    assert "/static/js/screens/estimator.js" in paths
    for item in fetched:
        assert item.status == 200, item.url
        if item.url.endswith(".js"):
            assert "javascript" in item.content_type, (item.url, item.content_type)
        if item.url.endswith(".css"):
            assert "text/css" in item.content_type, (item.url, item.content_type)

    total = sum(f.gzipped for f in fetched)
    raw = sum(len(f.body) for f in fetched)
    lines = [f"{f.gzipped:7d} {len(f.body):8d}  {urlsplit(f.url).path}" for f in fetched]
    report = "\n".join(
        ["   gzip      raw  path", *lines, f"{total:7d} {raw:8d}  total ({len(fetched)} files)"]
    )
    (artifacts_dir / "first-load.txt").write_text(report + "\n", encoding="utf-8")
    assert total < BUDGET_BYTES, f"first load is {total} bytes gzipped:\n{report}"


def test_no_inline_code_for_the_content_security_policy(live_server: str) -> None:
    """script-src/style-src 'self': no inline script, style or handler, no eval."""
    fetched, parser = _first_load(live_server)
    assert parser.inline == []
    forbidden = re.compile(
        r"""\beval\s*\(|new\s+Function\s*\(|\.innerHTML\s*=(?!\s*["']{2})|"""
        r"""setAttribute\(\s*["']style|\.style\.cssText|insertAdjacentHTML|document\.write"""
    )
    for item in fetched:
        if item.url.endswith(".js"):
            found = forbidden.findall(item.body.decode("utf-8"))
            assert not found, f"{item.url}: {found}"
