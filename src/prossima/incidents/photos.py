"""Check and clean a photo attached to a citizen report.

Only JPEG, PNG and WebP are accepted, checked by decoding the image (never by
the file name or the declared type). The image is turned upright from its EXIF
orientation, shrunk to at most ``REPORT_PHOTO_MAX_PX`` on its longer side and
re-encoded from its pixels alone, so no EXIF block (GPS position, camera serial,
time), comment or other metadata of the original survives.
"""

from __future__ import annotations

import io
import math
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format name → (file suffix, encoder options).
ACCEPTED: dict[str, tuple[str, dict[str, object]]] = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
}
# Refuse images whose pixels would take too much memory to decode (decompression bombs).
MAX_PIXELS = 50_000_000


class PhotoError(ValueError):
    """Raised when a photo is refused; the message says why and what is accepted."""


def max_photo_bytes() -> int:
    """Return the largest photo accepted, in bytes."""
    return int(settings.PROSSIMA["REPORT_PHOTO_MAX_MB"]) * 1024 * 1024


def _accepted_text() -> str:
    return _("Accepted: JPEG, PNG or WebP photos up to %(mb)s MB.") % {
        "mb": settings.PROSSIMA["REPORT_PHOTO_MAX_MB"]
    }


def clean_photo(upload: IO[bytes], name: str = "photo", size: int | None = None) -> ContentFile:
    """Return the photo re-encoded without metadata, or raise PhotoError."""
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    if size > max_photo_bytes():
        raise PhotoError(
            _("The photo is %(size)s MB, more than the %(max)s MB accepted.")
            % {
                "size": f"{math.ceil(size / (1024 * 1024) * 10) / 10:.1f}",
                "max": settings.PROSSIMA["REPORT_PHOTO_MAX_MB"],
            }
            + " "
            + _accepted_text()
        )
    data = upload.read(max_photo_bytes() + 1)
    if not data:
        raise PhotoError(_("The photo file is empty.") + " " + _accepted_text())
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            if kind not in ACCEPTED:
                raise PhotoError(
                    _("This file is a %(kind)s image, which is not accepted.")
                    % {"kind": kind or "?"}
                    + " "
                    + _accepted_text()
                )
            if width * height > MAX_PIXELS:
                raise PhotoError(
                    _("The photo has too many pixels (%(w)s × %(h)s).") % {"w": width, "h": height}
                    + " "
                    + _accepted_text()
                )
            probe.verify()
        # verify() leaves the image unusable: open it again to read the pixels.
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            return _reencode(upright, kind)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(
            _("%(name)s is not a readable image.") % {"name": name} + " " + _accepted_text()
        ) from None


def _reencode(image: Image.Image, kind: str) -> ContentFile:
    limit = int(settings.PROSSIMA["REPORT_PHOTO_MAX_PX"])
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = image.mode in ("P", "PA") and "transparency" in image.info
        image = image.convert("RGBA" if has_alpha or image.mode == "PA" else "RGB")
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's info (EXIF,
    # XMP, ICC profile, comments, PNG text chunks) is carried over.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    suffix, options = ACCEPTED[kind]
    out = io.BytesIO()
    clean.save(out, kind, **options)
    return ContentFile(out.getvalue(), name=f"photo.{suffix}")
