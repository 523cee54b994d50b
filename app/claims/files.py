"""Serving and receiving claim files over HTTP (shared by the member and staff routes)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request

from app.claims import service
from app.claims.models import Claim, ClaimDocument
from app.documents import Storage, check_size
from app.documents.storage import DocumentNotStored, key_for

SERVED_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
INLINE_TYPES = frozenset({"image/jpeg", "image/png"})
# the served name's extension is the stored type's (a HEIC upload is stored, and served, as JPEG)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
}
# extensions an upload's name may carry that the served name replaces rather than keeps
_UPLOAD_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".heic", ".heif", ".hif", ".pdf", ".bin"}
)

UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/heic": {"schema": {"type": "string", "format": "binary"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

FILE_DOC: dict[str, Any] = {
    "responses": {
        "200": {
            "description": (
                "The file (images inline, PDFs as attachments), named with the extension "
                "of the stored type."
            ),
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


def served_name(name: str, content_type: str) -> str:
    """`name` with the extension of `content_type`: a photo's or PDF's own extension
    (IMG_0001.HEIC -> IMG_0001.jpg) is replaced; any other suffix is kept and the right
    extension appended (scan.2024 -> scan.2024.pdf)."""
    stem, ext = os.path.splitext(name)
    if stem and ext.lower() in _UPLOAD_EXTENSIONS:
        name = stem
    return name + EXTENSIONS[content_type]


def storage() -> Storage:
    found: Storage = current_app.extensions["document_storage"]
    return found


def receive(
    db: Any, claim: Claim, kind: str, filename: str | None, uploaded_by: str
) -> service.Upload:
    """The request body is the file. A declared length over the limit is refused (413)
    before a byte is read; without a length, reading stops at the limit."""
    settings = current_app.extensions["settings"]
    # answer an over-long declared length with the document error (413 too_large) before
    # the stream is touched: werkzeug would refuse it with a generic 413 on first access
    check_size(request.content_length, settings.document_max_bytes)
    request.max_content_length = settings.document_max_bytes + 1
    return service.add_document(
        db,
        storage(),
        claim,
        kind=kind,
        filename=filename,
        stream=request.stream,
        declared_length=request.content_length,
        max_bytes=settings.document_max_bytes,
        max_documents=settings.documents_per_claim,
        uploaded_by=uploaded_by,
    )


def send(doc: ClaimDocument, variant: str | None) -> Response:
    """The stored bytes with a fixed, safe content type: never sniffed, never run."""
    thumb = variant == "thumbnail"
    sha = doc.thumbnail_sha256 if thumb else doc.sha256
    if sha is None:
        raise service.DocumentNotFound("This document has no thumbnail.", "该材料没有缩略图。")
    try:
        data = storage().get(key_for(sha))
    except DocumentNotStored as exc:
        raise service.DocumentNotFound("The file is not available.", "文件暂时无法获取。") from exc
    content_type = "image/jpeg" if thumb else doc.content_type
    if content_type not in SERVED_TYPES:
        content_type = "application/octet-stream"
    # only the stored images are shown in the page; a PDF or anything unexpected is a download
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    name = served_name(("thumb-" if thumb else "") + (doc.filename or doc.id), content_type)
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
