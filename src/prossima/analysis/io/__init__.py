"""Read incident files into an EventSet, reporting every row that cannot be used.

API
---
``read_events(path, format="auto", columns=None, crs=None, bbox=None,
boundary=None, encoding="utf-8") -> ReadResult``

- ``format``: ``"auto"`` (detected from the header line), ``"policeuk"``,
  ``"toronto"``, ``"generic"`` (CSV with a ``ColumnMap``) or ``"geojson"``.
- ``ReadResult.events`` is the EventSet, ``ReadResult.rejects`` a DataFrame of
  ``line, reason, field, value`` (line = 1-based file line, header = 1),
  ``ReadResult.summary`` a JSON-ready dict (rows, accepted, rejected, reasons,
  time span, categories); ``ReadResult.write_rejects(path)`` writes the CSV.
- Files may be gzip-compressed (detected from their first bytes). Files are
  read in chunks of text columns with vectorised validation.
- Unusable rows (no or non-numeric coordinates, 0,0, outside the bounding box
  or boundary, unparsable time, empty category) are rejects, never errors.
  Unusable *files* (missing, empty, undecodable, missing columns) raise
  ``ValueError`` naming the file, the line and what is accepted.

Each format documents its time convention in its module: ``toronto`` (local
hour, America/Toronto), ``policeuk`` (first of the month, Europe/London),
``generic`` (ISO 8601 or a given format, offset or ``timezone``).
"""

from __future__ import annotations

from pathlib import Path

from shapely.geometry.base import BaseGeometry

from prossima.analysis.io._base import ReadResult, read_header
from prossima.analysis.io.generic import ColumnMap, guess_column_map, read_generic, read_geojson
from prossima.analysis.io.policeuk import POLICEUK_COLUMNS, read_policeuk
from prossima.analysis.io.toronto import TORONTO_COLUMNS, read_toronto

__all__ = [
    "FORMATS",
    "ColumnMap",
    "ReadResult",
    "detect_format",
    "read_events",
    "read_generic",
    "read_geojson",
    "read_policeuk",
    "read_toronto",
]

FORMATS = ("auto", "policeuk", "toronto", "generic", "geojson")


def _looks_like_json(path: str | Path) -> bool:
    name = str(path).lower()
    return name.endswith((".geojson", ".json", ".geojson.gz", ".json.gz"))


def detect_format(path: str | Path, encoding: str = "utf-8") -> str:
    """Return the format of ``path``: ``policeuk``, ``toronto``, ``geojson`` or ``generic``."""
    if _looks_like_json(path):
        return "geojson"
    header = set(read_header(path, encoding))
    if set(POLICEUK_COLUMNS) <= header:
        return "policeuk"
    if set(TORONTO_COLUMNS) <= header:
        return "toronto"
    return "generic"


def read_events(
    path: str | Path,
    format: str = "auto",
    columns: ColumnMap | None = None,
    *,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
    encoding: str = "utf-8",
) -> ReadResult:
    """Read an incident file of any supported format into a ReadResult."""
    if format not in FORMATS:
        raise ValueError(f"Unknown format {format!r}; accepted: {', '.join(FORMATS)}.")
    fmt = detect_format(path, encoding) if format == "auto" else format
    opts = {"crs": crs, "bbox": bbox, "boundary": boundary, "encoding": encoding}
    if fmt == "policeuk":
        return read_policeuk(path, **opts)  # type: ignore[arg-type]
    if fmt == "toronto":
        return read_toronto(path, **opts)  # type: ignore[arg-type]
    if fmt == "geojson":
        cmap = columns or ColumnMap(time="time")
        return read_geojson(path, cmap, **opts)  # type: ignore[arg-type]
    cmap = columns or guess_column_map(read_header(path, encoding))
    return read_generic(path, cmap, **opts)  # type: ignore[arg-type]
