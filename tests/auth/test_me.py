"""The member's account: consent, real-name binding, masking, sessions, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.core import clock
from app.members.consent_texts import SENSITIVE_PI
from tests.conftest import make_id_number

ID_CHEN = make_id_number("35020319680312101")  # 陈建国, male (odd 17th digit)
ID_LIN = make_id_number("35020619700805102")  # 林秀英, female


def consent(client, csrf, granted=True, version=SENSITIVE_PI.version):
    return client.post(
        "/api/v1/me/consents",
        json={"kind": SENSITIVE_PI.kind, "terms_version": version, "granted": granted},
        headers={"X-CSRF-Token": csrf},
    )


def bind(client, csrf, name, id_number):
    return client.post(
        "/api/v1/me/real-name",
        json={"name": name, "id_number": id_number},
        headers={"X-CSRF-Token": csrf},
    )


def test_me_shows_identities(client, member_login):
    member, _csrf = member_login(client, nickname="阿陈")
    body = client.get("/api/v1/me").get_json()
    assert body["id"] == member.id
    assert body["verified"] is False
    assert body["id_number_masked"] is None
    assert [i["provider"] for i in body["identities"]] == ["wechat"]


def test_consent_text_is_public_and_versioned(client):
    body = client.get("/api/v1/consent-texts/sensitive_personal_information").get_json()
    assert body["version"] == SENSITIVE_PI.version
    assert "敏感个人信息" in body["body"]["zh"]
    assert client.get("/api/v1/consent-texts/nope").status_code == 404


def test_bind_real_name_happy_path(client, member_login, roster_person, session):
    roster_person("陈建国", ID_CHEN)
    _member, csrf = member_login(client)
    assert consent(client, csrf).status_code == 201
    resp = bind(client, csrf, " 陈建国 ", ID_CHEN.lower())
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["verified"] is True
    assert body["id_number_masked"] == ID_CHEN[:4] + "*" * 10 + ID_CHEN[-4:]
    assert body["real_name_masked"] == "陈**"
    assert body["birth_date"] == "1968-03-12"
    assert body["sex"] == "male"
    assert ID_CHEN not in resp.get_data(as_text=True)
    assert "陈建国" not in resp.get_data(as_text=True)
    # at rest: ciphertext, not the ID or the name
    raw = session.execute(text("SELECT id_number, real_name, id_index FROM members")).one()
    assert ID_CHEN not in raw[0] and "陈建国" not in raw[1]
    assert raw[0].startswith("v1.") and len(raw[2]) == 64


def test_bind_requires_consent(client, member_login, roster_person):
    roster_person("陈建国", ID_CHEN)
    _m, csrf = member_login(client)
    resp = bind(client, csrf, "陈建国", ID_CHEN)
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "consent_required"
    assert consent(client, csrf, granted=False).status_code == 201  # refusal is recorded
    assert bind(client, csrf, "陈建国", ID_CHEN).get_json()["error"] == "consent_required"
    assert client.get("/api/v1/me").get_json()["consent_granted"] is False


def test_outdated_consent_version_refused(client, member_login):
    _m, csrf = member_login(client)
    resp = consent(client, csrf, version="2020-01")
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "consent_version_outdated"


@pytest.mark.parametrize(
    ("name", "id_number", "error"),
    [
        ("陈建国", "35020319680312101", "bad_format"),
        ("陈建国", ID_CHEN[:-1] + ("0" if ID_CHEN[-1] != "0" else "1"), "bad_check_character"),
        ("陈建国", make_id_number("99020319680312101"), "bad_region"),
        ("陈建国", make_id_number("35020319680230101"), "bad_birth_date"),
        ("陈建华", ID_CHEN, "roster_mismatch"),
        ("林秀英", ID_LIN, "roster_mismatch"),  # valid ID, not on the roster
    ],
    ids=["format", "check-char", "region", "date", "wrong-name", "not-on-roster"],
)
def test_bind_errors_name_the_field(client, member_login, roster_person, name, id_number, error):
    roster_person("陈建国", ID_CHEN)
    _m, csrf = member_login(client)
    consent(client, csrf)
    resp = bind(client, csrf, name, id_number)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == error
    assert "id_number" in body["errors"]["json"]
    assert body["message_zh"] and body["message"]


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_bind_refuses_roster_status_not_normal(client, member_login, roster_person, status):
    roster_person("陈建国", ID_CHEN, status=status)
    _m, csrf = member_login(client)
    consent(client, csrf)
    body = bind(client, csrf, "陈建国", ID_CHEN).get_json()
    assert body["error"] == "roster_status_not_normal"


def test_one_person_one_account(app, member_login, roster_person):
    roster_person("陈建国", ID_CHEN)
    first, second = app.test_client(), app.test_client()
    _a, csrf_a = member_login(first, "A")
    _b, csrf_b = member_login(second, "B")
    consent(first, csrf_a)
    consent(second, csrf_b)
    assert bind(first, csrf_a, "陈建国", ID_CHEN).status_code == 200
    resp = bind(second, csrf_b, "陈建国", ID_CHEN)
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "id_bound_to_other_account"
    again = bind(first, csrf_a, "陈建国", ID_CHEN)
    assert again.get_json()["error"] == "already_bound"


def test_writes_need_the_csrf_token(client, member_login):
    _m, csrf = member_login(client)
    body = {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True}
    no_header = client.post("/api/v1/me/consents", json=body)
    assert no_header.status_code == 403
    assert no_header.get_json()["error"] == "csrf_failed"
    wrong = client.post("/api/v1/me/consents", json=body, headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    assert client.get("/api/v1/me/csrf").get_json()["csrf_token"] == csrf


def test_logout_revokes_the_session(client, member_login):
    _m, csrf = member_login(client)
    resp = client.delete("/api/v1/me/session", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 204
    assert (
        "hmb_session=;" in resp.headers["Set-Cookie"] or "Max-Age=0" in resp.headers["Set-Cookie"]
    )
    assert client.get("/api/v1/me").status_code == 401


def test_logout_is_server_side(app, member_login):
    """A copy of the cookie is useless after logout (the record is revoked)."""
    client = app.test_client()
    _m, csrf = member_login(client)
    cookie = client.get_cookie("hmb_session").value
    client.delete("/api/v1/me/session", headers={"X-CSRF-Token": csrf})
    thief = app.test_client()
    thief.set_cookie("hmb_session", cookie)
    assert thief.get("/api/v1/me").status_code == 401


def test_session_idle_and_absolute_expiry(client, member_login, set_clock):
    start = clock.now()
    set_clock(start)
    member_login(client)
    set_clock(start + timedelta(minutes=29))
    assert client.get("/api/v1/me").status_code == 200  # activity renews the idle timer
    set_clock(start + timedelta(minutes=29 + 29))
    assert client.get("/api/v1/me").status_code == 200
    set_clock(start + timedelta(minutes=29 + 29 + 31))
    assert client.get("/api/v1/me").status_code == 401  # idle 31 minutes


def test_session_absolute_limit(client, member_login, set_clock):
    start = clock.now()
    set_clock(start)
    member_login(client)
    t = start
    while t < start + timedelta(days=7) - timedelta(minutes=20):
        t += timedelta(minutes=20)
        set_clock(t)
        assert client.get("/api/v1/me").status_code == 200
    set_clock(start + timedelta(days=7, minutes=1))
    assert client.get("/api/v1/me").status_code == 401


def test_cookie_attributes(client, member_login, app):
    member_login(client)
    with app.test_request_context():
        from flask import make_response

        from app.auth import sessions

        response = make_response("")
        sessions.set_cookie(response, "member", "tok")
        header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # development; production: Secure + __Host- prefix


def test_production_cookie_uses_the_host_prefix(monkeypatch):
    import base64
    import os

    from flask import make_response

    from app import create_app
    from app.auth import sessions

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("PII_KEYS", "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("PII_INDEX_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("DEV_STANDINS", raising=False)
    prod = create_app({"DATABASE_URL": "sqlite://"})
    with prod.test_request_context():
        response = make_response("")
        sessions.set_cookie(response, "member", "tok")
        header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-hmb_session=tok")
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
    assert "Domain" not in header
    assert "standins" not in prod.blueprints  # stand-ins never mount in production
