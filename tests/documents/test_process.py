"""documents.process: one entry point, table-driven over real and hostile files."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from app.documents import DocumentRejected, ProcessedDocument, images, process
from tests.documents.helpers import (
    XMP,
    CountingStream,
    encode,
    exif_with_gps,
    halves,
    noisy,
    pdf,
    png_claiming,
    srgb_icc,
)

HTML = b"<!DOCTYPE html>\n<html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def run(data: bytes, filename: str = "upload.jpg", declared: int | None = -1) -> ProcessedDocument:
    return process(io.BytesIO(data), len(data) if declared == -1 else declared, filename)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "size"),
    [
        pytest.param(encode(halves(), "JPEG"), "a.jpg", "image/jpeg", (200, 100), id="jpeg"),
        pytest.param(encode(halves(), "PNG"), "a.png", "image/png", (200, 100), id="png"),
        pytest.param(
            encode(halves().convert("RGBA"), "PNG"), "a.png", "image/png", (200, 100), id="png-rgba"
        ),
        pytest.param(
            encode(halves().convert("P"), "PNG", transparency=0),
            "a.png",
            "image/png",
            (200, 100),
            id="png-palette",
        ),
        pytest.param(
            encode(halves(), "HEIF"), "IMG_0001.HEIC", "image/jpeg", (200, 100), id="heic"
        ),
        pytest.param(
            encode(halves().convert("RGBA"), "HEIF"),
            "a.heic",
            "image/jpeg",
            (200, 100),
            id="heic-a",
        ),
        pytest.param(
            encode(halves(), "JPEG"), "named-as.pdf", "image/jpeg", (200, 100), id="name-ignored"
        ),
        pytest.param(
            encode(halves().convert("CMYK"), "JPEG"), "c.jpg", "image/jpeg", (200, 100), id="cmyk"
        ),
        pytest.param(
            encode(halves().convert("L"), "JPEG"), "g.jpg", "image/jpeg", (200, 100), id="L"
        ),
    ],
)
def test_images_are_decoded_and_reencoded(
    data: bytes, filename: str, content_type: str, size: tuple[int, int]
) -> None:
    doc = run(data, filename)
    assert doc.kind == "image"
    assert doc.content_type == content_type
    assert (doc.width, doc.height) == size
    assert doc.pages is None
    assert doc.sha256 == hashlib.sha256(doc.data).hexdigest()
    out = decoded(doc.data)
    assert out.format == {"image/jpeg": "JPEG", "image/png": "PNG"}[content_type]
    assert out.size == size
    assert doc.thumbnail is not None
    thumb = decoded(doc.thumbnail)
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 320


def test_pdf_is_kept_as_uploaded() -> None:
    data = pdf(2)
    doc = run(data, "清单.pdf")
    assert (doc.kind, doc.content_type, doc.pages) == ("pdf", "application/pdf", 2)
    assert doc.data == data
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert (doc.thumbnail, doc.width, doc.height) == (None, None, None)
    assert doc.original_filename_safe == "清单.pdf"


def _truncated_jpeg() -> bytes:
    data = encode(noisy(), "JPEG", quality=95)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "filename", "code", "status"),
    [
        pytest.param(HTML, "photo.jpg", "unsupported_type", 415, id="html-as-jpg"),
        pytest.param(SVG, "photo.jpg", "unsupported_type", 415, id="svg-as-jpg"),
        pytest.param(encode(halves(), "GIF"), "a.jpg", "unsupported_type", 415, id="gif"),
        pytest.param(encode(halves(), "WEBP"), "a.jpg", "unsupported_type", 415, id="webp"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 40, "a.zip", "unsupported_type", 415, id="zip"),
        pytest.param(b"MZ\x90\x00" + b"\x00" * 60, "a.exe", "unsupported_type", 415, id="exe"),
        pytest.param(b"", "a.jpg", "empty", 422, id="empty"),
        pytest.param(_truncated_jpeg(), "a.jpg", "corrupt", 422, id="truncated-jpeg"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, "a.jpg", "corrupt", 422, id="jpeg-junk"),
        pytest.param(encode(halves(), "PNG")[:60], "a.png", "corrupt", 422, id="truncated-png"),
        pytest.param(encode(halves(), "HEIF")[:300], "a.heic", "corrupt", 422, id="truncated-heic"),
        pytest.param(
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
            "a.heic",
            "corrupt",
            422,
            id="heic-hdr",
        ),
        pytest.param(png_claiming(100_000, 100_000), "a.png", "image_too_large", 422, id="bomb"),
        pytest.param(png_claiming(8_000, 7_000), "a.png", "image_too_large", 422, id="over-cap"),
        pytest.param(pdf(1, password="pw"), "a.pdf", "encrypted_pdf", 422, id="encrypted-pdf"),
        pytest.param(pdf(0), "a.pdf", "corrupt", 422, id="pdf-no-pages"),
        pytest.param(pdf(201), "a.pdf", "too_many_pages", 422, id="pdf-over-200-pages"),
        pytest.param(b"%PDF-1.4\n%%EOF", "a.pdf", "corrupt", 422, id="pdf-garbage"),
    ],
)
def test_refusals(data: bytes, filename: str, code: str, status: int) -> None:
    with pytest.raises(DocumentRejected) as info:
        run(data, filename)
    assert (info.value.code, info.value.http_status) == (code, status)


def test_pixel_cap_applies_to_real_images() -> None:
    data = encode(halves((200, 100)), "PNG")
    with pytest.raises(DocumentRejected) as info:
        images.normalize(data, "image/png", max_pixels=19_999)
    assert info.value.code == "image_too_large"
    assert images.normalize(data, "image/png", max_pixels=20_000).width == 200


def test_orientation_applied_and_all_metadata_removed() -> None:
    exif = exif_with_gps(orientation=6)
    data = encode(halves((200, 100)), "JPEG", exif=exif.tobytes(), xmp=XMP, icc_profile=srgb_icc())
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825)  # the input really carries GPS
    assert "icc_profile" in source.info and "xmp" in source.info

    doc = run(data, "gps.jpg")

    assert (doc.width, doc.height) == (100, 200)  # orientation 6: turned a quarter clockwise
    out = decoded(doc.data)
    assert out.size == (100, 200)
    red, blue = out.getpixel((50, 30)), out.getpixel((50, 170))
    assert red[0] > 200 and red[2] < 60  # left half is now on top
    assert blue[2] > 200 and blue[0] < 60
    assert not out.getexif()
    for name in ("exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment"):
        assert name not in out.info
    for marker in (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"PhoneMaker"):
        assert marker not in doc.data
        assert doc.thumbnail is not None and marker not in doc.thumbnail
    assert decoded(doc.thumbnail).size == (100, 200)  # never enlarged


def test_png_metadata_removed() -> None:
    exif = exif_with_gps(orientation=8)
    data = encode(halves((200, 100)), "PNG", exif=exif.tobytes(), icc_profile=srgb_icc())
    doc = run(data, "a.png")
    assert (doc.width, doc.height) == (100, 200)
    out = decoded(doc.data)
    assert out.format == "PNG"
    assert not out.getexif()
    assert "icc_profile" not in out.info and "exif" not in out.info
    assert b"eXIf" not in doc.data and b"iCCP" not in doc.data


def test_heic_metadata_removed() -> None:
    data = encode(halves((200, 100)), "HEIF", exif=exif_with_gps(orientation=1).tobytes())
    assert b"PhoneMaker" in data
    doc = run(data, "IMG.HEIC")
    assert doc.content_type == "image/jpeg"
    assert b"PhoneMaker" not in doc.data and b"Exif\x00\x00" not in doc.data


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000), (320, 320), (50, 20)])
def test_thumbnail_at_most_320(size: tuple[int, int]) -> None:
    doc = run(encode(Image.new("RGB", size, (10, 200, 30)), "JPEG"), "a.jpg")
    assert doc.thumbnail is not None
    thumb = decoded(doc.thumbnail)
    assert max(thumb.size) == min(320, max(size))
    assert abs(thumb.size[0] / thumb.size[1] - size[0] / size[1]) < 0.05


def test_size_refused_before_reading_when_declared() -> None:
    stream = CountingStream(b"\xff\xd8\xff" + b"x" * 5000)
    with pytest.raises(DocumentRejected) as info:
        process(stream, 5003, "a.jpg", max_bytes=1000)
    assert info.value.code == "too_large" and info.value.http_status == 413
    assert stream.calls == 0 and stream.bytes_read == 0


@pytest.mark.parametrize("declared", [None, 10, 0])
def test_size_bounded_while_reading_when_unknown_or_wrong(declared: int | None) -> None:
    stream = CountingStream(b"\xff\xd8\xff" + b"x" * 50_000, max_chunk=333)
    with pytest.raises(DocumentRejected) as info:
        process(stream, declared, "a.jpg", max_bytes=1000)
    assert info.value.code == "too_large"
    assert stream.bytes_read <= 1001


def test_file_of_exactly_the_limit_is_read() -> None:
    data = encode(halves(), "PNG")
    stream = CountingStream(data)
    doc = process(stream, None, "a.png", max_bytes=len(data))
    assert doc.content_type == "image/png"
    assert stream.bytes_read == len(data)


def test_same_upload_same_hash() -> None:
    data = encode(noisy(), "JPEG")
    assert run(data).sha256 == run(data, "other-name.jpg").sha256
