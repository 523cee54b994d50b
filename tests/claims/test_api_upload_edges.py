"""Upload edges the refusal tests do not reach: a declared length over the limit is refused
with not one body byte read, a failure at COMMIT time (after the view returned) leaves
neither the file nor the row, the served name's extension is the stored type's, and a PDF
with too many pages is a 422 (a count, not a byte size)."""

from __future__ import annotations

import dataclasses
import io
from urllib.parse import quote

import pytest
from flask import g
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.claims.models import ClaimDocument
from app.core import db as core_db
from app.documents import MAX_DOCUMENT_BYTES
from tests.claims.conftest import jpeg, post_file, stored_files
from tests.documents.helpers import encode, halves, pdf


def rows(session, claim_id):
    return session.scalar(
        select(func.count()).select_from(ClaimDocument).where(ClaimDocument.claim_id == claim_id)
    )


@pytest.fixture
def max_bytes(app, monkeypatch):
    """max_bytes(n): the app's per-file limit for this test."""

    def _set(limit):
        settings = app.extensions["settings"]
        monkeypatch.setitem(
            app.extensions, "settings", dataclasses.replace(settings, document_max_bytes=limit)
        )

    return _set


# --- 413 before a byte is read ----------------------------------------------------------------


class CountingInput(io.RawIOBase):
    """A `wsgi.input` of `total` bytes (`head`, then zeros made on demand) that counts every
    byte it hands out, whichever read method is used."""

    def __init__(self, head: bytes, total: int) -> None:
        self.head = head
        self.total = total
        self.pos = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.total - self.pos)
        if n <= 0:
            return 0
        start, end = self.pos, self.pos + n
        chunk = self.head[start:end]
        chunk += b"\x00" * (n - len(chunk))
        buffer[:n] = chunk
        self.pos = end
        self.bytes_read += n
        return n


def post_counted(insured, claim_id, stream, declared):
    """The upload driven through the WSGI app with `stream` as wsgi.input and `declared`
    as CONTENT_LENGTH (set in the environ, so the test client does not measure the stream)."""
    return insured.client.post(
        f"/api/v1/claims/{claim_id}/documents?kind=invoice&filename=a.jpg",
        content_type="image/jpeg",
        headers={"X-CSRF-Token": insured.family.csrf},
        environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(declared)},
    )


@pytest.mark.parametrize(
    "over", [pytest.param(1, id="one-over"), pytest.param(10**9, id="far-over")]
)
@pytest.mark.parametrize(
    "limit",
    [pytest.param(None, id="default-15-MB"), pytest.param(4096, id="small-setting")],
)
def test_declared_length_over_the_limit_is_413_with_zero_bytes_read(
    insured, draft, session, document_dir, max_bytes, limit, over
):
    """Far over the limit, werkzeug's own guard would answer a bare 413 on first touch of
    the stream: the document error (413 too_large) comes first, the stream untouched."""
    if limit is not None:
        max_bytes(limit)
    limit = limit or MAX_DOCUMENT_BYTES
    declared = limit + over
    stream = CountingInput(jpeg(40), declared)  # the zeros after the JPEG are made on demand
    before = stored_files(document_dir)
    resp = post_counted(insured, draft, stream, declared)
    assert resp.status_code == 413, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "too_large"
    assert body["message_zh"]
    assert stream.bytes_read == 0
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0


def test_the_counting_input_counts_a_body_that_is_read(insured, draft, session):
    """The control: under the limit the same input is read to its end and stored."""
    data = jpeg(41)
    stream = CountingInput(data, len(data))
    resp = post_counted(insured, draft, stream, len(data))
    assert resp.status_code == 201, resp.get_json()
    assert stream.bytes_read == len(data)
    assert rows(session, draft) == 1


# --- a failure at commit time -----------------------------------------------------------------


class CommitFails(RuntimeError):
    pass


@pytest.fixture
def fail_request_commit(app, monkeypatch):
    """Make the next commit of a request's session raise (as a deferred constraint or a lost
    connection would), after the view has returned its 201. Records, at the moment the
    outside writes are undone, whether the request's transaction was still open."""
    state = {"armed": False, "failed": 0, "open_during_undo": []}

    def before_commit(sess):
        if state["armed"] and sess is g.get("db_session"):
            state["armed"] = False
            state["failed"] += 1
            raise CommitFails("commit refused")

    original_undo = core_db._undo_outside_writes

    def undo():
        request_session = g.get("db_session")
        if request_session is not None:
            state["open_during_undo"].append(request_session.in_transaction())
        original_undo()

    monkeypatch.setattr(core_db, "_undo_outside_writes", undo)
    # the error page (500) instead of the exception raised into the test
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    event.listen(Session, "before_commit", before_commit)

    def arm():
        state["armed"] = True
        return state

    yield arm
    event.remove(Session, "before_commit", before_commit)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        # content no other test stores (files outlive the tests' rolled-back rows)
        pytest.param(jpeg(42, size=(61, 47)), "invoice.jpg", id="jpeg-and-thumbnail"),
        pytest.param(pdf(2, size=(611, 791)), "invoice.pdf", id="pdf"),
    ],
)
def test_a_failed_commit_leaves_neither_file_nor_row(
    insured, draft, session, document_dir, fail_request_commit, data, filename
):
    before = stored_files(document_dir)
    state = fail_request_commit()
    resp = post_file(insured, draft, data, filename=filename)
    assert state["failed"] == 1
    assert resp.status_code == 500
    assert resp.get_json()["error"] == "internal_error"
    # the transaction was rolled back before the file was removed (the removal's own
    # session would otherwise wait on the request's locks, or see its row)
    assert state["open_during_undo"] and not any(state["open_during_undo"])
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0
    assert insured.get(draft).get_json()["documents"] == []
    # nothing half-done is left behind: the same file uploads again, for real
    again = post_file(insured, draft, data, filename=filename)
    assert again.status_code == 201, again.get_json()
    assert rows(session, draft) == 1
    assert stored_files(document_dir) > before


