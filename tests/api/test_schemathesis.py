"""Property-based run over every operation of the OpenAPI spec, in-process.

No 5xx, every response matches its documented schema and status codes, bad
input is refused. Later issues keep their endpoints in this run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from app import create_app
from tests.claims.conftest import family, insured, reviewer, staff_login

# the claims tests' fixtures, for the runs on real claims below
__all__ = ["family", "insured", "reviewer", "staff_login"]

# The schema is loaded from an app built at import time; requests during the run go
# to the `app` fixture's app (same code, the test database) via `case.call`.
_spec_app = create_app({"DATABASE_URL": "sqlite://", "APP_ENV": "test"})
# Plan-dependent codes (liabilities, drugs, deductible groups, conditions) cannot be
# enums in a spec shared by every plan year, so a schema-valid body may still be a
# 422 naming the field; everything else the default checks demand stays demanded.
ACCEPTED = [200, 201, 204, 401, 403, 404, 409, 422, 429]
_config = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _spec_app, config=_config)
# The claims endpoints: a claim document is any `format: binary` body by the schema, and the
# service decides by content (415) and size (413) what it accepts. (A per-operation
# `operations` entry in the config would say this more narrowly, but it disables
# `schema.include` filters in schemathesis 4.32.)
claims_schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    _spec_app,
    config=SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 413, 415]}}}
    ),
)


def _sample_files() -> list[bytes]:
    from tests.claims.conftest import jpeg
    from tests.documents.helpers import encode, halves, pdf

    return [jpeg(1), encode(halves(), "PNG"), encode(halves(), "HEIF"), pdf(1)]


# Upload bodies: real photos and PDFs (so uploads get stored) mixed with arbitrary bytes.
_files = st.sampled_from(_sample_files()) | st.binary(max_size=2048)
for _media in ("image/jpeg", "image/png", "image/heic", "application/pdf"):
    schemathesis.openapi.media_type(_media, _files)


@pytest.fixture
def seeded_app(app: Any, connection: Any, samples: Any) -> Any:
    return app


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms(case: Any, seeded_app: Any) -> None:
    case.call_and_validate(app=seeded_app)


@schema.include(path_regex=r"\{code\}").parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_on_a_real_plan(case: Any, seeded_app: Any) -> None:
    """The same checks with the path pointing at the sample plan, so bodies reach the engine."""
    case.path_parameters = {**(case.path_parameters or {}), "code": "xm-2023"}
    case.call_and_validate(app=seeded_app)


def call_with_session(case: Any, app: Any, auth: dict[str, str]) -> None:
    """The session cookie goes through the case's cookies (werkzeug's test client drops a
    hand-made Cookie header) and the CSRF token as a header."""
    name, _, value = auth["cookie"].partition("=")
    case.cookies = {**(case.cookies or {}), name: value}
    case.call_and_validate(app=app, headers={"X-CSRF-Token": auth["X-CSRF-Token"]})


@pytest.fixture
def member_headers(app: Any, client: Any, member_login: Any) -> dict[str, str]:
    _member, csrf = member_login(client)
    token = client.get_cookie("hmb_session").value
    return {"cookie": f"hmb_session={token}", "X-CSRF-Token": csrf}


@pytest.fixture
def staff_headers(app: Any, client: Any, staff_user: Any) -> dict[str, str]:
    from app.core import clock
    from app.staff import passwords

    _user, password, secret = staff_user("admin.fuzz", ["admin", "reviewer"])
    code = passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp()))
    resp = client.post(
        "/api/v1/staff/session", json={"username": "admin.fuzz", "password": password, "totp": code}
    )
    assert resp.status_code == 201
    token = client.get_cookie("hmb_staff").value
    return {"cookie": f"hmb_staff={token}", "X-CSRF-Token": resp.get_json()["csrf_token"]}


@schema.include(path_regex=r"^/api/v1/(me|orders|renewals)").parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_member_api_conforms_with_a_session(
    case: Any, seeded_app: Any, member_headers: dict[str, str]
) -> None:
    """The member's endpoints, called with a live member session and its CSRF token."""
    call_with_session(case, seeded_app, member_headers)


@claims_schema.include(path_regex=r"^/api/v1/claims").parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_member_claims_api_conforms_with_a_session(
    case: Any, seeded_app: Any, member_headers: dict[str, str]
) -> None:
    """The member's claim endpoints with a live member session (who has no claims yet)."""
    call_with_session(case, seeded_app, member_headers)


@schema.include(path_regex=r"^/api/v1/staff").parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_staff_api_conforms_with_a_session(
    case: Any, seeded_app: Any, staff_headers: dict[str, str]
) -> None:
    """The staff endpoints, called with a live admin session and its CSRF token."""
    call_with_session(case, seeded_app, staff_headers)


# --- claims: the same checks on real claims and documents -------------------------------------


@pytest.fixture
def member_claims(seeded_app: Any, insured: Any, reviewer: Any) -> dict[str, str]:
    """An insured member with a draft (one document) and a filed claim; path parameters
    and the member's session for the run."""
    draft = insured.new().get_json()["id"]
    doc = insured.upload(draft, "invoice", _sample_files()[0]).get_json()["id"]
    filed = insured.filed("spouse", seed=5)
    message = insured.messages()[0]["id"]
    token = insured.client.get_cookie("hmb_session").value
    return {
        "cookie": f"hmb_session={token}",
        "X-CSRF-Token": insured.family.csrf,
        "draft": draft,
        "document": doc,
        "filed": filed["id"],
        "filed_document": filed["documents"][0]["id"],
        "message": message,
        "staff_cookie": f"hmb_staff={reviewer.client.get_cookie('hmb_staff').value}",
        "staff_csrf": reviewer.csrf,
    }


def _real_ids(case: Any, claim: str, document: str, message: str = "") -> None:
    """Point the case at a real claim and document, unless its path is the part a negative
    case made invalid (keeping that, the request is still refused as it should be)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    params = dict(case.path_parameters or {})
    if "claim_id" in params:
        params["claim_id"] = claim
    if "document_id" in params:
        params["document_id"] = document
    if "message_id" in params and message:
        params["message_id"] = message
    case.path_parameters = params


@claims_schema.include(path_regex=r"^/api/v1/(claims/\{claim_id\}|me/messages)").parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_member_claims_conform_on_real_claims(
    case: Any, seeded_app: Any, member_claims: dict[str, str]
) -> None:
    """The member's claim endpoints on the member's own draft (and its document), and the
    message centre holding the messages of the filed claim."""
    _real_ids(case, member_claims["draft"], member_claims["document"], member_claims["message"])
    call_with_session(case, seeded_app, member_claims)


@claims_schema.include(path_regex=r"^/api/v1/staff/claims/\{claim_id\}").parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_staff_claims_conform_on_real_claims(
    case: Any, seeded_app: Any, member_claims: dict[str, str]
) -> None:
    """The review endpoints on a filed claim (and its document), as an admin reviewer."""
    _real_ids(case, member_claims["filed"], member_claims["filed_document"])
    call_with_session(
        case,
        seeded_app,
        {"cookie": member_claims["staff_cookie"], "X-CSRF-Token": member_claims["staff_csrf"]},
    )
