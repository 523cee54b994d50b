"""Property-based run over every operation of the OpenAPI spec, in-process.

No 5xx, every response matches its documented schema and status codes, bad
input is refused. Later issues keep their endpoints in this run.

The claim, review and staff-login operations also run where they can succeed (claims in
the state each action needs, real ids and codes where the body must match stored data),
and the last test checks that each of their writes got a 2xx, whose body was then
validated against its schema.
"""

from __future__ import annotations

import os
import zlib
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import update

from app import create_app
from app.core import clock
from tests.claims.conftest import (
    DEFAULT_EXPENSES,
    HOSPITAL_KINDS,
    family,
    insured,
    jpeg,
    reviewer,
    staff_login,
)

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
    from tests.documents.helpers import encode, halves, pdf

    return [jpeg(1), encode(halves(), "PNG"), encode(halves(), "HEIF"), pdf(1)]


# Upload bodies: real photos and PDFs (so uploads get stored) mixed with arbitrary bytes.
_files = st.sampled_from(_sample_files()) | st.binary(max_size=2048)
for _media in (
    "application/octet-stream",
    "image/jpeg",
    "image/png",
    "image/heic",
    "application/pdf",
):
    schemathesis.openapi.media_type(_media, _files)

# (test function, operation) -> how often each status code came back (and passed the checks)
STATUSES: defaultdict[tuple[str, str], Counter[int]] = defaultdict(Counter)


def _call(case: Any, app: Any, **kwargs: Any) -> Any:
    """Call and validate; count the status code under the running test's name. The login
    rate limit is reset first (so staff login is refused for what was sent, not a 429)."""
    from app.extensions import limiter

    limiter.reset()
    response = case.call_and_validate(app=app, **kwargs)
    # "tests/api/test_schemathesis.py::test_name (call)"
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    sent = f"{str(case.method).upper()} {case.operation.path}"  # the coverage phase tries others
    STATUSES[(test, sent)][response.status_code] += 1
    return response


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
    _call(case, seeded_app)


@schema.include(path_regex=r"\{code\}").parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_on_a_real_plan(case: Any, seeded_app: Any) -> None:
    """The same checks with the path pointing at the sample plan, so bodies reach the engine."""
    case.path_parameters = {**(case.path_parameters or {}), "code": "xm-2023"}
    _call(case, seeded_app)


def call_with_session(case: Any, app: Any, auth: dict[str, str]) -> Any:
    """The session cookie goes through the case's cookies (werkzeug's test client drops a
    hand-made Cookie header) and the CSRF token as a header."""
    name, _, value = auth["cookie"].partition("=")
    case.cookies = {**(case.cookies or {}), name: value}
    return _call(case, app, headers={"X-CSRF-Token": auth["X-CSRF-Token"]})


@pytest.fixture
def member_headers(app: Any, client: Any, member_login: Any) -> dict[str, str]:
    _member, csrf = member_login(client)
    token = client.get_cookie("hmb_session").value
    return {"cookie": f"hmb_session={token}", "X-CSRF-Token": csrf}


@pytest.fixture
def staff_headers(app: Any, client: Any, staff_user: Any) -> dict[str, str]:
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
#
# Each action needs its claim in the right state, and a state is used up by the success it
# allows (an approved claim cannot be approved again). `ClaimStates` keeps, per test, one
# claim (or document) in the state each operation needs, makes it through the API the first
# time an example needs it and again after an example's 2xx used it up. Where the body must
# match stored data (ids, claim types, liabilities, document kinds, amounts no higher than
# claimed), positive bodies are mapped onto real values; every other field stays as generated.

