"""A member whose family holds policies with cover running, and helpers to file claims."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from PIL import Image

from app.core import clock
from tests.enrollment.conftest import MOTHER, Family
from tests.enrollment.conftest import family as _family_fixture

HOSPITAL_KINDS = [
    "id_card",
    "invoice",
    "bmi_settlement",
    "expense_itemisation",
    "discharge_summary",
    "payee_bank_card",
]


def jpeg(seed: int = 0, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small, distinct JPEG per seed."""
    img = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class Claims:
    def __init__(self, family: Family, policies: list[dict[str, Any]]) -> None:
        self.family = family
        self.client = family.client
        self.policies = policies
        self.by_relation = {p["person"]["relation"]: p for p in policies}

    def person(self, relation: str = "self") -> str:
        return str(self.by_relation[relation]["person"]["id"])

    def cover_start(self) -> Any:
        return datetime.fromisoformat(self.policies[0]["coverage_start"]).date()

    def new(self, relation: str = "self", **over: Any) -> Any:
        start = self.cover_start() + timedelta(days=3)
        body = {
            "person_id": self.person(relation),
            "claim_type": "hospital",
            "service_start": start.isoformat(),
            "service_end": (start + timedelta(days=7)).isoformat(),
            "hospital": "厦门大学附属第一医院",
            "expenses": [
                {"liability": "in_catalog", "amount_fen": 5_000_000, "other_paid_fen": 0},
                {"liability": "out_of_catalog", "amount_fen": 2_000_000},
            ],
        }
        body.update(over)
        return self.family.post("/api/v1/claims", body)

    def upload(self, claim_id: str, kind: str, data: bytes, filename: str = "photo.jpg") -> Any:
        return self.client.post(
            f"/api/v1/claims/{claim_id}/documents?kind={kind}&filename={filename}",
            data=data,
            content_type="image/jpeg",
            headers={"X-CSRF-Token": self.family.csrf},
        )

    def upload_all(self, claim_id: str, kinds: list[str] = HOSPITAL_KINDS, seed: int = 0) -> None:
        for i, kind in enumerate(kinds):
            resp = self.upload(claim_id, kind, jpeg(seed * 100 + i))
            assert resp.status_code == 201, resp.get_json()

    def submit(self, claim_id: str) -> Any:
        return self.family.post(f"/api/v1/claims/{claim_id}/submit", {})

    def filed(self, relation: str = "self", seed: int = 0, **over: Any) -> dict[str, Any]:
        resp = self.new(relation, **over)
        assert resp.status_code == 201, resp.get_json()
        claim = resp.get_json()
        self.upload_all(claim["id"], seed=seed)
        resp = self.submit(claim["id"])
        assert resp.status_code == 200, resp.get_json()
        return dict(resp.get_json())


@pytest.fixture
def insured(app: Any, session: Any, family: Family, set_clock: Any) -> Claims:
    """The member and the spouse insured on the demo plan (paid from the member's BMI
    personal account), and the clock moved to 40 days into their cover."""
    me = family.self_id()
    spouse = family.add("spouse", MOTHER).get_json()["id"]
    for pid in (me, spouse):
        assert family.declare(pid).status_code == 201
    order = family.order([me, spouse]).get_json()
    resp = family.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me, spouse], "relatives_consent": True},
    )
    assert resp.status_code == 201, resp.get_json()
    policies = family.client.get("/api/v1/me/policies").get_json()
    assert len(policies) == 2
    start = datetime.fromisoformat(policies[0]["coverage_start"]).date()
    set_clock(datetime.combine(start + timedelta(days=40), time(2, 0), UTC))
    assert clock.today("Asia/Shanghai") == start + timedelta(days=40)
    relogin(app, session, family)
    return Claims(family, policies)


def relogin(app: Any, session: Any, family: Family) -> None:
    """A fresh session for the same member (the old one expired when the clock moved)."""
    from app.auth import sessions as auth_sessions
    from app.auth.models import AuthSession

    old = (
        session.query(AuthSession)
        .filter(AuthSession.kind == "member")
        .order_by(AuthSession.created_at.desc())
        .first()
    )
    with app.test_request_context():
        token, row = auth_sessions.create(session, "member", old.member_id)
        name = auth_sessions.cookie_spec("member").name
    session.flush()
    family.client.set_cookie(name, token)
    family.csrf = row.csrf_token


@pytest.fixture
def reviewer(app: Any, staff_user: Any) -> Any:
    """A logged-in staff client (reviewer + admin) and its CSRF token."""
    from app.staff import passwords

    user, password, secret = staff_user("rev1", ["reviewer", "admin"])
    client = app.test_client()
    resp = client.post(
        "/api/v1/staff/session",
        json={
            "username": "rev1",
            "password": password,
            "totp": passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp())),
        },
    )
    assert resp.status_code == 201, resp.get_json()
    csrf = resp.get_json()["csrf_token"]

    class Staff:
        def __init__(self) -> None:
            self.client = client
            self.csrf = csrf
            self.user = user

        def post(self, url: str, body: Any) -> Any:
            return client.post(url, json=body, headers={"X-CSRF-Token": csrf})

        def get(self, url: str) -> Any:
            return client.get(url)

    return Staff()

family = _family_fixture  # the enrollment tests' fixture, under its own name
