"""A member whose family holds policies with cover running, and helpers to file claims."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from app.core import clock
from app.members.consent_texts import SENSITIVE_PI
from tests.conftest import make_id_number
from tests.enrollment.conftest import MOTHER, SON, Family
from tests.enrollment.conftest import family as _family_fixture

HOSPITAL_KINDS = [
    "id_card",
    "invoice",
    "bmi_settlement",
    "expense_itemisation",
    "discharge_summary",
    "payee_bank_card",
]


DEFAULT_EXPENSES = [
    {"liability": "in_catalog", "amount_fen": 5_000_000, "other_paid_fen": 0},
    {"liability": "out_of_catalog", "amount_fen": 2_000_000},
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
            "expenses": DEFAULT_EXPENSES,
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

    def get(self, claim_id: str) -> Any:
        return self.client.get(f"/api/v1/claims/{claim_id}")

    def patch(self, claim_id: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1/claims/{claim_id}", json=body, headers={"X-CSRF-Token": self.family.csrf}
        )

    def withdraw(self, claim_id: str) -> Any:
        return self.family.post(f"/api/v1/claims/{claim_id}/withdraw", {})

    def delete_document(self, claim_id: str, document_id: str) -> Any:
        return self.client.delete(
            f"/api/v1/claims/{claim_id}/documents/{document_id}",
            headers={"X-CSRF-Token": self.family.csrf},
        )

    def file(self, claim_id: str, document_id: str, variant: str | None = None) -> Any:
        query = f"?variant={variant}" if variant else ""
        return self.client.get(f"/api/v1/claims/{claim_id}/documents/{document_id}/file{query}")

    def estimate(self, relation: str = "self", **over: Any) -> Any:
        body = {
            "person_id": self.person(relation),
            "claim_type": "hospital",
            "expenses": DEFAULT_EXPENSES,
        }
        body.update(over)
        return self.family.post("/api/v1/claims/estimate", body)

    def unread(self) -> int:
        return int(self.client.get("/api/v1/me/messages/unread").get_json()["unread"])

    def messages(self) -> list[dict[str, Any]]:
        body = self.client.get("/api/v1/me/messages?per_page=100").get_json()
        return list(body["items"])

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
    return insure(app, session, family, set_clock)


@pytest.fixture
def insured_with_son(app: Any, session: Any, family: Family, set_clock: Any) -> Claims:
    """As `insured`, with the son (a minor: a child's claim needs the guardian's ID card
    and a proof of relationship as well) insured in the same order."""
    return insure(app, session, family, set_clock, with_son=True)


@pytest.fixture
def insured_mixed_tiers(app: Any, session: Any, family: Family, set_clock: Any) -> Claims:
    """As `insured`, but the spouse declared a pre-existing condition (tier pre_existing)."""
    return insure(app, session, family, set_clock, spouse_conditions=("diabetes",))


def insure(
    app: Any,
    session: Any,
    family: Family,
    set_clock: Any,
    *,
    with_son: bool = False,
    spouse_conditions: tuple[str, ...] = (),
) -> Claims:
    me = family.self_id()
    spouse = family.add("spouse", MOTHER).get_json()["id"]
    persons = [me, spouse]
    if with_son:
        resp = family.add("child", SON)
        assert resp.status_code == 201, resp.get_json()
        persons.append(resp.get_json()["id"])
    for pid in persons:
        yes = dict.fromkeys(spouse_conditions, True) if pid == spouse else {}
        assert family.declare(pid, **yes).status_code == 201
    order = family.order(persons).get_json()
    resp = family.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": persons, "relatives_consent": True},
    )
    assert resp.status_code == 201, resp.get_json()
    policies = family.client.get("/api/v1/me/policies").get_json()
    assert len(policies) == len(persons)
    start = datetime.fromisoformat(policies[0]["coverage_start"]).date()
    set_clock(datetime.combine(start + timedelta(days=40), time(2, 0), UTC))
    assert clock.today("Asia/Shanghai") == start + timedelta(days=40)
    relogin(app, session, family)
    return Claims(family, policies)


def relogin(app: Any, session: Any, family: Family) -> None:
    """A fresh session for the same member (the old one expired when the clock moved)."""
    import hashlib

    from app.auth import sessions as auth_sessions
    from app.auth.models import AuthSession

    with app.test_request_context():
        name = auth_sessions.cookie_spec("member").name
    cookie = family.client.get_cookie(name)
    old = session.get(AuthSession, hashlib.sha256(cookie.value.encode()).hexdigest())
    with app.test_request_context():
        token, row = auth_sessions.create(session, "member", old.member_id)
    session.flush()
    family.client.set_cookie(name, token)
    family.csrf = row.csrf_token


def relogin_staff(app: Any, session: Any, staff: Staff) -> None:
    """A fresh session for the same staff user (after the clock moved)."""
    from app.auth import sessions as auth_sessions

    with app.test_request_context():
        token, row = auth_sessions.create(session, "staff", staff.user.id)
        name = auth_sessions.cookie_spec("staff").name
    session.flush()
    staff.client.set_cookie(name, token)
    staff.csrf = row.csrf_token


@pytest.fixture
def move_clock(app: Any, session: Any, set_clock: Any) -> Any:
    """move_clock(to, insured, *staff): set the clock and log everyone in again."""

    def _move(to: datetime, insured: Claims, *staff: Staff) -> None:
        set_clock(to)
        relogin(app, session, insured.family)
        for one in staff:
            relogin_staff(app, session, one)

    return _move


OTHER_HOLDER = ("王丽华", make_id_number("35020319850707042"))


@pytest.fixture
def insured_pair(
    app: Any, session: Any, family: Family, set_clock: Any, member_login: Any, roster_person: Any
) -> tuple[Claims, Claims]:
    """`insured`, and a second, unrelated member insured on the same plan (self only)."""
    roster_person(*OTHER_HOLDER)
    client = app.test_client()
    _member, csrf = member_login(client, "王女士")
    other = Family(client, csrf)
    other.post(
        "/api/v1/me/consents",
        {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
    )
    name, id_number = OTHER_HOLDER
    resp = other.post("/api/v1/me/real-name", {"name": name, "id_number": id_number})
    assert resp.status_code == 200, resp.get_json()
    me = other.self_id()
    assert other.declare(me).status_code == 201
    order = other.order([me]).get_json()
    resp = other.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me], "relatives_consent": True},
    )
    assert resp.status_code == 201, resp.get_json()
    policies = client.get("/api/v1/me/policies").get_json()
    first = insure(app, session, family, set_clock)  # moves the clock
    relogin(app, session, other)
    return first, Claims(other, policies)


class Staff:
    """A logged-in staff client and its CSRF token."""

    def __init__(self, client: Any, csrf: str, user: Any) -> None:
        self.client = client
        self.csrf = csrf
        self.user = user

    def post(self, url: str, body: Any) -> Any:
        return self.client.post(url, json=body, headers={"X-CSRF-Token": self.csrf})

    def get(self, url: str) -> Any:
        return self.client.get(url)

    def claim(self, claim_id: str) -> Any:
        return self.get(f"/api/v1/staff/claims/{claim_id}")

    def act(self, claim_id: str, action: str, body: Any = None) -> Any:
        return self.post(f"/api/v1/staff/claims/{claim_id}/{action}", body or {})

    def approve(self, claim_id: str, expenses: Any = None) -> Any:
        if expenses is None:
            expenses = self.claim(claim_id).get_json()["expenses"]
        return self.act(claim_id, "approve", {"expenses": expenses})

    def queue(self, query: str = "") -> Any:
        return self.get(f"/api/v1/staff/claims{query}")


@pytest.fixture
def staff_login(app: Any, staff_user: Any) -> Any:
    """staff_login(username, roles) -> a logged-in `Staff` client."""
    from app.staff import passwords

    def _login(username: str, roles: list[str]) -> Staff:
        user, password, secret = staff_user(username, roles)
        client = app.test_client()
        resp = client.post(
            "/api/v1/staff/session",
            json={
                "username": username,
                "password": password,
                "totp": passwords.totp_at(secret, passwords.totp_step(clock.now().timestamp())),
            },
        )
        assert resp.status_code == 201, resp.get_json()
        return Staff(client, resp.get_json()["csrf_token"], user)

    return _login


@pytest.fixture
def reviewer(staff_login: Any) -> Staff:
    """A logged-in staff client (reviewer + admin) and its CSRF token."""
    return staff_login("rev1", ["reviewer", "admin"])


class Member:
    """Another member's logged-in client (for the 404 checks)."""

    def __init__(self, client: Any, csrf: str, member: Any) -> None:
        self.client = client
        self.csrf = csrf
        self.member = member

    def call(self, method: str, url: str, **kw: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kw)


