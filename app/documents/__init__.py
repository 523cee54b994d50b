"""Claim documents: content checks, image normalisation, storage backends.

    doc = documents.process(stream, declared_length, filename)   # or DocumentRejected
    key = storage.put(doc.sha256, doc.data, doc.content_type)

`process` trusts only the bytes: the type is sniffed, the size is bounded while
reading, images are decoded and re-encoded without metadata, PDFs must open.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.documents.content import (
    HEIC,
    JPEG,
    MAX_DOCUMENT_BYTES,
    MAX_PDF_PAGES,
    PDF,
    PNG,
    SNIFF_BYTES,
    DocumentRejected,
    Readable,
    check_pdf,
    check_size,
    read_limited,
    safe_filename,
    sniff,
)
from app.documents.storage import (
    DocumentNotStored,
    LocalStorage,
    S3Storage,
    Storage,
    storage_from_settings,
)

__all__ = [
    "HEIC",
    "JPEG",
    "MAX_DOCUMENT_BYTES",
    "PDF",
    "PNG",
    "DocumentNotStored",
    "DocumentRejected",
    "LocalStorage",
    "ProcessedDocument",
    "S3Storage",
    "Storage",
    "check_size",
    "process",
    "sniff",
    "storage_from_settings",
]


@dataclass(frozen=True)
class ProcessedDocument:
    kind: str  # "image" | "pdf"
    content_type: str  # of `data`: image/jpeg, image/png or application/pdf
    data: bytes  # what to store: re-encoded image, or the PDF as uploaded
    sha256: str  # hex digest of `data`
    thumbnail: bytes | None  # JPEG, at most 320 px a side; None for PDFs
    width: int | None
    height: int | None
    pages: int | None
    original_filename_safe: str


def process(
    data_stream: Readable,
    declared_length: int | None,
    filename: str | None,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_pages: int = MAX_PDF_PAGES,
) -> ProcessedDocument:
    check_size(declared_length, max_bytes)
    data = read_limited(data_stream, max_bytes)
    if not data:
        raise DocumentRejected("empty")
    content_type = sniff(data[:SNIFF_BYTES])
    name = safe_filename(filename)
    if content_type is None:
        raise DocumentRejected("unsupported_type")
    if content_type == PDF:
        pages = check_pdf(data, max_pages)
        return ProcessedDocument(
            "pdf", PDF, data, hashlib.sha256(data).hexdigest(), None, None, None, pages, name
        )
    from app.documents import images  # Pillow and libheif load only when an image arrives

    image = images.normalize(data, content_type)
    return ProcessedDocument(
        kind="image",
        content_type=image.content_type,
        data=image.data,
        sha256=hashlib.sha256(image.data).hexdigest(),
        thumbnail=image.thumbnail,
        width=image.width,
        height=image.height,
        pages=None,
        original_filename_safe=name,
    )
