"""Claim documents through the API: every refusal stores nothing (no file, no row), the same
file twice is one document, metadata is gone from stored images, files are served with
safe headers, the checklist decides what is missing, and a photo used in two claims flags
both for reviewers."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from app.claims.models import ClaimDocument
from app.claims.service import has_duplicates
from tests.claims.conftest import HOSPITAL_KINDS, jpeg, post_file, stored_files
from tests.documents.helpers import encode, exif_with_gps, halves, noisy, pdf, png_claiming

HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b'<rect width="10" height="10"/></svg>'
)
TEXT = "发票号码 12345678\n金额 1000.00\n".encode()


def rows(session, claim_id):
    return session.scalar(
        select(func.count()).select_from(ClaimDocument).where(ClaimDocument.claim_id == claim_id)
    )


def decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def limits(app, monkeypatch):
    """limits(max_bytes=..., per_claim=...): the app's document limits for this test."""

    def _set(**values):
        settings = app.extensions["settings"]
        changed = {}
        if "max_bytes" in values:
            changed["document_max_bytes"] = values["max_bytes"]
        if "per_claim" in values:
            changed["documents_per_claim"] = values["per_claim"]
        monkeypatch.setitem(app.extensions, "settings", dataclasses.replace(settings, **changed))

    return _set


# --- refusals: nothing stored -----------------------------------------------------------------

REFUSALS = [
    pytest.param(HTML, "invoice", "photo.jpg", 415, "unsupported_type", id="html-named-jpg"),
    pytest.param(SVG, "invoice", "scan.svg", 415, "unsupported_type", id="svg"),
    pytest.param(TEXT, "invoice", "invoice.txt", 415, "unsupported_type", id="text"),
    pytest.param(encode(halves(), "GIF"), "invoice", "a.gif", 415, "unsupported_type", id="gif"),
    pytest.param(b"", "invoice", "a.jpg", 422, "empty", id="empty"),
    pytest.param(
        encode(noisy(), "JPEG")[:2000], "invoice", "a.jpg", 422, "corrupt", id="truncated-jpeg"
    ),
    pytest.param(
        png_claiming(100_000, 100_000), "invoice", "a.png", 422, "image_too_large", id="bomb"
    ),
    pytest.param(
        pdf(1, password="secret"), "invoice", "a.pdf", 422, "encrypted_pdf", id="encrypted-pdf"
    ),
    pytest.param(b"%PDF-1.7\n%%EOF\n", "invoice", "a.pdf", 422, "corrupt", id="broken-pdf"),
    pytest.param(jpeg(5), "selfie", "a.jpg", 422, "unknown_kind", id="unknown-kind"),
    pytest.param(
        jpeg(6), "prescription", "a.jpg", 422, "unknown_kind", id="kind-of-another-claim-type"
    ),
]


@pytest.mark.parametrize(("data", "kind", "filename", "status", "code"), REFUSALS)
def test_refused_uploads_store_nothing(
    insured, draft, session, document_dir, data, kind, filename, status, code
):
    before = stored_files(document_dir)
    resp = post_file(insured, draft, data, kind=kind, filename=filename)
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert body["error"] == code
    assert body["message_zh"]
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0
    claim = insured.get(draft).get_json()
    assert claim["documents"] == []
    assert claim["missing"] == HOSPITAL_KINDS


def test_declared_length_over_the_default_limit_is_413_before_reading(
    insured, draft, session, document_dir, app
):
    limit = app.extensions["settings"].document_max_bytes
    assert limit == 15 * 1024 * 1024
    body = jpeg(7) + b"\x00" * (limit + 1 - len(jpeg(7)))
    assert len(body) == limit + 1
    before = stored_files(document_dir)
    resp = post_file(insured, draft, body)
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "too_large"
    assert "15 MB" in resp.get_json()["message"]
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0


def test_a_file_above_the_json_body_limit_is_accepted(insured, draft, app):
    """The 1 MB limit of JSON bodies does not apply to documents (15 MB)."""
    size = (900, 700)
    pixels = random.Random(3).randbytes(size[0] * size[1] * 3)
    data = encode(Image.frombytes("RGB", size, pixels), "PNG")
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < 15 * 1024 * 1024
    resp = post_file(insured, draft, data, filename="scan.png", content_type="image/png")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["content_type"] == "image/png"


