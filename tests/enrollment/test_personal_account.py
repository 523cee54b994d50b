"""Paying premiums from an employee's BMI personal account (家庭共济): whole orders, split
orders with the rest paid by Alipay, refusals that change nothing, replays that deduct
once, the bureau stand-in's idempotency, and concurrent deductions that never overdraw."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.enrollment.models import Order, Policy
from app.identity import crypto
from app.members.consent_texts import SENSITIVE_PI
from app.payments.models import Payment, PaymentEvent
from app.payments.personal_account import BureauError
from app.roster.models import RosterEntry
from app.standins.bureau import BureauStandin
from tests.conftest import make_id_number
from tests.enrollment.conftest import FATHER, GRANDMA, MOTHER, Family
from tests.enrollment.test_payment_notices import ali_fields, post_ali

PREMIUM = 12900  # the demo plan's standard premium for an adult


def balance_of(session, id_number):
    return session.scalar(
        select(RosterEntry.account_balance_fen).where(
            RosterEntry.id_index == crypto.id_index(id_number)
        )
    )


def set_roster(session, id_number, **values):
    session.execute(
        update(RosterEntry)
        .where(RosterEntry.id_index == crypto.id_index(id_number))
        .values(**values)
    )
    session.flush()


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def account_payments(session):
    return session.scalars(select(Payment).where(Payment.provider == "personal_account")).all()


@pytest.fixture
def couple(family):
    """The employee member (陈建国, balance 3000.00 by default) and his spouse, both
    declared, in one pending order of 2 × 129.00."""
    me = family.self_id()
    spouse = family.add("spouse", MOTHER).get_json()["id"]
    for pid in (me, spouse):
        assert family.declare(pid).status_code == 201
    resp = family.order([me, spouse])
    assert resp.status_code == 201, resp.get_json()
    order = resp.get_json()
    assert order["total_fen"] == 2 * PREMIUM
    return family, order, me, spouse


def account(family, order_id):
    return family.client.get(f"/api/v1/orders/{order_id}/personal-account")


def pay(family, order_id, persons, consent=True, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return family.post(
        f"/api/v1/orders/{order_id}/personal-account-payments",
        {"persons": persons, "relatives_consent": consent},
        **headers,
    )


def test_balance_covering_everyone_pays_the_whole_order(couple, session):
    family, order, me, spouse = couple
    view = account(family, order["id"]).get_json()
    assert view["eligible"] is True and "reason" not in view
    assert view["balance_fen"] == 300_000 and view["covers_all"] is True
    assert [(line["person_id"], line["relation"], line["payable"]) for line in view["lines"]] == [
        (me, "self", True),
        (spouse, "spouse", True),
    ]

    resp = pay(family, order["id"], [me, spouse])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["remaining_order"] is None
    assert body["balance_after_fen"] == 300_000 - 2 * PREMIUM
    paid = body["paid_order"]
    assert paid["id"] == order["id"] and paid["status"] == "paid"
    assert [line["state"] for line in paid["lines"]] == ["paid", "paid"]
    assert [(p["provider"], p["amount_fen"], p["status"]) for p in paid["payments"]] == [
        ("personal_account", 2 * PREMIUM, "paid")
    ]
    assert balance_of(session, FATHER[1]) == 300_000 - 2 * PREMIUM
    assert balance_of(session, MOTHER[1]) == 8650  # the spouse's own account is untouched
    assert count(session, Policy) == 2
    policies = family.client.get("/api/v1/me/policies").get_json()
    assert sorted(p["person"]["id"] for p in policies) == sorted([me, spouse])
    outcomes = session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.provider == "personal_account")
    ).all()
    assert sorted(outcomes) == ["applied", "relatives_consent"]
    # paid: the method is no longer offered, a second payment is refused
    assert account(family, order["id"]).get_json()["reason"]["code"] == "order_not_payable"
    again = pay(family, order["id"], [me, spouse])
    assert again.status_code == 409 and again.get_json()["error"] == "order_not_payable"
    assert balance_of(session, FATHER[1]) == 300_000 - 2 * PREMIUM


def test_partial_balance_splits_the_order_and_alipay_pays_the_rest(
    couple, session, provider_transport
):
    family, order, me, spouse = couple
    set_roster(session, FATHER[1], account_balance_fen=20_000)  # 200.00 < 258.00
    # an Alipay payment started for the whole order before choosing the account
    early = family.post(f"/api/v1/orders/{order['id']}/payments", {"provider": "alipay"})
    assert early.status_code == 201
    view = account(family, order["id"]).get_json()
    assert view["eligible"] is True and view["covers_all"] is False
    assert view["balance_fen"] == 20_000

    resp = pay(family, order["id"], [spouse])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["balance_after_fen"] == 20_000 - PREMIUM
    paid, remaining = body["paid_order"], body["remaining_order"]
    assert paid["id"] != order["id"]
    assert paid["status"] == "paid" and paid["total_fen"] == PREMIUM
    assert [(line["person_id"], line["state"]) for line in paid["lines"]] == [(spouse, "paid")]
    assert paid["expires_at"] == order["expires_at"] and paid["plan_code"] == order["plan_code"]
    assert remaining["id"] == order["id"]
    assert remaining["status"] == "pending" and remaining["total_fen"] == PREMIUM
    assert [(line["person_id"], line["state"]) for line in remaining["lines"]] == [(me, "pending")]
    # the payment started for the old total is closed; the account paid only the new order
    assert [(p["provider"], p["status"]) for p in remaining["payments"]] == [("alipay", "closed")]
    assert balance_of(session, FATHER[1]) == 20_000 - PREMIUM
    issued = session.scalars(select(Policy.person_id)).all()
    assert issued == [spouse]
    stored = session.get(Order, order["id"])
    session.refresh(stored)
    assert stored.total_fen == PREMIUM and [line.position for line in stored.lines] == [0]

    # the rest: Alipay, through a signed notice for the new total
    started = family.post(f"/api/v1/orders/{order['id']}/payments", {"provider": "alipay"})
    assert started.status_code == 201, started.get_json()
    payment = started.get_json()["payment"]
    assert payment["amount_fen"] == PREMIUM
    notice = post_ali(family.client, ali_fields(payment["out_trade_no"], PREMIUM))
    assert notice.get_data(as_text=True) == "success"
    detail = family.client.get(f"/api/v1/orders/{order['id']}").get_json()
    assert detail["status"] == "paid"
    assert sorted(session.scalars(select(Policy.person_id)).all()) == sorted([me, spouse])
    assert balance_of(session, FATHER[1]) == 20_000 - PREMIUM  # Alipay took nothing from it
    orders = family.client.get(f"/api/v1/orders/{paid['id']}").get_json()
    assert orders["status"] == "paid"


def test_insufficient_balance_for_the_chosen_persons_changes_nothing(couple, session):
    family, order, me, spouse = couple
    set_roster(session, FATHER[1], account_balance_fen=20_000)
    resp = pay(family, order["id"], [me, spouse])
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "insufficient_balance"
    assert "200.00" in body["message"] and "258.00" in body["message"]
    assert "200.00" in body["message_zh"] and "258.00" in body["message_zh"]
    assert balance_of(session, FATHER[1]) == 20_000
    detail = family.client.get(f"/api/v1/orders/{order['id']}").get_json()
    assert detail["status"] == "pending" and detail["total_fen"] == 2 * PREMIUM
    assert len(detail["lines"]) == 2 and detail["payments"] == []
    assert count(session, Order) == 1 and count(session, Policy) == 0
    assert account_payments(session) == []


def test_relatives_need_the_payers_consent(couple, session):
    family, order, me, spouse = couple
    for persons in ([spouse], [me, spouse]):
        resp = pay(family, order["id"], persons, consent=False)
        assert resp.status_code == 422
        body = resp.get_json()
        assert body["error"] == "relatives_consent_required"
        assert body["message_zh"] and body["message"]
    assert balance_of(session, FATHER[1]) == 300_000
    assert count(session, Policy) == 0 and account_payments(session) == []
    # paying for oneself needs no one's consent
    alone = pay(family, order["id"], [me], consent=False)
    assert alone.status_code == 201, alone.get_json()
    assert alone.get_json()["remaining_order"]["lines"][0]["person_id"] == spouse


def test_chosen_person_must_be_in_the_order(couple, session):
    family, order, me, _spouse = couple
    for persons in (["01NOSUCHPERSON000000000000"], [me, me]):
        resp = pay(family, order["id"], persons)
        assert resp.status_code == 422
        assert resp.get_json()["error"] == "line_not_in_order"
    assert balance_of(session, FATHER[1]) == 300_000


def test_replayed_request_deducts_once(couple, session):
    family, order, me, spouse = couple
    first = pay(family, order["id"], [spouse], key="pa-1")
    assert first.status_code == 201, first.get_json()
    for _ in range(3):
        again = pay(family, order["id"], [spouse], key="pa-1")
        assert again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.get_json() == first.get_json()
    assert balance_of(session, FATHER[1]) == 300_000 - PREMIUM
    assert len(account_payments(session)) == 1
    assert count(session, Policy) == 1
    deducted = session.scalars(
        select(PaymentEvent).where(
            PaymentEvent.provider == "bureau", PaymentEvent.outcome == "deducted"
        )
    ).all()
    assert len(deducted) == 1
    # the same key for another request is a mismatch, not a replay
    other = pay(family, order["id"], [me], key="pa-1")
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_mismatch"
    assert balance_of(session, FATHER[1]) == 300_000 - PREMIUM


@pytest.fixture
def resident_family(client, member_login, roster_person, samples):
    roster_person(*GRANDMA, insurance_type="resident")
    _member, csrf = member_login(client, "陈阿婆")
    fam = Family(client, csrf)
    fam.post(
        "/api/v1/me/consents",
        {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
    )
    resp = fam.post("/api/v1/me/real-name", {"name": GRANDMA[0], "id_number": GRANDMA[1]})
    assert resp.status_code == 200, resp.get_json()
    return fam


def test_resident_payer_is_not_eligible(resident_family, session):
    me = resident_family.self_id()
    resident_family.declare(me)
    order = resident_family.order([me]).get_json()
    view = account(resident_family, order["id"]).get_json()
    assert view["eligible"] is False and view["covers_all"] is False
    assert view["reason"]["code"] == "not_an_employee"
    assert view["reason"]["zh"] and view["reason"]["en"]
    assert view["balance_fen"] == 0 and [line["payable"] for line in view["lines"]] == [False]
    resp = pay(resident_family, order["id"], [me])
    assert resp.status_code == 422 and resp.get_json()["error"] == "not_an_employee"
    assert count(session, Policy) == 0


def test_payer_whose_roster_status_is_not_normal_is_not_eligible(couple, session):
    family, order, me, _spouse = couple
    set_roster(session, FATHER[1], status="suspended")
    view = account(family, order["id"]).get_json()
    assert view["eligible"] is False
    assert view["reason"]["code"] == "roster_status_not_normal"
    resp = pay(family, order["id"], [me])
    assert resp.status_code == 422 and resp.get_json()["error"] == "roster_status_not_normal"
    assert balance_of(session, FATHER[1]) == 300_000


def test_not_offered_without_a_bureau(couple, app, monkeypatch):
    family, order, me, _spouse = couple
    settings = app.extensions["settings"]
    monkeypatch.setitem(
        app.extensions,
        "settings",
        replace(settings, dev_standins=False, app_env="development"),
    )
    view = account(family, order["id"]).get_json()
    assert view["eligible"] is False
    assert view["reason"]["code"] == "personal_account_not_available"
    resp = pay(family, order["id"], [me])
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "personal_account_not_available"


def test_other_members_order_is_not_found(couple, client, member_login):
    _family, order, me, _spouse = couple
    _other, csrf = member_login(client, "别人")
    resp = Family(client, csrf).post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me], "relatives_consent": True},
    )
    assert resp.status_code == 404


# --- the bureau stand-in ----------------------------------------------------------------


def test_standin_deduction_is_idempotent(session, roster_person):
    payer = make_id_number("35020319790101055")
    relative = make_id_number("35020319800101066")
    roster_person("付款人", payer, balance_fen=50_000)
    roster_person("亲属", relative)
    bureau = BureauStandin(session)
    assert bureau.balance(payer) == 50_000
    first = bureau.deduct("B-req-1", payer, 12_900, [relative])
    assert first.balance_after_fen == 37_100
    again = bureau.deduct("B-req-1", payer, 12_900, [relative])
    assert again == first
    assert bureau.balance(payer) == 37_100
    with pytest.raises(BureauError) as mismatch:
        bureau.deduct("B-req-1", payer, 9_900, [relative])
    assert mismatch.value.kind == "request_mismatch"
    with pytest.raises(BureauError) as other_people:
        bureau.deduct("B-req-1", payer, 12_900, [payer])
    assert other_people.value.kind == "request_mismatch"
    with pytest.raises(BureauError) as short:
        bureau.deduct("B-req-2", payer, 40_000, [payer])
    assert short.value.kind == "insufficient_balance" and short.value.balance_fen == 37_100
    with pytest.raises(BureauError) as nobody:
        bureau.deduct("B-req-3", payer, 100, [make_id_number("35020319810101077")])
    assert nobody.value.kind == "beneficiary_not_found"
    assert bureau.balance(payer) == 37_100


def test_standin_refund_is_idempotent_and_bounded(session, roster_person):
    payer = make_id_number("35020319790101055")
    roster_person("付款人", payer, balance_fen=50_000)
    bureau = BureauStandin(session)
    bureau.deduct("B-req-5", payer, 25_800, [payer])
    first = bureau.refund("B-req-5", "R-1", 12_900)
    assert first.balance_after_fen == 50_000 - 25_800 + 12_900
    assert bureau.refund("B-req-5", "R-1", 12_900) == first  # a retry credits nothing
    assert bureau.balance(payer) == first.balance_after_fen
    for args, kind in (
        (("B-req-5", "R-1", 100), "request_mismatch"),
        (("B-req-5", "R-2", 12_901), "refund_exceeds_deduction"),
        (("B-nothing", "R-3", 100), "deduction_not_found"),
    ):
        with pytest.raises(BureauError) as refused:
            bureau.refund(*args)
        assert refused.value.kind == kind
    assert bureau.refund("B-req-5", "R-2", 12_900).balance_after_fen == 50_000
    assert bureau.balance(payer) == 50_000


def test_standin_refuses_residents_and_unknown_payers(session, roster_person):
    resident = make_id_number("35020319600101088")
    roster_person("居民", resident, insurance_type="resident")
    bureau = BureauStandin(session)
    with pytest.raises(BureauError) as no_account:
        bureau.deduct("B-req-4", resident, 100, [resident])
    assert no_account.value.kind == "account_not_available"
    with pytest.raises(BureauError) as unknown:
        bureau.balance(make_id_number("35020319610101099"))
    assert unknown.value.kind == "payer_not_found"


# --- races, on PostgreSQL ----------------------------------------------------------------

THREADS = 6
RACER = make_id_number("35020319750101044")


@pytest.fixture
def committed_account(app, database_url):
    """A committed roster entry with a 300.00 balance, removed afterwards with the
    stand-in's records."""
    if not database_url.startswith("postgresql"):
        pytest.skip("race tests need PostgreSQL (SQLite serialises writers; set TEST_DATABASE_URL)")
    engine = create_engine(database_url)
    with Session(engine) as db:
        entry = RosterEntry(
            id_index=crypto.id_index(RACER),
            name_index=crypto.name_index("抢扣者"),
            id_number=RACER,
            name="抢扣者",
            insurance_type="employee",
            status="normal",
            city_code="350203",
            account_balance_fen=30_000,
            updated_at=clock.now(),
        )
        db.add(entry)
        db.commit()
        entry_id = entry.id
    yield engine
    with Session(engine) as db:
        db.execute(delete(PaymentEvent).where(PaymentEvent.out_trade_no.like("RACE-%")))
        db.execute(delete(RosterEntry).where(RosterEntry.id == entry_id))
        db.commit()
    engine.dispose()


