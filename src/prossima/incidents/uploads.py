"""Stage an uploaded incident file and preview it before the import job runs."""

from __future__ import annotations

import gzip
import secrets
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from prossima.analysis.io import detect_format
from prossima.analysis.io._base import open_text, read_header
from prossima.analysis.io.generic import guess_column_map

ACCEPTED_SUFFIXES = (".csv", ".csv.gz", ".txt", ".geojson", ".json", ".gz")
PREVIEW_ROWS = 5


class UploadError(ValueError):
    """Raised when an uploaded file is refused; the message says why and what is accepted."""


@dataclass
class StagedFile:
    """An uploaded file waiting for its import, as kept in the session."""

    token: str
    path: str
    filename: str
    size: int
    dataset_id: int


def max_upload_bytes() -> int:
    """Return the largest incident file accepted, in bytes."""
    return int(settings.PROSSIMA["INCIDENT_UPLOAD_MAX_MB"]) * 1024 * 1024


def _sniff(head: bytes, filename: str) -> None:
    """Refuse content that is neither gzip nor text, whatever the file is called."""
    if head[:2] == b"\x1f\x8b":
        return
    if b"\x00" in head[:4096]:
        raise UploadError(
            _(
                "%(file)s: this is not a text file (it contains binary data). Accepted: CSV, "
                "CSV compressed with gzip (.csv.gz) or GeoJSON."
            )
            % {"file": filename}
        )


def _check_expanded_size(inner: Any, filename: str) -> None:
    """Refuse a compressed file that expands beyond the ceiling (a decompression bomb).

    The stream is read to the end, one megabyte at a time and never kept, so the
    check costs at most the ceiling's worth of decompression.
    """
    ceiling_mb = int(settings.PROSSIMA["INCIDENT_UPLOAD_MAX_EXPANDED_MB"])
    ceiling, total = ceiling_mb * 1024 * 1024, 8192
    while chunk := inner.read(1024 * 1024):
        total += len(chunk)
        if total > ceiling:
            raise UploadError(
                _(
                    "%(file)s: uncompressed, this file is larger than the %(max)s MB accepted; "
                    "split the file by year."
                )
                % {"file": filename, "max": ceiling_mb}
            )


def stage_upload(upload: UploadedFile, dataset_id: int) -> StagedFile:
    """Check an uploaded file's name, size and content, and store it for the import."""
    filename = Path(upload.name or "upload.csv").name
    if not filename.lower().endswith(ACCEPTED_SUFFIXES):
        message = _(
            "%(file)s: files of this type are not accepted. "
            "Accepted: .csv, .csv.gz, .geojson, .json."
        )
        raise UploadError(message % {"file": filename})
    size = upload.size or 0
    if size > max_upload_bytes():
        raise UploadError(
            _("%(file)s: %(size)s MB is more than the %(max)s MB accepted; split the file by year.")
            % {
                "file": filename,
                "size": f"{size / 1e6:.0f}",
                "max": settings.PROSSIMA["INCIDENT_UPLOAD_MAX_MB"],
            }
        )
    if size == 0:
        raise UploadError(_("%(file)s: the file is empty.") % {"file": filename})
    head = upload.read(8192)
    upload.seek(0)
    _sniff(head, filename)
    token = secrets.token_urlsafe(12)
    folder = Path(settings.MEDIA_ROOT) / "imports" / token
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(target, "rb") as inner:
                _sniff(inner.read(8192), filename)
                _check_expanded_size(inner, filename)
        except (OSError, EOFError, UploadError) as exc:
            # A refused file leaves nothing behind.
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, UploadError):
                raise
            raise UploadError(
                _("%(file)s: the gzip compression is damaged.") % {"file": filename}
            ) from None
    return StagedFile(token, str(target), filename, size, dataset_id)


def staged_to_session(staged: StagedFile) -> dict[str, Any]:
    """Return the session form of a staged file."""
    return asdict(staged)


@dataclass
class Preview:
    """What the analyst sees before importing: format, columns, first rows, guessed mapping."""

    file_format: str
    header: list[str]
    rows: list[list[str]]
    guessed: dict[str, Any]


def preview(path: str, encoding: str = "utf-8") -> Preview:
    """Return the detected format, the header and the first rows of a staged file."""
    file_format = detect_format(path, encoding)
    if file_format == "geojson":
        return Preview(file_format, [], [], {})
    header = read_header(path, encoding)
    rows: list[list[str]] = []
    import csv

    with open_text(path, encoding) as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            rows.append(row)
            if len(rows) >= PREVIEW_ROWS:
                break
    guessed: dict[str, Any] = {}
    if file_format == "generic":
        try:
            guessed = asdict(guess_column_map(header))
        except ValueError:
            guessed = {}
    return Preview(file_format, header, rows, guessed)
