"""Family members, declarations, orders: prices, window, uniqueness, idempotency, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core import clock
from app.enrollment.service import age_on
from tests.enrollment.conftest import GRANDMA, MOTHER, SON, baby_id


def test_self_appears_once_verified(family):
    persons = family.client.get("/api/v1/me/persons").get_json()
    assert [p["relation"] for p in persons] == ["self"]
    assert persons[0]["id_number_masked"].startswith("3502**")


def test_add_family_members(family):
    assert family.add("spouse", MOTHER).status_code == 201
    assert family.add("child", SON).status_code == 201
    assert family.add("parent", GRANDMA).status_code == 201
    relations = [p["relation"] for p in family.client.get("/api/v1/me/persons").get_json()]
    assert relations == ["self", "spouse", "child", "parent"]
    again = family.add("spouse", MOTHER)
    assert again.status_code == 409 and again.get_json()["error"] == "person_exists"


def test_minor_only_as_child(family):
    resp = family.add("spouse", SON)
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "minor_needs_parent"


def test_newborn_not_on_roster_gets_the_registration_answer(family):
    born = clock.today("Asia/Shanghai") - timedelta(days=20)
    resp = family.add("child", ("陈新新", baby_id(born)), guardian_consent=True)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "newborn_not_registered"
    assert "90" in body["message_zh"] and "医保" in body["message_zh"]


def test_roster_mismatch_for_a_family_member(family):
    resp = family.add("spouse", ("林秀芳", MOTHER[1]))
    assert resp.get_json()["error"] == "roster_mismatch"


def test_declaration_gives_tier_with_reasons(family):
    me = family.self_id()
    standard = family.declare(me)
    assert standard.status_code == 201
    assert standard.get_json()["tier"] == "standard"
    pre = family.declare(me, diabetes=True).get_json()
    assert pre["tier"] == "pre_existing"
    assert any("糖尿病" in r["zh"] for r in pre["reasons"])


def test_declaration_must_answer_every_condition(family):
    me = family.self_id()
    resp = family.post(
        f"/api/v1/me/persons/{me}/declarations",
        {"plan_code": "demo", "answers": {"diabetes": True}, "health_consent": True},
    )
    assert resp.status_code == 422
    no_consent = family.post(
        f"/api/v1/me/persons/{me}/declarations",
        {"plan_code": "demo", "answers": {}, "health_consent": False},
    )
    assert no_consent.get_json()["error"] == "health_consent_required"


def test_family_order_with_mixed_prices(family):
    today = clock.today("Asia/Shanghai")
    spouse = family.add("spouse", MOTHER).get_json()["id"]
    baby = family.add(
        "child", ("陈小满", baby_id(today - timedelta(days=180))), guardian_consent=True
    ).get_json()["id"]
    me = family.self_id()
    for pid in (me, spouse, baby):
        family.declare(pid)
    resp = family.order([me, spouse, baby])
    assert resp.status_code == 201, resp.get_json()
    order = resp.get_json()
    assert [(line["premium_fen"], line["premium_rule"]) for line in order["lines"]] == [
        (12900, "standard"),
        (12900, "standard"),
        (9900, "newborn"),
    ]
    assert order["total_fen"] == 12900 * 2 + 9900
    assert order["status"] == "pending"


def test_declaration_required_before_ordering(family):
    resp = family.order([family.self_id()])
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "declaration_required"


def test_second_order_for_the_same_person_is_409(family):
    me = family.self_id()
    family.declare(me)
    assert family.order([me]).status_code == 201
    second = family.order([me])
    assert second.status_code == 409
    assert second.get_json()["error"] == "already_enrolled"


def test_unpaid_order_expires_and_frees_the_person(family, set_clock):
    me = family.self_id()
    family.declare(me)
    now = clock.now()
    set_clock(now)
    first = family.order([me]).get_json()
    set_clock(now + timedelta(minutes=20))
    family.client.get("/api/v1/me")  # still active: the session stays alive
    set_clock(now + timedelta(minutes=30, seconds=1))
    assert family.client.get(f"/api/v1/orders/{first['id']}").get_json()["status"] == "expired"
    assert family.order([me]).status_code == 201


def test_expiry_without_reading_the_old_order(family, set_clock):
    me = family.self_id()
    family.declare(me)
    now = clock.now()
    set_clock(now)
    family.order([me])
    set_clock(now + timedelta(minutes=20))
    family.client.get("/api/v1/me")
    set_clock(now + timedelta(minutes=31))
    assert family.order([me]).status_code == 201  # checked on write


def test_idempotency_key(family, session):
    from app.enrollment.models import Order

    me = family.self_id()
    family.declare(me)
    first = family.order([me], key="order-abc")
    again = family.order([me], key="order-abc")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert session.query(Order).count() == 1
    other = family.order([me], plan="xm-2023", key="order-abc")
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_mismatch"


@pytest.mark.parametrize(
    ("local", "status"),
    [("2023-06-30T23:59:59", 201), ("2023-07-01T00:00:00", 409), ("2023-04-24T23:59:59", 409)],
    ids=["last-second", "closed", "not-yet-open"],
)
def test_window_edges_in_shanghai(family, set_clock, local, status):
    from zoneinfo import ZoneInfo

    me = family.self_id()
    family.declare(me, plan="xm-2023")
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    set_clock(instant.astimezone(UTC))
    resp = family.order([me], plan="xm-2023")
    assert resp.status_code == status, resp.get_json()
    if status == 409:
        assert resp.get_json()["error"] in ("window_closed", "window_not_open")


@pytest.mark.parametrize(
    ("years_days", "consent", "status"),
    [((13, 364), False, 422), ((13, 364), True, 201), ((14, 0), False, 201)],
    ids=["13y364d-no-consent", "13y364d-consent", "14y0d-no-consent"],
)
def test_guardian_consent_under_14_at_cover_start(
    family, samples, roster_person, years_days, consent, status
):
    from app.plans import service as plans
    from tests.conftest import make_id_number

    start = plans.terms_of(samples["demo"]).coverage.start
    years, days = years_days
    born = start.replace(year=start.year - years - 1) + timedelta(days=365 - days)
    if days == 0:
        born = start.replace(year=start.year - years)
    assert (age_on(born, start), (start - born).days >= 0) == (years, True)
    child = ("陈小宝", make_id_number(f"350203{born:%Y%m%d}053"))
    roster_person(*child, insurance_type="resident")
    person = family.add("child", child, guardian_consent=consent).get_json()["id"]
    family.declare(person)
    resp = family.order([person])
    assert resp.status_code == status, resp.get_json()
    if status == 422:
        assert resp.get_json()["error"] == "guardian_consent_required"


def test_age_on_birthdays():
    assert age_on(date(2010, 3, 1), date(2024, 2, 29)) == 13
    assert age_on(date(2010, 3, 1), date(2024, 3, 1)) == 14
    assert age_on(date(2008, 2, 29), date(2022, 2, 28)) == 13
    assert age_on(date(2008, 2, 29), date(2022, 3, 1)) == 14


def test_idempotent_retry_while_running_is_409(family, session):
    from app.enrollment import idempotency
    from app.enrollment.models import IdempotencyKey

    me = family.self_id()
    family.declare(me)
    member_id = family.client.get("/api/v1/me").get_json()["id"]
    body = {"plan_code": "demo", "persons": [me]}
    session.add(
        IdempotencyKey(
            member_id=member_id,
            key="busy-1",
            request_hash=idempotency.request_hash(body),
            state="running",
            created_at=clock.now(),
        )
    )
    session.flush()
    resp = family.order([me], key="busy-1")
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "idempotency_in_progress"


def test_guardian_consent_can_be_given_later(family, samples, roster_person):
    from app.plans import service as plans
    from tests.conftest import make_id_number

    start = plans.terms_of(samples["demo"]).coverage.start
    born = start.replace(year=start.year - 5)
    child = ("陈小宝", make_id_number(f"350203{born:%Y%m%d}053"))
    roster_person(*child, insurance_type="resident")
    person = family.add("child", child).get_json()
    assert person["guardian_consent"] is False and person["roster_check"] == "normal"
    family.declare(person["id"])
    assert family.order([person["id"]]).get_json()["error"] == "guardian_consent_required"
    given = family.post(f"/api/v1/me/persons/{person['id']}/guardian-consent", {})
    assert given.status_code == 200 and given.get_json()["guardian_consent"] is True
    assert family.order([person["id"]]).status_code == 201


def test_payment_return_goes_back_to_the_order(client):
    resp = client.get("/api/v1/payments/return/01ABCDEF?out_trade_no=P1&method=x")
    assert resp.status_code == 302 and resp.headers["Location"] == "/#/orders/01ABCDEF"
    assert client.get("/api/v1/payments/return/bad-id!").headers["Location"] == "/#/policies"
