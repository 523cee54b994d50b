"""Staff review of claims: queue, detail, actions, documents (audited)."""

from __future__ import annotations

from app.core.api import Blueprint

blp = Blueprint(
    "staff_claims", __name__, url_prefix="/api/v1/staff/claims", description="Claim review."
)