# per test operation: the state its claim must be in, and whether a 2xx uses it up
MEMBER_STATES: dict[str, tuple[str, bool]] = {
    "GET /api/v1/claims/{claim_id}": ("draft", False),
    "PATCH /api/v1/claims/{claim_id}": ("draft", False),
    "POST /api/v1/claims/{claim_id}/documents": ("upload_draft", False),
    "DELETE /api/v1/claims/{claim_id}/documents/{document_id}": ("draft_with_document", True),
    "GET /api/v1/claims/{claim_id}/documents/{document_id}/file": ("draft", False),
    "POST /api/v1/claims/{claim_id}/submit": ("complete_draft", True),
    "POST /api/v1/claims/{claim_id}/withdraw": ("draft_to_withdraw", True),
}
STAFF_STATES: dict[str, tuple[str, bool]] = {
    "GET /api/v1/staff/claims/{claim_id}": ("submitted_shared", False),
    "GET /api/v1/staff/claims/{claim_id}/documents/{document_id}/file": (
        "submitted_shared",
        False,
    ),
    "POST /api/v1/staff/claims/{claim_id}/start-review": ("submitted", True),
    "POST /api/v1/staff/claims/{claim_id}/request-info": ("under_review", True),
    "POST /api/v1/staff/claims/{claim_id}/approve": ("under_review", True),
    "POST /api/v1/staff/claims/{claim_id}/reject": ("under_review", True),
    "POST /api/v1/staff/claims/{claim_id}/mark-paid": ("approved", True),
}
# a fresh draft for uploads once this many documents are on it (the limit is 50 a claim)
UPLOADS_PER_DRAFT = 3


def _pick(options: list[Any], value: Any) -> Any:
    """One of `options`, chosen by the generated `value` (deterministic, so hypothesis can
    replay and shrink)."""
    return options[zlib.crc32(repr(value).encode()) % len(options)]


def _is_positive(case: Any, location: ParameterLocation) -> bool:
    return case.meta is None or not case.meta.is_negative_at(location)


class ClaimStates:
    """A member (`insured`: self and spouse on the demo plan), a reviewer-admin, the
    member's claim options, and claims brought to the states the operations need."""

    def __init__(self, insured: Any, reviewer: Any) -> None:
        self.insured = insured
        self.reviewer = reviewer
        self.options = insured.client.get("/api/v1/claims/options").get_json()
        self._held: dict[str, tuple[str, str]] = {}
        self._uploads = 0
        self._seed = 0
        self._message = ""

    # the sessions
    def member_auth(self) -> dict[str, str]:
        token = self.insured.client.get_cookie("hmb_session").value
        return {"cookie": f"hmb_session={token}", "X-CSRF-Token": self.insured.family.csrf}

    def staff_auth(self) -> dict[str, str]:
        token = self.reviewer.client.get_cookie("hmb_staff").value
        return {"cookie": f"hmb_staff={token}", "X-CSRF-Token": self.reviewer.csrf}

    # the claims
    def _new(self, relation: str = "self") -> str:
        resp = self.insured.new(relation)
        assert resp.status_code == 201, resp.get_json()
        return str(resp.get_json()["id"])

    def _upload(self, claim_id: str, kind: str) -> str:
        self._seed += 1
        resp = self.insured.upload(claim_id, kind, jpeg(self._seed))
        assert resp.status_code == 201, resp.get_json()
        return str(resp.get_json()["id"])

    def _filed(self, relation: str = "self") -> tuple[str, str]:
        claim_id = self._new(relation)
        first = self._upload(claim_id, HOSPITAL_KINDS[0])
        for kind in HOSPITAL_KINDS[1:]:
            self._upload(claim_id, kind)
        resp = self.insured.submit(claim_id)
        assert resp.status_code == 200, resp.get_json()
        return claim_id, first

    def _staff(self, claim_id: str, action: str, body: Any = None) -> None:
        resp = self.reviewer.act(claim_id, action, body)
        assert resp.status_code == 200, (action, resp.get_json())

    def _make(self, state: str) -> tuple[str, str]:
        if state in ("draft", "draft_with_document"):
            claim_id = self._new()
            return claim_id, self._upload(claim_id, "invoice")
        if state == "upload_draft":
            self._uploads = 0
            return self._new("spouse"), ""
        if state == "draft_to_withdraw":
            return self._new("spouse"), ""
        if state == "complete_draft":
            claim_id = self._new("spouse")
            for kind in HOSPITAL_KINDS:
                self._upload(claim_id, kind)
            return claim_id, ""
        claim_id, document = self._filed("spouse" if state == "approved" else "self")
        if state in ("under_review", "approved"):
            self._staff(claim_id, "start-review")
        if state == "approved":
            self._staff(claim_id, "approve", {"expenses": DEFAULT_EXPENSES})
        return claim_id, document

    def held(self, state: str) -> tuple[str, str]:
        """(claim id, document id) of a claim in `state`, made if none is held."""
        if state not in self._held:
            self._held[state] = self._make(state)
        return self._held[state]

    def used(self, state: str, consumed: bool, status: int) -> None:
        """After the call: a success used the claim's state up (or filled the draft)."""
        if not 200 <= status < 300:
            return
        if state == "upload_draft":
            self._uploads += 1
            if self._uploads >= UPLOADS_PER_DRAFT:
                self._held.pop(state, None)
        elif consumed:
            self._held.pop(state, None)

    # what the member may claim for
    def persons(self) -> list[dict[str, Any]]:
        return list(self.options["persons"])

    def plan(self, person: dict[str, Any]) -> dict[str, Any]:
        return dict(self.options["plans"][person["policies"][0]["plan_code"]])

    def claim_type(self, person: dict[str, Any], code: str) -> dict[str, Any]:
        return next(t for t in self.plan(person)["claim_types"] if t["code"] == code)

    def self_person(self) -> dict[str, Any]:
        return next(p for p in self.persons() if p["relation"] == "self")

    def message(self) -> str:
        """A message of the member's (the shared filed claim's)."""
        self.held("submitted_shared")
        if not self._message:
            self._message = str(self.insured.messages()[0]["id"])
        return self._message


