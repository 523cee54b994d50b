"""Staff login (password + TOTP) and staff-only endpoints; sessions separate from members'."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, make_response, request
from flask.views import MethodView

from app.auth import sessions
from app.auth.models import StaffUser
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_staff, public, staff_required
from app.extensions import limiter
from app.roster import service as roster
from app.staff import service
from app.staff.schemas import RosterSummaryOut, StaffLoginIn, StaffOut, StaffSessionOut

blp = Blueprint(
    "staff", __name__, url_prefix="/api/v1/staff", description="Insurer and scheme staff."
)


def staff_view(user: StaffUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.role_list,  # type: ignore[attr-defined]
    }


def _login_limit() -> str:
    limit: str = current_app.extensions["settings"].ratelimit_staff_login
    return limit


@blp.route("/session")
class StaffSession(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @blp.arguments(StaffLoginIn)
    @blp.response(201, StaffSessionOut)
    @public
    def post(self, body: dict[str, Any]) -> Response:
        """Log in with username, password and the current TOTP code."""
        db = get_session()
        user = service.authenticate(db, body["username"], body["password"], body["totp"])
        token, row = sessions.create(db, "staff", user.id, request.headers.get("User-Agent", ""))
        response = make_response(
            jsonify(
                StaffSessionOut().dump({"staff": staff_view(user), "csrf_token": row.csrf_token})
            ),
            201,
        )
        sessions.set_cookie(response, "staff", token)
        return response

    @blp.response(204)
    @staff_required()
    def delete(self) -> Response:
        """Log out (the session is revoked)."""
        sessions.revoke(get_session(), g.staff_session)
        response = make_response("", 204)
        sessions.clear_cookie(response, "staff")
        return response


@blp.route("/me")
class StaffMe(MethodView):
    @blp.response(200, StaffSessionOut)
    @staff_required()
    def get(self) -> dict[str, Any]:
        """The logged-in staff user and the CSRF token for writes."""
        return {"staff": staff_view(current_staff()), "csrf_token": g.staff_session.csrf_token}


@blp.route("/roster/summary")
class RosterSummary(MethodView):
    @blp.response(200, RosterSummaryOut)
    @staff_required("admin")
    def get(self) -> dict[str, Any]:
        """Counts of the BMI roster by status and insurance type (admins)."""
        return roster.summary(get_session())


__all__ = ["StaffOut", "blp"]