def _race(app, engine, request_nos):
    barrier = threading.Barrier(len(request_nos))

    def attempt(request_no):
        with engine.connect() as conn:
            # explicit mode: tests/conftest.py resets the factory to a value SQLAlchemy 2.1
            # no longer knows ("conservative_savepoint") after every `connection` test
            db = app.extensions["db"].sessionmaker(
                bind=conn, join_transaction_mode="conditional_savepoint"
            )
            try:
                barrier.wait()
                result = BureauStandin(db).deduct(request_no, RACER, 12_900, [RACER])
                db.commit()
                return result
            except BureauError as exc:
                db.rollback()
                return exc.kind
            finally:
                db.close()

    with ThreadPoolExecutor(len(request_nos)) as pool:
        return list(pool.map(attempt, request_nos))


def _balance(engine):
    with Session(engine) as db:
        return balance_of(db, RACER)


def test_concurrent_deductions_never_overdraw(app, committed_account):
    engine = committed_account
    results = _race(app, engine, [f"RACE-{i}" for i in range(THREADS)])
    done = [r for r in results if not isinstance(r, str)]
    assert len(done) == 2, results  # 300.00 covers two premiums of 129.00, not three
    assert results.count("insufficient_balance") == THREADS - 2
    assert _balance(engine) == 30_000 - 2 * 12_900
    assert sorted(r.balance_after_fen for r in done) == [4_200, 17_100]


