"""The staff console's page at /staff/ (a separate single-page app with its own login).

The page is public: it is only the shell (HTML, scripts, styles). Every piece of data it
shows comes from the staff API, behind the staff login (cookie `hmb_staff`).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect
from werkzeug.wrappers import Response as BaseResponse

from app.core.security import public
from app.core.web import _html_page, _static_dir

console = Blueprint("staff_console", __name__)


@console.get("/staff/")
@public
def page() -> Response:
    """The staff console's shell (hash routes: #/login, #/queue, #/claims/<id>, #/figures)."""
    response = _html_page(_static_dir() / "staff" / "index.html")
    # staff pages carry personal data once drawn: never kept by a shared cache
    response.headers["Cache-Control"] = "no-cache, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@console.get("/staff")
@public
def page_without_slash() -> BaseResponse:
    """/staff → /staff/ (relative URLs and the hash routes hang off the trailing slash)."""
    return redirect("/staff/", code=308)
