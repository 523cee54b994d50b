"""Sample files generated at test time: photos with Pillow / pillow-heif, PDFs with pypdf."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import ExifTags, Image, ImageCms
from pypdf import PdfWriter

import app.documents.images  # noqa: F401 - registers the HEIF opener used to write HEIC


class CountingStream:
    """A readable stream that records how many bytes it handed out."""

    def __init__(self, data: bytes, max_chunk: int | None = None) -> None:
        self._buf = io.BytesIO(data)
        self.max_chunk = max_chunk
        self.bytes_read = 0
        self.calls = 0

    def read(self, size: int = -1, /) -> bytes:
        self.calls += 1
        if self.max_chunk is not None and (size < 0 or size > self.max_chunk):
            size = self.max_chunk
        chunk = self._buf.read(size)
        self.bytes_read += len(chunk)
        return chunk


def halves(size: tuple[int, int] = (200, 100)) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def noisy(size: tuple[int, int] = (400, 300), seed: int = 1) -> Image.Image:
    rnd = random.Random(seed)
    return Image.frombytes(
        "RGB", size, bytes(rnd.randrange(256) for _ in range(size[0] * size[1] * 3))
    )


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 10.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 5.0)
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def pdf(
    pages: int = 1,
    *,
    password: str | None = None,
    owner_only: bool = False,
    size: tuple[int, int] = (595, 842),
) -> bytes:
    """Blank pages (A4 by default; another `size` gives other bytes)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size[0], height=size[1])
    if password is not None:
        if owner_only:
            writer.encrypt(user_password="", owner_password=password, algorithm="AES-256")
        else:
            writer.encrypt(password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
