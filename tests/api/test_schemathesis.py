"""Property-based run over every operation of the OpenAPI spec, in-process.

No 5xx, every response matches its documented schema and status codes, bad
input is refused. Later issues keep their endpoints in this run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import create_app

# The schema is loaded from an app built at import time; requests during the run go
# to the `app` fixture's app (same code, the test database) via `case.call`.
_spec_app = create_app({"DATABASE_URL": "sqlite://", "APP_ENV": "test"})
# Plan-dependent codes (liabilities, drugs, deductible groups, conditions) cannot be
# enums in a spec shared by every plan year, so a schema-valid body may still be a
# 422 naming the field; everything else the default checks demand stays demanded.
_config = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": [200, 201, 204, 401, 403, 404, 409, 422, 429]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _spec_app, config=_config)


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