def _real_expenses(
    expenses: Any, claim_type: dict[str, Any], plan: dict[str, Any]
) -> list[Any] | Any:
    """Generated expense lines with liabilities of the claim type (and, for a special-drug
    line, a drug of the plan); amounts stay as generated."""
    if not isinstance(expenses, list):
        return expenses
    drugs = [d["code"] for d in plan["special_drugs"]]
    out = []
    for line in expenses:
        if not isinstance(line, dict):
            out.append(line)
            continue
        line = dict(line)
        liability = _pick(claim_type["liabilities"], line.get("liability"))
        line["liability"] = liability["code"]
        if liability["drug_list_only"] and drugs:
            line["drug_code"] = _pick(drugs, line.get("drug_code"))
        else:
            line.pop("drug_code", None)
        out.append(line)
    return out


def _date_between(value: Any, first: date, last: date) -> Any:
    """A generated date moved into [first, last] (left alone if it is not a date)."""
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return (first + timedelta(days=parsed.toordinal() % ((last - first).days + 1))).isoformat()


def _real_claim_body(states: ClaimStates, body: Any, person: dict[str, Any] | None) -> Any:
    """A generated ClaimIn / ClaimEstimateIn / ClaimPatchIn body onto the member's data:
    a person and their policy, a claim type of the plan, its liabilities, service dates
    inside the cover and not in the future. Other fields (amounts, hospital, which optional
    fields are present) stay as generated."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if person is None:
        person = _pick(states.persons(), body.get("person_id"))
        body["person_id"] = person["person_id"]
    policy = person["policies"][0]
    if "policy_id" in body:
        body["policy_id"] = policy["policy_id"]
    plan = states.plan(person)
    if "expenses" in body or "person_id" in body:
        claim_type = _pick(plan["claim_types"], body.get("claim_type"))
    else:  # a PATCH keeping the draft's hospital expenses: keep its claim type too
        claim_type = states.claim_type(person, "hospital")
    if "claim_type" in body:
        body["claim_type"] = claim_type["code"]
    if "expenses" in body:
        body["expenses"] = _real_expenses(body["expenses"], claim_type, plan)
    first = date.fromisoformat(policy["coverage_start"])
    today = clock.today("Asia/Shanghai")
    if "service_start" in body and "service_end" in body:
        start = _date_between(body["service_start"], first, today)
        end = _date_between(body["service_end"], first, today)
        if isinstance(start, str) and isinstance(end, str):
            start, end = sorted([start, end])
        body["service_start"], body["service_end"] = start, end
    elif "service_start" in body:  # the draft's treatment ends 10 days into the cover
        body["service_start"] = _date_between(
            body["service_start"], first, first + timedelta(days=10)
        )
    elif "service_end" in body:  # and starts 3 days into it
        body["service_end"] = _date_between(body["service_end"], first + timedelta(days=3), today)
    return body


def _real_member_case(case: Any, states: ClaimStates) -> None:
    """Real ids, document kinds and claim data in the member's claim and message cases."""
    label = case.operation.label
    if label in MEMBER_STATES:
        _real_ids(case, *states.held(MEMBER_STATES[label][0]))
    elif "{message_id}" in label and _is_positive(case, ParameterLocation.PATH):
        case.path_parameters = {"message_id": states.message()}
    if label == "POST /api/v1/claims/{claim_id}/documents" and _is_positive(
        case, ParameterLocation.QUERY
    ):
        kinds = [
            d["kind"] for d in states.claim_type(states.self_person(), "hospital")["documents"]
        ]
        if isinstance(case.query, dict) and "kind" in case.query:
            case.query = {**case.query, "kind": _pick(kinds, case.query["kind"])}
    if label in ("POST /api/v1/claims", "POST /api/v1/claims/estimate") and _is_positive(
        case, ParameterLocation.BODY
    ):
        case.body = _real_claim_body(states, case.body, None)
    if label == "PATCH /api/v1/claims/{claim_id}" and _is_positive(case, ParameterLocation.BODY):
        case.body = _real_claim_body(states, case.body, states.self_person())


