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
