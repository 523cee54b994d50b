"""What a document is, decided from its bytes: type sniffing, the size limit, PDF checks.

Nothing here trusts a file name or a declared content type: an upload is a JPEG,
a PNG, a HEIC/HEIF or a PDF because its first bytes say so, or it is refused.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Protocol

from app.core.errors import DomainError

MAX_DOCUMENT_BYTES = 15 * 1024 * 1024  # one uploaded file, before any processing
MAX_PDF_PAGES = 200
SNIFF_BYTES = 256  # enough for every signature below, HEIF compatible brands included
READ_CHUNK = 64 * 1024

JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
PDF = "application/pdf"

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC = b"%PDF-"
# ISO-BMFF `ftyp` brands of HEIF still images and sequences (ISO/IEC 23008-12).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1"})
# AVIF shares the container and lists mif1/msf1 as compatible brands; it is not accepted.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})


# code -> (http status, English, Chinese)
_REJECTIONS: dict[str, tuple[int, str, str]] = {
    "too_large": (
        413,
        "The file is too large (at most {limit_mb} MB).",
        "文件过大（最大 {limit_mb} MB）。",
    ),
    "unsupported_type": (
        415,
        "Upload a photo (JPEG, PNG, HEIC) or a PDF.",
        "请上传照片（JPEG、PNG、HEIC）或 PDF 文件。",
    ),
    "corrupt": (
        422,
        "The file is damaged or incomplete; please upload it again.",
        "文件已损坏或不完整，请重新上传。",
    ),
    "encrypted_pdf": (
        422,
        "The PDF is password-protected; upload a copy without a password.",
        "该 PDF 设有密码，请上传未加密的文件。",
    ),
    "image_too_large": (
        422,
        "The image has too many pixels; take the photo at a lower resolution.",
        "图片像素过多，请降低分辨率后重新拍摄。",
    ),
    "empty": (422, "The file is empty.", "文件为空。"),
    "too_many_pages": (
        422,
        "The PDF has too many pages (at most {limit} pages); split it into several files.",
        "PDF 页数过多（最多 {limit} 页），请拆分成几个文件上传。",
    ),
}


class DocumentRejected(DomainError):
    """An upload refused for what it contains; `code` is one of the keys of `_REJECTIONS`.

    `limit` fills the message: bytes for `too_large`, pages for `too_many_pages`."""

    http_status = 422
    code = "corrupt"

    def __init__(
        self,
        code: str,
        message_en: str | None = None,
        message_zh: str | None = None,
        http_status: int | None = None,
        *,
        limit: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        status, en, zh = _REJECTIONS[code]
        limit_mb = f"{limit / (1024 * 1024):g}"
        super().__init__(
            message_en if message_en is not None else en.format(limit=limit, limit_mb=limit_mb),
            message_zh if message_zh is not None else zh.format(limit=limit, limit_mb=limit_mb),
            code=code,
            http_status=http_status if http_status is not None else status,
        )


def sniff(first_bytes: bytes) -> str | None:
    """The content type of a file from its first bytes (at least SNIFF_BYTES when it has them)."""
    head = bytes(first_bytes[:SNIFF_BYTES])
    if head.startswith(_JPEG_MAGIC):
        return JPEG
    if head.startswith(_PNG_MAGIC):
        return PNG
    if head.startswith(_PDF_MAGIC):
        return PDF
    if _is_heif(head):
        return HEIC
    return None


def _is_heif(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16 or box_size % 4:
        return False
    major = head[8:12]
    if major in HEIF_BRANDS:
        return True
    if major in _AVIF_BRANDS:
        return False
    end = min(box_size, len(head))
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    return bool(compatible & HEIF_BRANDS)


def check_size(declared_length: int | None, limit: int = MAX_DOCUMENT_BYTES) -> None:
    """Refuse before reading when the declared length (Content-Length) is over the limit."""
    if declared_length is not None and declared_length > limit:
        raise DocumentRejected("too_large", limit=limit)


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_limited(
    stream: Readable, limit: int = MAX_DOCUMENT_BYTES, chunk_size: int = READ_CHUNK
) -> bytes:
    """Copy the stream into memory in chunks; never asks for more than limit + 1 bytes in all."""
    buf = bytearray()
    while len(buf) <= limit:
        chunk = stream.read(min(chunk_size, limit + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    if len(buf) > limit:
        raise DocumentRejected("too_large", limit=limit)
    return bytes(buf)


def check_pdf(data: bytes, max_pages: int = MAX_PDF_PAGES) -> int:
    """The page count of a PDF that opens, is not encrypted and has 1..max_pages pages."""
    from pypdf import PdfReader  # heavy import, only for PDFs

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected("encrypted_pdf")
        pages = len(reader.pages)
        for page in reader.pages[: min(pages, max_pages)]:
            _ = page.mediabox  # every page object resolves
    except DocumentRejected:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input
        raise DocumentRejected("corrupt") from exc
    if pages == 0:
        raise DocumentRejected("corrupt")
    if pages > max_pages:  # a count, not a byte size: 422, not 413
        raise DocumentRejected("too_many_pages", limit=max_pages)
    return pages


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_FILENAME_CHARS = 120


def safe_filename(filename: str | None, default: str = "document") -> str:
    """A display name: the last path part, NFC, no control or path characters, bounded length."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name or default
