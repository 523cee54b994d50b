"""Scheme figures for admins (per plan) and their CSV export."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.admin import service
from app.admin.schemas import FiguresArgs, FiguresOut
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import staff_required

blp = Blueprint(
    "admin", __name__, url_prefix="/api/v1/staff", description="Scheme figures for admins."
)

CSV_EXAMPLE = "\ufeff" + ",".join(service.CSV_HEADER) + "\r\n"


@blp.route("/figures")
class Figures(MethodView):
    @blp.arguments(FiguresArgs, location="query")
    @blp.response(200, FiguresOut)
    @staff_required("admin")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Enrolment, premiums and claims per plan (admins); `plan` picks one plan code."""
        return service.figures(get_session(), args.get("plan"))


@blp.route("/figures.csv")
class FiguresCsv(MethodView):
    @blp.arguments(FiguresArgs, location="query")
    @blp.response(
        200,
        {"type": "string"},
        content_type="text/csv",
        description="UTF-8 CSV with a byte order mark: a header row, one row per plan.",
        example=CSV_EXAMPLE,
        headers={
            "Content-Disposition": {
                "description": 'attachment; filename="figures-YYYYMMDD.csv" (local date)',
                "schema": {"type": "string"},
            }
        },
    )
    @staff_required("admin")
    def get(self, args: dict[str, Any]) -> Response:
        """The figures as a CSV file (admins).

        Money in fen and in yuan, ratios in basis points and in percent; a text cell a
        spreadsheet would run as a formula gets a leading '.
        """
        answer = service.figures(get_session(), args.get("plan"))
        response = Response(service.to_csv(answer), content_type="text/csv; charset=utf-8")
        filename = service.csv_filename(answer["generated_at"])
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
