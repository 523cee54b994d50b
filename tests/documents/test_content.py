"""Sniffing by content, the size limit while reading, PDF checks, safe names."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from app.core.errors import DomainError
from app.documents import content
from app.documents.content import DocumentRejected, check_size, read_limited, safe_filename, sniff
from tests.documents.helpers import CountingStream, encode, halves, pdf

HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(encode(halves(), "JPEG"), "image/jpeg", id="jpeg"),
        pytest.param(encode(halves(), "PNG"), "image/png", id="png"),
        pytest.param(encode(halves(), "HEIF"), "image/heic", id="heic-pillow-heif"),
        pytest.param(HEIC_HEADER, "image/heic", id="heic-major"),
        pytest.param(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heic", id="mif1"),
        pytest.param(b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc", "image/heic", id="msf1"),
        pytest.param(b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00", "image/heic", id="heix"),
        pytest.param(
            b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomheic", "image/heic", id="compat"
        ),
        pytest.param(pdf(), "application/pdf", id="pdf"),
        pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None, id="avif"),
        pytest.param(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41", None, id="mp4"),
        pytest.param(b"\x00\x00\x00\x18ftypqt  \x00\x00\x00\x00qt  ", None, id="mov"),
        pytest.param(b"\x00\x00\x00\x07ftypheic", None, id="ftyp-bad-size"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", None, id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"/>', None, id="svg"),
        pytest.param(encode(halves(), "GIF"), None, id="gif"),
        pytest.param(encode(halves(), "WEBP"), None, id="webp"),
        pytest.param(encode(halves(), "BMP"), None, id="bmp"),
        pytest.param(encode(halves(), "TIFF"), None, id="tiff"),
        pytest.param(_zip(), None, id="zip"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", None, id="exe"),
        pytest.param(b"\xff\xd8", None, id="jpeg-too-short"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b" %PDF-1.7", None, id="pdf-not-at-start"),
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert sniff(data[: content.SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("too_large", 413),
        ("unsupported_type", 415),
        ("corrupt", 422),
        ("encrypted_pdf", 422),
        ("image_too_large", 422),
        ("empty", 422),
        ("too_many_pages", 422),
    ],
)
def test_rejection_is_a_domain_error(code: str, status: int) -> None:
    err = DocumentRejected(code)
    assert isinstance(err, DomainError)
    assert (err.code, err.http_status) == (code, status)
    assert err.message_en and err.message_zh


def test_too_large_message_names_the_limit() -> None:
    err = DocumentRejected("too_large", limit=15 * 1024 * 1024)
    assert "15 MB" in err.message_en and "15 MB" in err.message_zh


def test_too_many_pages_is_422_and_names_the_page_limit() -> None:
    """A page count is not a byte size: 422, never 413; both messages give the limit."""
    with pytest.raises(DocumentRejected) as info:
        content.check_pdf(pdf(4), max_pages=3)
    err = info.value
    assert (err.code, err.http_status) == ("too_many_pages", 422)
    assert "at most 3 pages" in err.message_en
    assert "最多 3 页" in err.message_zh
    assert "MB" not in err.message_en + err.message_zh


@pytest.mark.parametrize(
    ("declared", "refused"),
    [(None, False), (0, False), (1000, False), (1001, True), (10**12, True)],
)
def test_check_size(declared: int | None, refused: bool) -> None:
    if refused:
        with pytest.raises(DocumentRejected) as info:
            check_size(declared, 1000)
        assert info.value.code == "too_large"
    else:
        check_size(declared, 1000)


def test_default_limit_is_15_mb() -> None:
    check_size(15 * 1024 * 1024)
    with pytest.raises(DocumentRejected):
        check_size(15 * 1024 * 1024 + 1)


@pytest.mark.parametrize("max_chunk", [None, 7, 999, 4096])
@pytest.mark.parametrize(
    ("length", "refused"), [(0, False), (1000, False), (1001, True), (50_000, True)]
)
def test_read_limited_never_reads_past_limit_plus_one(
    length: int, refused: bool, max_chunk: int | None
) -> None:
    stream = CountingStream(b"x" * length, max_chunk=max_chunk)
    if refused:
        with pytest.raises(DocumentRejected) as info:
            read_limited(stream, 1000, chunk_size=256)
        assert info.value.code == "too_large"
        assert stream.bytes_read == 1001
    else:
        assert read_limited(stream, 1000, chunk_size=256) == b"x" * length
        assert stream.bytes_read == length


@pytest.mark.parametrize(
    ("data", "pages", "code"),
    [
        pytest.param(pdf(1), 1, None, id="one-page"),
        pytest.param(pdf(3), 3, None, id="three-pages"),
        pytest.param(pdf(4), None, "too_many_pages", id="over-page-cap"),
        pytest.param(pdf(0), None, "corrupt", id="no-pages"),
        pytest.param(pdf(1, password="secret"), None, "encrypted_pdf", id="encrypted"),
        pytest.param(pdf(1, password="o", owner_only=True), None, "encrypted_pdf", id="owner-pw"),
        pytest.param(b"%PDF-1.7\nnot really a pdf", None, "corrupt", id="garbage"),
        pytest.param(pdf(2)[:200], None, "corrupt", id="truncated"),
    ],
)
def test_check_pdf(data: bytes, pages: int | None, code: str | None) -> None:
    if code is None:
        assert content.check_pdf(data, max_pages=3) == pages
    else:
        with pytest.raises(DocumentRejected) as info:
            content.check_pdf(data, max_pages=3)
        assert info.value.code == code


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("发票.jpg", "发票.jpg"),
        ("C:\\Users\\me\\收据 1.pdf", "收据 1.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..hidden.png", "hidden.png"),
        ("a\x00b\nc<>.jpg", "abc__.jpg"),
        ("", "document"),
        (None, "document"),
        ("...", "document"),
        ("x" * 300 + ".jpeg", "x" * 115 + ".jpeg"),
        ("e\u0301.jpg", "\u00e9.jpg"),
    ],
)
def test_safe_filename(given: str | None, expected: str) -> None:
    assert safe_filename(given) == expected


def test_images_need_no_trust_in_pillow_detection() -> None:
    # a GIF is refused by the sniffer even though Pillow could decode it
    assert sniff(encode(Image.new("L", (4, 4)), "GIF")) is None