@pytest.fixture
def other_member(app: Any, member_login: Any, insured: Claims) -> Member:
    """A second member without policies, logged in after `insured` moved the clock."""
    client = app.test_client()
    member, csrf = member_login(client, "另一位会员")
    return Member(client, csrf, member)


def to_status(insured: Claims, staff: Staff, status: str, relation: str = "self") -> str:
    """A claim of `relation` brought to `status` through the API; returns its id."""
    steps = {
        "draft": [],
        "submitted": ["submit"],
        "under_review": ["submit", "start-review"],
        "need_more_info": ["submit", "start-review", "request-info"],
        "approved": ["submit", "start-review", "approve"],
        "paid": ["submit", "start-review", "approve", "mark-paid"],
        "rejected": ["submit", "start-review", "reject"],
        "withdrawn": ["withdraw"],
    }[status]
    resp = insured.new(relation)
    assert resp.status_code == 201, resp.get_json()
    claim_id = str(resp.get_json()["id"])
    if "submit" in steps:
        insured.upload_all(claim_id)
    for step in steps:
        if step == "submit":
            resp = insured.submit(claim_id)
        elif step == "withdraw":
            resp = insured.withdraw(claim_id)
        elif step == "approve":
            resp = staff.approve(claim_id)
        elif step == "request-info":
            resp = staff.act(claim_id, step, {"kinds": ["invoice"], "note": "看不清"})
        elif step == "reject":
            resp = staff.act(claim_id, step, {"reason": "not_covered"})
        elif step == "mark-paid":
            resp = staff.act(claim_id, step, {"bank_reference": "TRX0001"})
        else:
            resp = staff.act(claim_id, step)
        assert resp.status_code == 200, (step, resp.get_json())
    assert insured.get(claim_id).get_json()["status"] == status
    return claim_id


def post_file(
    insured: Claims,
    claim_id: str,
    data: bytes,
    *,
    kind: str = "invoice",
    filename: str = "a.jpg",
    **kw: Any,
) -> Any:
    """Upload raw bytes as the member (declared type image/jpeg unless given)."""
    return insured.client.post(
        f"/api/v1/claims/{claim_id}/documents?kind={kind}&filename={quote(filename)}",
        data=data,
        content_type=kw.pop("content_type", "image/jpeg"),
        headers={"X-CSRF-Token": insured.family.csrf},
        **kw,
    )


@pytest.fixture
def draft(insured: Claims) -> str:
    return str(insured.new().get_json()["id"])


def stored_files(document_dir: str) -> set[str]:
    """Every file under the document directory (temporary parts included)."""
    return {str(p) for p in Path(document_dir).rglob("*") if p.is_file()}


family = _family_fixture  # the enrollment tests' fixture, under its own name
