"""The member's claims: file, upload documents, submit, withdraw, follow."""

from __future__ import annotations

from app.core.api import Blueprint

blp = Blueprint("claims", __name__, url_prefix="/api/v1/claims", description="Member claims.")