def test_size_limit_with_a_small_setting(insured, draft, session, document_dir, limits):
    data = jpeg(8)
    limits(max_bytes=len(data) - 1)
    before = stored_files(document_dir)
    resp = post_file(insured, draft, data)
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "too_large"
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0
    limits(max_bytes=len(data))  # exactly the limit is fine
    assert post_file(insured, draft, data).status_code == 201


def test_size_limit_without_a_declared_length(insured, draft, session, document_dir, limits):
    """A chunked body (no Content-Length) is cut off at the limit while reading."""
    data = jpeg(9)
    limits(max_bytes=len(data) - 1)
    before = stored_files(document_dir)
    resp = insured.client.post(
        f"/api/v1/claims/{draft}/documents?kind=invoice",
        input_stream=io.BytesIO(data),
        content_type="image/jpeg",
        headers={"X-CSRF-Token": insured.family.csrf, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert resp.status_code == 413, resp.get_json()
    assert resp.get_json()["error"] == "too_large"
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0


def test_too_many_documents(insured, draft, session, document_dir, limits):
    limits(per_claim=3)
    first = [post_file(insured, draft, jpeg(100 + i)).get_json() for i in range(3)]
    assert all(d["id"] for d in first)
    before = stored_files(document_dir)
    resp = post_file(insured, draft, jpeg(103))
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "too_many_documents"
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 3
    # a retry of a file that is already there still answers with it
    again = post_file(insured, draft, jpeg(101))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first[1]["id"]
    # after deleting one, there is room again
    assert insured.delete_document(draft, first[0]["id"]).status_code == 204
    assert post_file(insured, draft, jpeg(103)).status_code == 201
    assert rows(session, draft) == 3


def test_the_fifty_first_file_is_refused(insured, draft, session, document_dir):
    """The default limit, uploaded for real: 50 tiny, distinct images."""
    for i in range(50):
        resp = post_file(insured, draft, jpeg(1000 + i, size=(8, 8)))
        assert resp.status_code == 201, (i, resp.get_json())
    before = stored_files(document_dir)
    resp = post_file(insured, draft, jpeg(1050, size=(8, 8)))
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "too_many_documents"
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 50


def test_upload_to_a_submitted_claim_is_409(insured, session, document_dir):
    claim = insured.filed()
    before = stored_files(document_dir)
    resp = post_file(insured, claim["id"], jpeg(4444))
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "claim_locked"
    assert stored_files(document_dir) == before
    assert rows(session, claim["id"]) == len(HOSPITAL_KINDS)


def test_a_file_is_removed_when_the_request_fails_after_storing_it(
    insured, draft, session, document_dir, monkeypatch
):
    """The row and the file go together: an error after the write rolls back both."""
    from app.claims import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "document_view", broken)
    before = stored_files(document_dir)
    resp = post_file(insured, draft, jpeg(5151))
    assert resp.status_code == 500
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0


def test_a_failed_request_keeps_a_file_another_document_uses(
    insured, session, document_dir, monkeypatch
):
    from app.claims import views

    first = insured.new().get_json()["id"]
    second = insured.new().get_json()["id"]
    doc = post_file(insured, first, jpeg(5252)).get_json()
    monkeypatch.setattr(views, "document_view", lambda *a, **k: 1 / 0)
    before = stored_files(document_dir)
    assert post_file(insured, second, jpeg(5252)).status_code == 500
    assert stored_files(document_dir) == before
    monkeypatch.undo()
    assert insured.file(first, doc["id"]).status_code == 200


def file_path(document_dir, sha):
    return f"{document_dir}/{sha[:2]}/{sha[2:4]}/{sha}"


def test_a_removed_document_leaves_no_file(insured, draft, session, document_dir):
    doc = post_file(insured, draft, encode(halves((120, 80)), "JPEG", quality=77)).get_json()
    row = session.get(ClaimDocument, doc["id"])
    paths = [file_path(document_dir, row.sha256), file_path(document_dir, row.thumbnail_sha256)]
    assert set(paths) <= stored_files(document_dir)
    assert insured.delete_document(draft, doc["id"]).status_code == 204
    assert not set(paths) & stored_files(document_dir)
    assert rows(session, draft) == 0
    assert insured.file(draft, doc["id"]).status_code == 404


def test_a_removed_document_keeps_a_file_another_claim_uses(insured, draft, session, document_dir):
    other = insured.new("spouse").get_json()["id"]
    data = encode(halves((120, 80)), "JPEG", quality=78)
    doc = post_file(insured, draft, data).get_json()
    kept = post_file(insured, other, data).get_json()
    sha = session.get(ClaimDocument, doc["id"]).sha256
    assert insured.delete_document(draft, doc["id"]).status_code == 204
    assert file_path(document_dir, sha) in stored_files(document_dir)
    assert insured.file(other, kept["id"]).status_code == 200
    assert insured.file(other, kept["id"], "thumbnail").status_code == 200


def test_a_refused_removal_keeps_the_file(insured, reviewer, session, document_dir):
    claim = insured.filed(seed=9)
    doc = claim["documents"][0]
    sha = session.get(ClaimDocument, doc["id"]).sha256
    assert insured.delete_document(claim["id"], doc["id"]).status_code == 409
    assert file_path(document_dir, sha) in stored_files(document_dir)
    assert insured.file(claim["id"], doc["id"]).status_code == 200


# --- the same file twice -----------------------------------------------------------------------


def test_the_same_file_twice_is_one_document(insured, draft, session):
    first = post_file(insured, draft, jpeg(11), kind="invoice")
    assert first.status_code == 201
    second = post_file(insured, draft, jpeg(11), kind="invoice", filename="again.jpg")
    assert second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert rows(session, draft) == 1
    assert [d["id"] for d in insured.get(draft).get_json()["documents"]] == [first.get_json()["id"]]


def test_the_same_file_in_two_claims_is_stored_once(insured, session, document_dir):
    a = insured.new().get_json()["id"]
    b = insured.new().get_json()["id"]
    da = post_file(insured, a, jpeg(12)).get_json()
    before = stored_files(document_dir)
    db_ = post_file(insured, b, jpeg(12))
    assert db_.status_code == 201
    assert db_.get_json()["id"] != da["id"]
    assert stored_files(document_dir) == before  # content-addressed: no second copy


# --- what is stored and how it is served -------------------------------------------------------


def test_exif_and_gps_are_gone_and_orientation_applied(insured, draft, session, document_dir):
    source = encode(halves((200, 100)), "JPEG", quality=95, exif=exif_with_gps(6).tobytes())
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    resp = post_file(insured, draft, source, filename="IMG_0001.jpg")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert (doc["width"], doc["height"]) == (100, 200)
    assert doc["content_type"] == "image/jpeg"
    assert doc["size_bytes"] > 0 and doc["has_thumbnail"] is True

    served = insured.file(draft, doc["id"])
    assert served.status_code == 200
    data = served.data
    assert len(data) == doc["size_bytes"]
    image = decoded(data)
    assert image.size == (100, 200)
    red, blue = image.getpixel((50, 30)), image.getpixel((50, 170))
    assert red[0] > 200 and red[2] < 60  # the left half is now on top: turned clockwise
    assert blue[2] > 200 and blue[0] < 60
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in image.info
    assert b"Exif\x00\x00" not in data and b"PhoneMaker" not in data

    # what is on disk is exactly what is served, stored under its SHA-256
    row = session.scalar(select(ClaimDocument).where(ClaimDocument.id == doc["id"]))
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    path = f"{document_dir}/{row.sha256[:2]}/{row.sha256[2:4]}/{row.sha256}"
    assert path in stored_files(document_dir)
    with open(path, "rb") as f:
        assert f.read() == data

    thumb = insured.client.get(doc["thumbnail_url"])
    assert thumb.status_code == 200
    assert thumb.mimetype == "image/jpeg"
    small = decoded(thumb.data)
    assert max(small.size) <= 320
    assert not small.getexif()
    assert b"PhoneMaker" not in thumb.data


def test_large_photos_get_a_small_thumbnail(insured, draft):
    doc = post_file(insured, draft, encode(halves((1200, 900)), "JPEG")).get_json()
    thumb = insured.file(draft, doc["id"], "thumbnail")
    assert thumb.status_code == 200
    assert decoded(thumb.data).size == (320, 240)
    assert insured.file(draft, doc["id"], "original").status_code == 200
    bad = insured.file(draft, doc["id"], "huge")
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "disposition"),
    [
        pytest.param(jpeg(21), "发票.jpg", "image/jpeg", "inline", id="jpeg"),
        pytest.param(encode(halves(), "PNG"), "scan.png", "image/png", "inline", id="png"),
        pytest.param(encode(halves(), "HEIF"), "IMG.HEIC", "image/jpeg", "inline", id="heic"),
        pytest.param(pdf(2), "出院小结.pdf", "application/pdf", "attachment", id="pdf"),
    ],
)
def test_serving_headers(insured, draft, reviewer, data, filename, content_type, disposition):
    doc = post_file(insured, draft, data, filename=filename, content_type="text/html").get_json()
    assert doc["content_type"] == content_type
    insured.upload_all(draft, [k for k in HOSPITAL_KINDS if k != "invoice"], seed=8)
    assert insured.submit(draft).status_code == 200  # staff see filed claims only
    staff_url = f"/api/v1/staff/claims/{draft}/documents/{doc['id']}/file"
    for resp in (insured.client.get(doc["url"]), reviewer.get(staff_url)):
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == content_type
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        cd = resp.headers["Content-Disposition"]
        assert cd.startswith(f"{disposition}; ")
        assert "filename*=UTF-8''" in cd
        assert "\n" not in cd and "\r" not in cd
        assert "sandbox" in resp.headers["Content-Security-Policy"]
        assert "no-store" in resp.headers["Cache-Control"]
    if content_type == "application/pdf":
        assert doc["pages"] == 2
        assert doc["thumbnail_url"] is None
        assert insured.file(draft, doc["id"], "thumbnail").status_code == 404
        assert insured.client.get(doc["url"]).data == data  # PDFs are kept as uploaded


