"""Staff accounts: password + TOTP login, roles, separate sessions, rate limit."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.staff import passwords


def login(client, username, password, secret, at=None):
    code = passwords.totp_at(secret, passwords.totp_step((at or clock.now()).timestamp()))
    return client.post(
        "/api/v1/staff/session", json={"username": username, "password": password, "totp": code}
    )


def test_staff_login_and_me(client, staff_user):
    _user, password, secret = staff_user("rev.one", ["reviewer"])
    resp = login(client, "rev.one", password, secret)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["staff"]["roles"] == ["reviewer"]
    me = client.get("/api/v1/staff/me").get_json()
    assert me["staff"]["username"] == "rev.one"
    # the staff session is not a member session
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_or_code_is_one_answer(client, staff_user):
    staff_user("rev.two", ["reviewer"])
    bad_password = client.post(
        "/api/v1/staff/session",
        json={"username": "rev.two", "password": "nope-nope-nope", "totp": "000000"},
    )
    unknown = client.post(
        "/api/v1/staff/session", json={"username": "ghost", "password": "x" * 12, "totp": "1"}
    )
    for resp in (bad_password, unknown):
        assert resp.status_code == 401
        assert resp.get_json()["error"] == "staff_login_failed"


def test_totp_code_cannot_be_replayed(client, staff_user, set_clock):
    now = clock.now()
    set_clock(now)
    _user, password, secret = staff_user("rev.three", ["reviewer"])
    assert login(client, "rev.three", password, secret).status_code == 201
    assert login(client, "rev.three", password, secret).status_code == 401
    set_clock(now + timedelta(seconds=30))
    assert login(client, "rev.three", password, secret).status_code == 201


def test_role_refusal_is_403(client, staff_user, roster_person):
    _user, password, secret = staff_user("rev.four", ["reviewer"])
    login(client, "rev.four", password, secret)
    resp = client.get("/api/v1/staff/roster/summary")
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "role_forbidden"


def test_admin_sees_roster_summary(client, staff_user, roster_person):
    from tests.conftest import make_id_number

    roster_person("陈建国", make_id_number("35020319680312101"))
    roster_person("王磊", make_id_number("35020519750101103"), status="suspended")
    _user, password, secret = staff_user("admin.one", ["admin"])
    login(client, "admin.one", password, secret)
    body = client.get("/api/v1/staff/roster/summary").get_json()
    assert body["total"] == 2
    assert body["by_status"]["normal"] == 1 and body["by_status"]["suspended"] == 1


def test_staff_logout_needs_csrf_and_revokes(client, staff_user):
    _user, password, secret = staff_user("rev.five", ["reviewer"])
    csrf = login(client, "rev.five", password, secret).get_json()["csrf_token"]
    assert client.delete("/api/v1/staff/session").status_code == 403
    assert client.delete("/api/v1/staff/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/staff/me").status_code == 401


def test_staff_login_is_rate_limited(client, staff_user):
    _user, _password, _secret = staff_user("rev.six", ["reviewer"])
    statuses = []
    for _ in range(7):
        resp = client.post(
            "/api/v1/staff/session",
            json={"username": "rev.six", "password": "wrong-password!", "totp": "123456"},
        )
        statuses.append(resp.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert resp.get_json()["error"] == "too_many_requests"


def test_cli_creates_staff(app, connection):
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "admin.cli", "--role", "admin", "--password", "a-long-password-1"]
    )
    assert result.exit_code == 0, result.output
    assert "TOTP secret:" in result.output and "otpauth://totp/" in result.output
    short = app.test_cli_runner().invoke(
        args=["staff", "create", "admin.two", "--role", "admin", "--password", "short"]
    )
    assert short.exit_code == 2


def test_password_hash_is_scrypt():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("correct horse batterY", stored)
    assert not passwords.verify_password("x", "garbage")


def test_totp_matches_rfc6238_vector():
    # RFC 6238 appendix B, SHA1, secret "12345678901234567890", T = 59 s -> 94287082 (8 digits)
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert passwords.totp_at(secret, 1) == "287082"  # last 6 digits of 94287082
