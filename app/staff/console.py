"""The staff console's page at /staff/ (a separate single-page app with its own login)."""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("staff_console", __name__)