@pytest.mark.parametrize(
    "filename",
    ['a"; filename="evil.html', "x\r\nSet-Cookie: a=b.jpg", "../../etc/passwd", "<script>.jpg"],
)
def test_hostile_file_names_are_harmless(insured, draft, filename):
    from urllib.parse import quote

    resp = insured.client.post(
        f"/api/v1/claims/{draft}/documents?kind=invoice&filename={quote(filename)}",
        data=jpeg(22),
        content_type="image/jpeg",
        headers={"X-CSRF-Token": insured.family.csrf},
    )
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    for bad in ('"', "/", "\\", "<", ">", "\r", "\n"):
        assert bad not in doc["filename"]
    served = insured.client.get(doc["url"])
    assert served.status_code == 200
    cd = served.headers["Content-Disposition"]
    assert cd.count('"') == 2
    assert "Set-Cookie" not in served.headers
    assert "\r" not in cd and "\n" not in cd


def test_members_do_not_see_other_claims_behind_duplicates(insured, draft):
    post_file(insured, draft, jpeg(23))
    other = insured.new().get_json()["id"]
    doc = post_file(insured, other, jpeg(23)).get_json()
    assert "duplicate_of" not in doc
    mine = insured.get(other).get_json()
    assert "duplicate_flag" not in mine
    assert all("duplicate_of" not in d for d in mine["documents"])


