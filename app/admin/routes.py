"""Scheme figures for admins (per plan) and their CSV export."""

from __future__ import annotations

from app.core.api import Blueprint

blp = Blueprint(
    "admin", __name__, url_prefix="/api/v1/staff", description="Scheme figures for admins."
)
