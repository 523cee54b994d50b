"""GET/POST /api/v1/me/messages…: the member's message centre through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.notifications import service
from app.rules.terms import Text

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def put(app, session, set_clock):
    """put(member, i) -> a message posted at T0 + i minutes, in the test's session (the
    delivery is not the subject here: the app context ends without running it)."""

    def make(member, i=0, claim_id=None):
        set_clock(T0 + timedelta(minutes=i))
        with app.app_context():  # post_message queues its delivery in `g`: dropped here
            return service.post_message(
                session,
                member_id=member.id,
                kind="claim_status",
                claim_id=claim_id,
                title=Text(zh=f"标题{i}", en=f"Title {i}"),
                body=Text(zh=f"正文{i}", en=f"Body {i}"),
            )

    return make


def test_anonymous_is_refused(client):
    for method, url in [
        ("get", "/api/v1/me/messages"),
        ("get", "/api/v1/me/messages/unread"),
        ("post", "/api/v1/me/messages/01ABC/read"),
        ("post", "/api/v1/me/messages/read-all"),
    ]:
        resp = getattr(client, method)(url)
        assert resp.status_code == 401, url
        assert resp.get_json()["error"] == "login_required"


def test_list_shape_order_and_pages(client, member_login, put):
    member, _csrf = member_login(client)
    rows = [put(member, i) for i in range(3)]
    resp = client.get("/api/v1/me/messages?page=1&per_page=2")
    assert resp.status_code == 200
    body = resp.get_json()
    assert {k: body[k] for k in ("unread", "page", "per_page", "total")} == {
        "unread": 3,
        "page": 1,
        "per_page": 2,
        "total": 3,
    }
    assert [m["id"] for m in body["items"]] == [rows[2].id, rows[1].id]
    assert body["items"][0] == {
        "id": rows[2].id,
        "kind": "claim_status",
        "claim_id": None,
        "title": {"zh": "标题2", "en": "Title 2"},
        "body": {"zh": "正文2", "en": "Body 2"},
        "created_at": "2026-11-23T02:02:00+00:00",
        "read_at": None,
    }
    page2 = client.get("/api/v1/me/messages?page=2&per_page=2").get_json()
    assert [m["id"] for m in page2["items"]] == [rows[0].id]
    default = client.get("/api/v1/me/messages").get_json()
    assert (default["page"], default["per_page"], len(default["items"])) == (1, 20, 3)


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=0", "page=x", "per_page=2.5"]
)
def test_bad_paging_is_422(client, member_login, query):
    member_login(client)
    resp = client.get(f"/api/v1/me/messages?{query}")
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "validation_error"


def test_unread_mark_read_and_read_all(client, member_login, put, set_clock):
    member, csrf = member_login(client)
    first, second, third = (put(member, i) for i in range(3))
    headers = {"X-CSRF-Token": csrf}
    assert client.get("/api/v1/me/messages/unread").get_json() == {"unread": 3}

    set_clock(T0 + timedelta(hours=1))
    resp = client.post(f"/api/v1/me/messages/{second.id}/read", headers=headers)
    assert resp.status_code == 200
    assert resp.get_json()["id"] == second.id
    assert resp.get_json()["read_at"] == "2026-11-23T03:00:00+00:00"
    set_clock(T0 + timedelta(hours=2))
    again = client.post(f"/api/v1/me/messages/{second.id}/read", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["read_at"] == "2026-11-23T03:00:00+00:00"  # unchanged
    assert client.get("/api/v1/me/messages/unread").get_json() == {"unread": 2}

    resp = client.post("/api/v1/me/messages/read-all", headers=headers)
    assert resp.status_code == 200
    assert resp.get_json() == {"unread": 0}
    items = client.get("/api/v1/me/messages").get_json()["items"]
    assert {m["id"]: m["read_at"] for m in items} == {
        first.id: "2026-11-23T04:00:00+00:00",
        second.id: "2026-11-23T03:00:00+00:00",
        third.id: "2026-11-23T04:00:00+00:00",
    }
    assert client.post("/api/v1/me/messages/read-all", headers=headers).get_json() == {"unread": 0}


def test_writes_need_the_csrf_token(client, member_login, put):
    member, _csrf = member_login(client)
    row = put(member)
    assert client.post(f"/api/v1/me/messages/{row.id}/read").status_code == 403
    assert client.post("/api/v1/me/messages/read-all").status_code == 403
    assert client.get("/api/v1/me/messages/unread").get_json() == {"unread": 1}


def test_another_members_message_is_404(app, client, member_login, put):
    other_client = app.test_client()
    other, _ = member_login(other_client, nickname="别人")
    theirs = put(other)
    _member, csrf = member_login(client)
    headers = {"X-CSRF-Token": csrf}

    resp = client.post(f"/api/v1/me/messages/{theirs.id}/read", headers=headers)
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "message_not_found"
    assert client.post("/api/v1/me/messages/NOSUCHMESSAGE/read", headers=headers).status_code == 404
    assert client.get("/api/v1/me/messages").get_json()["items"] == []
    assert client.post("/api/v1/me/messages/read-all", headers=headers).get_json() == {"unread": 0}
    # theirs is still unread
    assert other_client.get("/api/v1/me/messages/unread").get_json() == {"unread": 1}