# --- the checklist -----------------------------------------------------------------------------


def test_missing_documents_refuse_the_submit(insured, draft):
    resp = insured.submit(draft)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "documents_missing"
    assert body["errors"]["missing"] == HOSPITAL_KINDS
    assert "医疗费用发票" in body["message_zh"]
    for seed, kind in enumerate(("id_card", "invoice", "discharge_summary")):
        assert post_file(insured, draft, jpeg(300 + seed), kind=kind).status_code == 201
    resp = insured.submit(draft)
    assert resp.status_code == 422
    left = ["bmi_settlement", "expense_itemisation", "payee_bank_card"]
    assert resp.get_json()["errors"]["missing"] == left
    claim = insured.get(draft).get_json()
    assert claim["status"] == "draft"
    assert claim["missing"] == left
    assert {i["kind"]: i["count"] for i in claim["checklist"]}["invoice"] == 1
    assert claim["timeline"] == []


def test_deleting_a_required_document_makes_it_missing_again(insured, draft):
    insured.upload_all(draft)
    claim = insured.get(draft).get_json()
    assert claim["missing"] == []
    invoice = next(d for d in claim["documents"] if d["kind"] == "invoice")
    assert insured.delete_document(draft, invoice["id"]).status_code == 204
    assert insured.get(draft).get_json()["missing"] == ["invoice"]
    resp = insured.submit(draft)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["missing"] == ["invoice"]


