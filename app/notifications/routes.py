"""The member's message centre."""

from __future__ import annotations

from app.core.api import Blueprint

blp = Blueprint("messages", __name__, url_prefix="/api/v1/me", description="Message centre.")
