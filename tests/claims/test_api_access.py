"""Another member's claim, document, person or message is 404 on every member endpoint, and
nothing changes; logged out is 401; writes need the CSRF token."""

from __future__ import annotations

import pytest

from tests.claims.conftest import DEFAULT_EXPENSES, jpeg, stored_files

NEW_FILE = jpeg(777)

# (method, url, body kind): {claim}, {doc}, {person} are the owner's
ENDPOINTS = [
    ("GET", "/api/v1/claims/{claim}", None),
    ("PATCH", "/api/v1/claims/{claim}", "patch"),
    ("POST", "/api/v1/claims/{claim}/documents?kind=invoice&filename=a.jpg", "file"),
    ("DELETE", "/api/v1/claims/{claim}/documents/{doc}", None),
    ("GET", "/api/v1/claims/{claim}/documents/{doc}/file", None),
    ("GET", "/api/v1/claims/{claim}/documents/{doc}/file?variant=thumbnail", None),
    ("POST", "/api/v1/claims/{claim}/submit", "empty"),
    ("POST", "/api/v1/claims/{claim}/withdraw", "empty"),
    ("POST", "/api/v1/claims/estimate", "estimate"),
    ("POST", "/api/v1/claims", "create"),
]
IDS = [f"{m} {u.split('?')[0].removeprefix('/api/v1/claims')}" for m, u, _ in ENDPOINTS]


def request_kwargs(kind, insured):
    if kind == "patch":
        return {"json": {"hospital": "别人的医院"}}
    if kind == "file":
        return {"data": NEW_FILE, "content_type": "image/jpeg"}
    if kind == "empty":
        return {"json": {}}
    if kind == "estimate":
        return {
            "json": {
                "person_id": insured.person(),
                "claim_type": "hospital",
                "expenses": DEFAULT_EXPENSES,
            }
        }
    if kind == "create":
        claim = insured.new().get_json()  # the owner's draft, for valid dates
        return {
            "json": {
                "person_id": insured.person(),
                "claim_type": "hospital",
                "service_start": claim["service_start"],
                "service_end": claim["service_end"],
                "expenses": DEFAULT_EXPENSES,
            }
        }
    return {}


@pytest.fixture
def owners_draft(insured):
    """A draft of the owner with every hospital document, ready to submit."""
    claim_id = insured.new().get_json()["id"]
    insured.upload_all(claim_id)
    claim = insured.get(claim_id).get_json()
    return claim


@pytest.mark.parametrize(("method", "url", "kind"), ENDPOINTS, ids=IDS)
def test_another_members_claim_is_404(
    insured, owners_draft, other_member, document_dir, method, url, kind
):
    claim = owners_draft
    files_before = stored_files(document_dir)
    kwargs = request_kwargs(kind, insured)
    owners_claims = insured.client.get("/api/v1/claims").get_json()["items"]
    target = url.format(claim=claim["id"], doc=claim["documents"][0]["id"])
    resp = other_member.call(method, target, **kwargs)
    assert resp.status_code == 404, resp.get_json()
    assert resp.get_json()["error"] in {"claim_not_found", "person_not_found"}
    # nothing changed for the owner, nothing was stored
    after = insured.get(claim["id"]).get_json()
    assert after["status"] == "draft"
    assert after["hospital"] == claim["hospital"]
    assert after["documents"] == claim["documents"]
    assert insured.client.get("/api/v1/claims").get_json()["items"] == owners_claims
    assert other_member.client.get("/api/v1/claims").get_json()["items"] == []
    assert stored_files(document_dir) == files_before


@pytest.mark.parametrize(("method", "url", "kind"), ENDPOINTS, ids=IDS)
def test_logged_out_is_401(app, insured, owners_draft, method, url, kind):
    claim = owners_draft
    kwargs = request_kwargs(kind, insured)
    target = url.format(claim=claim["id"], doc=claim["documents"][0]["id"])
    resp = app.test_client().open(target, method=method, **kwargs)
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "login_required"
    assert insured.get(claim["id"]).get_json()["status"] == "draft"


@pytest.mark.parametrize(
    ("method", "url", "kind"),
    [e for e in ENDPOINTS if e[0] != "GET"],
    ids=[i for i, e in zip(IDS, ENDPOINTS, strict=True) if e[0] != "GET"],
)
def test_writes_need_the_csrf_token(insured, owners_draft, document_dir, method, url, kind):
    claim = owners_draft
    files_before = stored_files(document_dir)
    kwargs = request_kwargs(kind, insured)
    target = url.format(claim=claim["id"], doc=claim["documents"][0]["id"])
    resp = insured.client.open(target, method=method, **kwargs)
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "csrf_failed"
    after = insured.get(claim["id"]).get_json()
    assert after["status"] == "draft"
    assert after["documents"] == claim["documents"]
    assert stored_files(document_dir) == files_before


def test_other_members_claims_are_not_listed(insured, owners_draft, other_member):
    assert [c["id"] for c in insured.client.get("/api/v1/claims").get_json()["items"]] == [
        owners_draft["id"]
    ]
    assert other_member.client.get("/api/v1/claims").get_json()["items"] == []
    options = other_member.client.get("/api/v1/claims/options").get_json()
    assert options["persons"] == []


def test_a_document_of_another_claim_is_404(insured):
    """The member's own two claims: a document id only works under its own claim."""
    first = insured.new().get_json()["id"]
    second = insured.new().get_json()["id"]
    doc = insured.upload(first, "invoice", jpeg(31)).get_json()
    assert insured.file(first, doc["id"]).status_code == 200
    for resp in (
        insured.file(second, doc["id"]),
        insured.file(second, doc["id"], "thumbnail"),
        insured.delete_document(second, doc["id"]),
    ):
        assert resp.status_code == 404
        assert resp.get_json()["error"] == "document_not_found"
    assert [d["id"] for d in insured.get(first).get_json()["documents"]] == [doc["id"]]


def test_another_members_message_is_404(insured, other_member):
    claim_id = insured.new().get_json()["id"]
    assert insured.withdraw(claim_id).status_code == 200
    message = insured.messages()[0]
    resp = other_member.call("POST", f"/api/v1/me/messages/{message['id']}/read", json={})
    assert resp.status_code == 404
    assert insured.messages()[0]["read_at"] is None
    assert insured.unread() == 1
    assert other_member.client.get("/api/v1/me/messages").get_json()["items"] == []
    assert other_member.client.get("/api/v1/me/messages/unread").get_json() == {"unread": 0}
    # read-all of the other member touches only their own messages
    other_member.call("POST", "/api/v1/me/messages/read-all", json={})
    assert insured.unread() == 1


def test_another_members_policy_cannot_be_named(insured, other_member):
    """A claim for the owner's person via the owner's policy id is refused to anyone else,
    and the owner cannot name a policy of a person that is not theirs."""
    policy_id = insured.by_relation["self"]["id"]
    resp = other_member.call(
        "POST",
        "/api/v1/claims/estimate",
        json={
            "person_id": insured.person(),
            "policy_id": policy_id,
            "claim_type": "hospital",
            "expenses": DEFAULT_EXPENSES,
        },
    )
    assert resp.status_code == 404
    resp = insured.estimate(policy_id=insured.by_relation["spouse"]["id"])
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "no_policy"
