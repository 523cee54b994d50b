"""The member's own account: who am I, CSRF token, consent, real-name binding, logout."""

from __future__ import annotations

from typing import Any

from flask import Response, g, make_response
from flask.views import MethodView

from app.auth import sessions
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import CSRF_HEADER, current_member, member_required, public
from app.identity.masking import mask_id_number, mask_name
from app.members import service
from app.members.consent_texts import TEXTS
from app.members.models import Member
from app.members.schemas import (
    ConsentIn,
    ConsentOut,
    ConsentTextOut,
    CsrfOut,
    MemberOut,
    RealNameIn,
)

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The logged-in member.")


def member_view(member: Member) -> dict[str, Any]:
    """The member as the API shows it: ID number and name masked, never whole."""
    return {
        "id": member.id,
        "nickname": member.nickname,
        "avatar_url": member.avatar_url,
        "verified": member.id_index is not None,
        "real_name_masked": mask_name(member.real_name) if member.real_name else None,
        "id_number_masked": mask_id_number(member.id_number) if member.id_number else None,
        "id_kind": member.id_kind,
        "birth_date": member.birth_date,
        "sex": member.sex,
        "bound_at": member.bound_at,
        "created_at": member.created_at,
        "consent_granted": service.has_consent(
            get_session(), member, "sensitive_personal_information"
        ),
        "identities": [
            {
                "id": i.id,
                "provider": i.provider,
                "nickname": i.nickname,
                "linked_at": i.created_at,
                "last_login_at": i.last_login_at,
            }
            for i in member.identities
        ],
    }


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MemberOut)
    @member_required
    def get(self) -> dict[str, Any]:
        """The logged-in member and the login identities linked to the account."""
        return member_view(current_member())


@blp.route("/me/csrf")
class MeCsrf(MethodView):
    @blp.response(200, CsrfOut)
    @member_required
    def get(self) -> dict[str, str]:
        """The CSRF token to send in the X-CSRF-Token header with every write."""
        return {"csrf_token": g.member_session.csrf_token, "header": CSRF_HEADER}


@blp.route("/me/session")
class MeSession(MethodView):
    @blp.response(204)
    @member_required
    def delete(self) -> Response:
        """Log out: the session is revoked on the server and the cookie cleared."""
        sessions.revoke(get_session(), g.member_session)
        response = make_response("", 204)
        sessions.clear_cookie(response, "member")
        return response


@blp.route("/consent-texts/<string:kind>")
class ConsentTextView(MethodView):
    @blp.response(200, ConsentTextOut)
    @public
    def get(self, kind: str) -> dict[str, Any]:
        """The current text (and version) of a consent."""
        text = TEXTS.get(kind)
        if text is None:
            raise service.ValidationFailed(
                "Unknown consent.", "未知的同意事项。", code="unknown_consent", http_status=404
            )
        return {
            "kind": text.kind,
            "version": text.version,
            "title": {"zh": text.title.zh, "en": text.title.en},
            "body": {"zh": text.body.zh, "en": text.body.en},
        }


@blp.route("/me/consents")
class MeConsents(MethodView):
    @blp.arguments(ConsentIn)
    @blp.response(201, ConsentOut)
    @member_required
    def post(self, body: dict[str, Any]) -> Any:
        """Record the member's answer (agree or refuse) to a consent text version."""
        return service.record_consent(
            get_session(), current_member(), body["kind"], body["terms_version"], body["granted"]
        )


@blp.route("/me/real-name")
class MeRealName(MethodView):
    @blp.arguments(RealNameIn)
    @blp.response(200, MemberOut)
    @member_required
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Bind the account to a real person: ID checked (GB 11643) and matched to the roster."""
        member = service.bind_real_name(
            get_session(), current_member(), body["name"], body["id_number"]
        )
        return member_view(member)