def test_concurrent_retries_of_one_request_deduct_once(app, committed_account):
    engine = committed_account
    results = _race(app, engine, ["RACE-same"] * THREADS)
    assert all(not isinstance(r, str) for r in results), results
    assert len({r.deduction_no for r in results}) == 1
    assert _balance(engine) == 30_000 - 12_900


def test_cancel_refunds_onto_the_personal_account(family, session, samples):
    """Cancelled before cover: the premium goes back onto the payer's account."""
    from sqlalchemy import select

    from app.members.models import Member
    from app.roster.models import RosterEntry

    me = family.self_id()
    family.declare(me)
    order = family.order([me]).get_json()
    member = session.scalar(select(Member).where(Member.id_index.is_not(None)))
    entry = session.get(RosterEntry, member.roster_entry_id)
    before = entry.account_balance_fen
    paid = family.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me], "relatives_consent": False},
    )
    assert paid.status_code == 201, paid.get_json()
    session.expire_all()
    assert session.get(RosterEntry, entry.id).account_balance_fen == before - 12900
    policy = family.client.get("/api/v1/me/policies").get_json()[0]
    cancel = family.post(f"/api/v1/me/policies/{policy['id']}/cancel", {})
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "success"
    session.expire_all()
    assert session.get(RosterEntry, entry.id).account_balance_fen == before
