"""Image normalisation: fully decode, refuse bombs and damage, apply orientation, strip metadata.

Output carries no metadata at all: EXIF (GPS, camera, orientation), XMP, comments
and ICC profiles are dropped. Dropping ICC can shift the colours of wide-gamut
(Display P3) photos slightly, which is acceptable for claim documents.
JPEG stays JPEG (quality 90), PNG stays PNG, HEIC/HEIF is stored as JPEG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from app.documents.content import HEIC, JPEG, PNG, DocumentRejected

MAX_IMAGE_PIXELS = 50_000_000  # 50 megapixels: above every phone camera's default output
JPEG_QUALITY = 90
THUMBNAIL_MAX_PX = 320
THUMBNAIL_QUALITY = 80

# Pillow's own guard: a warning above the cap, an error above twice the cap. The warning
# is turned into a refusal in `_open`, and the pixel count is checked explicitly as well.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
pillow_heif.register_heif_opener()

_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF"}


@dataclass(frozen=True)
class NormalizedImage:
    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def normalize(
    data: bytes, content_type: str, *, max_pixels: int = MAX_IMAGE_PIXELS
) -> NormalizedImage:
    """Decode `data` (already sniffed as `content_type`) and re-encode it without metadata."""
    image = _open(data, content_type, max_pixels)
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: S110 - damaged EXIF: keep the pixels as decoded, unrotated
        pass
    if image.mode in ("P", "PA"):  # palette transparency lives in info: resolve it first
        image = image.convert(
            "RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB"
        )
    image.info = {}  # exif, xmp, icc_profile, comments, dpi ... nothing is carried over

    if content_type == PNG:
        out_type, image = PNG, _png_mode(image)
        encoded = _encode(image, "PNG", optimize=False)
    else:
        out_type, image = JPEG, _rgb(image)
        encoded = _encode(image, "JPEG", quality=JPEG_QUALITY, optimize=True)

    thumb = _rgb(image.copy())
    thumb.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX), Image.Resampling.LANCZOS)
    thumbnail = _encode(thumb, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return NormalizedImage(out_type, encoded, image.width, image.height, thumbnail)


def _open(data: bytes, content_type: str, max_pixels: int) -> Image.Image:
    fmt = _PILLOW_FORMAT[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            if image.width * image.height > max_pixels:
                raise DocumentRejected("image_too_large")
            image.load()  # full decode: truncated or damaged data fails here
    except DocumentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DocumentRejected("image_too_large") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError ...
        raise DocumentRejected("corrupt") from exc
    return image


def _rgb(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG; transparency is flattened onto white (paper)."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _png_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("L", "LA", "RGB", "RGBA", "I;16"):
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()