def _verified(body: Any, claimed: list[dict[str, Any]]) -> Any:
    """Generated verified expenses onto the claimed lines: each line a claimed liability,
    the amounts per liability together no higher than claimed (the generated amount,
    reduced modulo the share of what was claimed)."""
    if not isinstance(body, dict) or not isinstance(body.get("expenses"), list):
        return body
    lines = [dict(x) if isinstance(x, dict) else x for x in body["expenses"]]
    for line in lines:
        if isinstance(line, dict):
            line["liability"] = _pick(claimed, line.get("liability"))["liability"]
            line.pop("drug_code", None)
    for item in claimed:
        same = [x for x in lines if isinstance(x, dict) and x["liability"] == item["liability"]]
        for line in same:
            if isinstance(line.get("amount_fen"), int):
                line["amount_fen"] %= item["amount_fen"] // len(same) + 1
    return {**body, "expenses": lines}


def _real_staff_case(case: Any, states: ClaimStates) -> None:
    """Real ids, document kinds and verified amounts in the review cases."""
    label = case.operation.label
    claim, document = states.held(STAFF_STATES[label][0])
    _real_ids(case, claim, document)
    if not _is_positive(case, ParameterLocation.BODY) or not isinstance(case.body, dict):
        return
    if label.endswith("/approve"):
        case.body = _verified(case.body, DEFAULT_EXPENSES)
    elif label.endswith("/request-info") and isinstance(case.body.get("kinds"), list):
        kinds = [
            d["kind"] for d in states.claim_type(states.self_person(), "hospital")["documents"]
        ]
        case.body = {**case.body, "kinds": [_pick(kinds, k) for k in case.body["kinds"]]}


@pytest.fixture
def claim_states(seeded_app: Any, insured: Any, reviewer: Any) -> ClaimStates:
    return ClaimStates(insured, reviewer)


def _real_ids(case: Any, claim: str, document: str) -> None:
    """Point the case at a real claim and document, unless its path is the part a negative
    case made invalid (keeping that, the request is still refused as it should be)."""
    if not _is_positive(case, ParameterLocation.PATH):
        return
    params = dict(case.path_parameters or {})
    if "claim_id" in params:
        params["claim_id"] = claim
    if "document_id" in params:
        params["document_id"] = document
    case.path_parameters = params


REAL_MEMBER = claims_schema.include(
    path_regex=r"^/api/v1/(claims(/estimate)?$|claims/\{claim_id\}|me/messages)"
)


@REAL_MEMBER.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_member_claims_conform_on_real_claims(
    case: Any, seeded_app: Any, claim_states: ClaimStates
) -> None:
    """The member's claim endpoints on claims of their own in the state each one needs
    (a draft to change, upload to, remove a document from or withdraw; a complete draft to
    submit), filing and estimating for their insured persons, and the message centre
    holding the messages of a filed claim."""
    _real_member_case(case, claim_states)
    label = case.operation.label
    response = call_with_session(case, seeded_app, claim_states.member_auth())
    if label in MEMBER_STATES:
        claim_states.used(*MEMBER_STATES[label], response.status_code)


REAL_STAFF = claims_schema.include(path_regex=r"^/api/v1/staff/claims/\{claim_id\}")