def test_a_failed_commit_keeps_a_file_another_document_uses(
    insured, draft, session, document_dir, fail_request_commit
):
    """The same photo already on another claim: the failed upload must not delete it."""
    other = insured.new().get_json()["id"]
    data = jpeg(43)
    assert post_file(insured, other, data).status_code == 201
    before = stored_files(document_dir)
    fail_request_commit()
    assert post_file(insured, draft, data).status_code == 500
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0
    served = insured.client.get(insured.get(other).get_json()["documents"][0]["url"])
    assert served.status_code == 200


# --- the served name follows the stored type --------------------------------------------------


def disposition(resp):
    kind, _, rest = resp.headers["Content-Disposition"].partition("; ")
    params = dict(p.split("=", 1) for p in rest.split("; "))
    return kind, params["filename"].strip('"'), params["filename*"]


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "ascii_name", "utf8_name", "kind"),
    [
        pytest.param(
            encode(halves(), "HEIF"),
            "IMG_0001.HEIC",
            "image/jpeg",
            "IMG_0001.jpg",
            "IMG_0001.jpg",
            "inline",
            id="heic-served-as-jpg",
        ),
        pytest.param(
            encode(halves(), "HEIF"),
            "发票.heif",
            "image/jpeg",
            "__.jpg",
            quote("发票.jpg"),
            "inline",
            id="heic-unicode-name",
        ),
        pytest.param(
            encode(halves(), "PNG"),
            "scan.JPEG",
            "image/png",
            "scan.png",
            "scan.png",
            "inline",
            id="png-named-jpeg",
        ),
        pytest.param(
            jpeg(44), "invoice", "image/jpeg", "invoice.jpg", "invoice.jpg", "inline", id="no-ext"
        ),
        pytest.param(
            pdf(1),
            "出院小结.2024",
            "application/pdf",
            "____.2024.pdf",
            quote("出院小结.2024.pdf"),
            "attachment",
            id="pdf-other-suffix-kept",
        ),
    ],
)
def test_served_name_has_the_stored_types_extension(
    insured, draft, reviewer, data, filename, content_type, ascii_name, utf8_name, kind
):
    doc = post_file(insured, draft, data, filename=filename, content_type="text/html")
    assert doc.status_code == 201, doc.get_json()
    doc = doc.get_json()
    assert doc["content_type"] == content_type
    assert doc["filename"] == filename  # the name as uploaded is still what the API shows
    insured.upload_all(draft, seed=7)  # staff see filed claims only
    assert insured.submit(draft).status_code == 200
    staff_url = f"/api/v1/staff/claims/{draft}/documents/{doc['id']}/file"
    for resp in (insured.client.get(doc["url"]), reviewer.get(staff_url)):
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == content_type
        assert disposition(resp) == (kind, ascii_name, f"UTF-8''{utf8_name}")
    if doc["thumbnail_url"]:
        thumb = insured.client.get(doc["thumbnail_url"])
        assert thumb.status_code == 200
        assert thumb.headers["Content-Type"] == "image/jpeg"
        assert disposition(thumb)[1] == "thumb-" + ascii_name.rsplit(".", 1)[0] + ".jpg"


def test_an_unexpected_stored_type_is_a_download(insured, draft, session):
    """A row whose type is not one we serve (never written by an upload) is sent as
    application/octet-stream, as an attachment, named .bin: never shown in the page."""
    doc = post_file(insured, draft, jpeg(45), filename="IMG_0002.HEIC").get_json()
    session.execute(
        update(ClaimDocument).where(ClaimDocument.id == doc["id"]).values(content_type="text/html")
    )
    session.flush()
    resp = insured.client.get(doc["url"])
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert disposition(resp) == ("attachment", "IMG_0002.bin", "UTF-8''IMG_0002.bin")


# --- too many pages ---------------------------------------------------------------------------


def test_a_pdf_over_200_pages_is_422_too_many_pages(insured, draft, session, document_dir):
    before = stored_files(document_dir)
    resp = post_file(insured, draft, pdf(201), filename="bills.pdf", content_type="application/pdf")
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "too_many_pages"
    assert "200" in body["message"] and "200" in body["message_zh"]
    assert stored_files(document_dir) == before
    assert rows(session, draft) == 0
    ok = post_file(insured, draft, pdf(200), filename="bills.pdf", content_type="application/pdf")
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["pages"] == 200