def test_a_minors_claim_also_needs_the_guardian_documents(insured_with_son):
    insured = insured_with_son
    options = insured.client.get("/api/v1/claims/options").get_json()
    son = next(p for p in options["persons"] if p["relation"] == "child")
    assert son["minor"] is True
    adult = next(p for p in options["persons"] if p["relation"] == "self")
    assert adult["minor"] is False

    claim = insured.new("child").get_json()
    assert claim["missing"] == [*HOSPITAL_KINDS, "guardian_id", "relationship_proof"]
    assert [i["kind"] for i in claim["checklist"]][-2:] == ["guardian_id", "relationship_proof"]
    insured.upload_all(claim["id"])
    resp = insured.submit(claim["id"])
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["missing"] == ["guardian_id", "relationship_proof"]
    insured.upload_all(claim["id"], ["guardian_id", "relationship_proof"], seed=7)
    resp = insured.submit(claim["id"])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "submitted"
    # an adult's claim does not list them
    adult_claim = insured.new("self").get_json()
    assert "guardian_id" not in [i["kind"] for i in adult_claim["checklist"]]


# --- duplicates across claims ------------------------------------------------------------------


def test_the_same_photo_in_two_members_claims_flags_both(insured_pair, reviewer, session):
    mine, theirs = insured_pair
    photo = encode(noisy((300, 200), seed=99), "JPEG")
    a = mine.new().get_json()["id"]
    b = theirs.new().get_json()["id"]
    mine.upload_all(a, seed=1)
    theirs.upload_all(b, [k for k in HOSPITAL_KINDS if k != "invoice"], seed=2)
    assert post_file(mine, a, photo, kind="expense_itemisation").status_code == 201
    assert post_file(theirs, b, photo, kind="invoice").status_code == 201
    assert mine.submit(a).status_code == 200
    assert theirs.submit(b).status_code == 200
    # and an unrelated claim without duplicates
    c = mine.filed("spouse", seed=3)["id"]

    flagged = reviewer.queue("?duplicate=true").get_json()
    assert {i["id"] for i in flagged["items"]} == {a, b}
    assert all(i["duplicate_flag"] for i in flagged["items"])
    clean = reviewer.queue("?duplicate=false").get_json()
    assert [i["id"] for i in clean["items"]] == [c]

    detail_a = reviewer.claim(a).get_json()
    detail_b = reviewer.claim(b).get_json()
    assert detail_a["duplicate_flag"] is True and detail_b["duplicate_flag"] is True
    number = {a: detail_a["claim_number"], b: detail_b["claim_number"]}
    dup_a = [d for d in detail_a["documents"] if d["duplicate_of"]]
    dup_b = [d for d in detail_b["documents"] if d["duplicate_of"]]
    assert [(d["kind"], d["duplicate_of"]) for d in dup_a] == [
        ("expense_itemisation", [{"claim_id": b, "claim_number": number[b]}])
    ]
    assert [(d["kind"], d["duplicate_of"]) for d in dup_b] == [
        ("invoice", [{"claim_id": a, "claim_number": number[a]}])
    ]
    assert all(d["url"].startswith("/api/v1/staff/claims/") for d in detail_a["documents"])
    assert has_duplicates(session, c) is False


def test_flags_follow_filed_claims_and_removals(insured, reviewer, session):
    """The flag is computed when read: a draft holding a filed claim's file flags nothing
    that staff see until it is filed; removing the shared file clears both."""
    a = insured.filed(seed=5)["id"]  # holds jpeg(500) as its id_card
    b = insured.new("spouse").get_json()["id"]
    shared = post_file(insured, b, jpeg(500), kind="id_card").get_json()
    insured.upload_all(b, [k for k in HOSPITAL_KINDS if k != "id_card"], seed=6)
    assert has_duplicates(session, a) is False  # b is still a draft
    assert reviewer.queue("?duplicate=true").get_json()["items"] == []

    assert insured.submit(b).status_code == 200
    assert has_duplicates(session, a) and has_duplicates(session, b)
    flagged = reviewer.queue("?duplicate=true").get_json()["items"]
    assert {i["id"] for i in flagged} == {a, b}

    # the reviewer asks b for a new ID card photo; the member removes the shared one
    assert reviewer.act(b, "start-review").status_code == 200
    asked = reviewer.act(b, "request-info", {"kinds": ["id_card"], "note": "请重拍"})
    assert asked.status_code == 200
    assert insured.delete_document(b, shared["id"]).status_code == 204
    assert not has_duplicates(session, a) and not has_duplicates(session, b)
    assert reviewer.queue("?duplicate=true").get_json()["items"] == []
    assert reviewer.claim(a).get_json()["duplicate_flag"] is False