@REAL_STAFF.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_staff_claims_conform_on_real_claims(
    case: Any, seeded_app: Any, claim_states: ClaimStates
) -> None:
    """The review endpoints as an admin reviewer, each on a claim in the state its action
    needs (submitted to start a review; under review to ask for documents, approve or
    reject; approved to mark paid), approving no more than the member claimed."""
    _real_staff_case(case, claim_states)
    label = case.operation.label
    response = call_with_session(case, seeded_app, claim_states.staff_auth())
    claim_states.used(*STAFF_STATES[label], response.status_code)


# --- staff login with real credentials -------------------------------------------------------

STAFF_LOGIN = schema.include(path="/api/v1/staff/session", method="POST")


@pytest.fixture
def login_account(seeded_app: Any, session: Any, staff_user: Any) -> Any:
    """A staff account whose TOTP code may be used again: `fresh()` resets the replay guard
    and returns the credentials with the current code (`_call` resets the rate limit)."""
    from app.auth.models import StaffUser

    user, password, secret = staff_user("login.fuzz", ["reviewer"])

    def fresh() -> dict[str, str]:
        from app.staff import passwords

        session.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(last_totp_step=None)
        )
        session.flush()
        code = passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp()))
        return {"username": user.username, "password": password, "totp": code}

    return fresh


@STAFF_LOGIN.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_staff_login_conforms(case: Any, seeded_app: Any, login_account: Any) -> None:
    """Staff login without the rate limit in the way: positive bodies become, by turns, an
    unknown user (as generated), the real user with a generated password or code, or the
    real credentials."""
    real = login_account()
    if _is_positive(case, ParameterLocation.BODY) and isinstance(case.body, dict):
        turn = zlib.crc32(repr(sorted(case.body.items())).encode()) % 4
        if turn == 1:
            case.body = {**case.body, "username": real["username"]}
        elif turn == 2:
            case.body = {**case.body, "username": real["username"], "password": real["password"]}
        elif turn == 3:
            case.body = real
    _call(case, seeded_app)


# --- every write reached its success response ---------------------------------------------------

# per test: the operations whose success responses (and their schemas) the run must reach
MUST_SUCCEED: dict[str, tuple[Any, list[str]]] = {
    "test_member_claims_conform_on_real_claims": (
        REAL_MEMBER,
        [
            "POST /api/v1/claims",
            "POST /api/v1/claims/estimate",
            "PATCH /api/v1/claims/{claim_id}",
            "POST /api/v1/claims/{claim_id}/documents",
            "DELETE /api/v1/claims/{claim_id}/documents/{document_id}",
            "POST /api/v1/claims/{claim_id}/submit",
            "POST /api/v1/claims/{claim_id}/withdraw",
            "POST /api/v1/me/messages/{message_id}/read",
            "POST /api/v1/me/messages/read-all",
        ],
    ),
    "test_staff_claims_conform_on_real_claims": (
        REAL_STAFF,
        [
            "POST /api/v1/staff/claims/{claim_id}/start-review",
            "POST /api/v1/staff/claims/{claim_id}/request-info",
            "POST /api/v1/staff/claims/{claim_id}/approve",
            "POST /api/v1/staff/claims/{claim_id}/reject",
            "POST /api/v1/staff/claims/{claim_id}/mark-paid",
        ],
    ),
    "test_staff_login_conforms": (STAFF_LOGIN, ["POST /api/v1/staff/session"]),
}


def test_every_write_reached_its_success_response(request: pytest.FixtureRequest) -> None:
    """Each write operation above got at least one 2xx (whose body then matched its schema)
    in its test's run, so the success paths cannot silently drop out of the run. Runs last
    (pytest keeps the file's order); operations whose test was not selected are skipped."""
    ran = {item.name for item in request.session.items}
    checked = 0
    missing = []
    for test, (filtered, labels) in MUST_SUCCEED.items():
        generated = {result.ok().label for result in filtered.get_all_operations()}
        for label in labels:
            assert label in generated, f"{test} no longer runs {label}"
            if f"{test}[{label}]" not in ran:
                continue
            checked += 1
            seen = STATUSES[(test, label)]
            if not any(200 <= code < 300 for code in seen):
                missing.append(f"{label} in {test}: {dict(seen)}")
    if not checked:
        pytest.skip("none of the tests it checks ran")
    assert not missing, "never a 2xx:\n" + "\n".join(missing)
