"""Share the chunked CSV loop, row validation and the ReadResult of every reader.

Line numbers
    A reject's ``line`` is the 1-based record number in the file, the header
    being line 1. It equals the physical line number unless a quoted field
    holds a line break (pandas counts records, not physical lines). Blank lines
    are kept as records so the numbering never shifts; lines with too many
    fields are reported as rejects with their own line number.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import shapely
from pandas.api.types import union_categoricals
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import Attribute, EventSet, concat_attribute

__all__ = ["SOURCE_LINE", "Parsed", "ReadResult", "RowChecker", "open_text", "read_chunks"]

REJECT_COLUMNS = ["line", "reason", "field", "value"]
# Attribute holding each accepted event's line (record number) in its file, so that
# later checks (an importer's, say) can report rows by line too.
SOURCE_LINE = "source_line"
CHUNK_ROWS = 250_000
# A range that every WGS84 coordinate must lie in.
WORLD_BBOX = (-180.0, -90.0, 180.0, 90.0)


@dataclass
class ReadResult:
    """Hold the events read from a file, the rejected rows and a summary."""

    events: EventSet
    rejects: pd.DataFrame  # columns: line, reason, field, value
    summary: dict[str, Any]

    @classmethod
    def combine(cls, results: list[ReadResult]) -> ReadResult:
        """Merge the results of several files read into the same CRS.

        The rejects gain a ``file`` column; the summary keeps each file's own
        summary under ``files`` and totals the counts.
        """
        if len(results) == 1:
            only = results[0]
            rejects = only.rejects.copy()
            rejects.insert(0, "file", only.summary["file"])
            return cls(events=only.events, rejects=rejects, summary=only.summary)
        events = EventSet.concat([r.events for r in results])
        frames = []
        for r in results:
            f = r.rejects.copy()
            f.insert(0, "file", r.summary["file"])
            frames.append(f)
        rejects = pd.concat(frames, ignore_index=True)
        reasons: dict[str, int] = {}
        for r in results:
            for k, v in r.summary["rejected_by_reason"].items():
                reasons[k] = reasons.get(k, 0) + v
        times = events.times()
        summary: dict[str, Any] = {
            "files": [r.summary for r in results],
            "format": ",".join(sorted({r.summary["format"] for r in results})),
            "rows": sum(r.summary["rows"] for r in results),
            "accepted": len(events),
            "rejected": len(rejects),
            "rejected_by_reason": reasons,
            "crs": events.crs,
            "time_resolution": events.time_resolution,
            "time_zone": events.tz,
            "time_min": times.min().isoformat(),
            "time_max": times.max().isoformat(),
            "categories": {
                str(k): int(v)
                for k, v in pd.Series(events.category).value_counts().sort_index().items()
            },
        }
        return cls(events=events, rejects=rejects, summary=summary)

    def write_rejects(self, path: str | Path) -> None:
        """Write the rejected rows as CSV (line, reason, field, value)."""
        self.rejects.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)


@dataclass
class Parsed:
    """Collect one chunk's usable columns before validation finishes."""

    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray  # datetime64[ns] UTC
    category: pd.Categorical[Any]
    attributes: dict[str, Attribute] = field(default_factory=dict)
    weight: np.ndarray | None = None


class RowChecker:
    """Mark rows of one chunk unusable, remembering the first reason for each."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines
        self.ok = np.ones(len(lines), dtype=bool)
        self.frames: list[pd.DataFrame] = []

    def reject(self, bad: np.ndarray, reason: str, field_name: str, values: Any) -> None:
        """Reject the still-usable rows where ``bad`` holds, with ``reason`` about ``field_name``.

        ``values`` (a Series, an array or one scalar) gives the offending text;
        only the rejected rows' values are materialised.
        """
        hit = np.asarray(bad, dtype=bool) & self.ok
        if not hit.any():
            return
        where = np.nonzero(hit)[0]
        if isinstance(values, _pair_text):
            vals: Any = values.at(where)
        elif isinstance(values, pd.Series):
            vals = values.iloc[where].astype(object).to_numpy(object)
        elif isinstance(values, np.ndarray) and values.ndim:
            vals = values[where]
        else:
            vals = values
        self.frames.append(
            pd.DataFrame(
                {"line": self.lines[where], "reason": reason, "field": field_name, "value": vals}
            )
        )
        self.ok &= ~hit

    def check_coordinates(
        self,
        lon_raw: pd.Series,
        lat_raw: pd.Series,
        lon_name: str,
        lat_name: str,
        bbox: tuple[float, float, float, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Parse lon/lat, rejecting missing, non-numeric, (0, 0) and out-of-area rows."""
        lon, lon_missing = numeric(lon_raw)
        lat, lat_missing = numeric(lat_raw)
        pair = _pair_text(lon_raw, lat_raw)
        self.reject(lon_missing | lat_missing, "missing coordinates", f"{lon_name}/{lat_name}", "")
        self.reject(~np.isfinite(lon), "longitude is not a number", lon_name, lon_raw)
        self.reject(~np.isfinite(lat), "latitude is not a number", lat_name, lat_raw)
        zero = (lon == 0) & (lat == 0)
        self.reject(zero, "coordinates are 0,0 (placeholder for unknown location)", lon_name, "0,0")
        xmin, ymin, xmax, ymax = bbox
        with np.errstate(invalid="ignore"):
            outside = ~((lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax))
        self.reject(
            outside,
            f"outside the study bounding box lon {xmin}..{xmax}, lat {ymin}..{ymax}",
            f"{lon_name}/{lat_name}",
            pair,
        )
        return lon, lat

    def check_boundary(self, lon: np.ndarray, lat: np.ndarray, boundary: BaseGeometry) -> None:
        """Reject rows whose point lies outside the WGS84 ``boundary``."""
        ok_idx = np.nonzero(self.ok)[0]
        inside = np.ones(len(lon), dtype=bool)
        inside[ok_idx] = shapely.intersects_xy(boundary, lon[ok_idx], lat[ok_idx])
        self.reject(
            ~inside, "outside the boundary", "lon/lat", _pair_text(pd.Series(lon), pd.Series(lat))
        )

    def rejects(self) -> pd.DataFrame:
        """Return this chunk's rejects."""
        if not self.frames:
            return pd.DataFrame({c: [] for c in REJECT_COLUMNS})
        return pd.concat(self.frames, ignore_index=True)


def numeric(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values, missing)`` for a column read as numbers where possible.

    Columns read with ``na_values=[""]`` arrive as floats when every value is a
    number or empty (the fast path); otherwise as text, converted one by one.
    """
    if raw.dtype.kind in "fiu":
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, np.isnan(values)
    missing = (raw.isna() | (raw.astype(str).str.strip() == "")).to_numpy(bool)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return values, missing


class _pair_text:  # noqa: N801 -- behaves like a lazily built Series of "lon,lat"
    """Build "lon,lat" text only for the rows that are rejected."""

    def __init__(self, lon: pd.Series, lat: pd.Series) -> None:
        self.lon, self.lat = lon, lat

    def at(self, where: np.ndarray) -> np.ndarray:
        lon = self.lon.iloc[where].astype(str).to_numpy(object)
        lat = self.lat.iloc[where].astype(str).to_numpy(object)
        return lon + "," + lat


def open_text(path: str | Path, encoding: str) -> IO[str]:
    """Open ``path`` as text, transparently decompressing gzip (detected by its magic bytes)."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{p}: file not found.")
    if p.is_dir():
        raise ValueError(f"{p}: is a directory, expected a CSV or GeoJSON file.")
    with open(p, "rb") as fh:
        magic = fh.read(2)
    # The text wrapper returned to the caller owns and closes these handles.
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(
            gzip.open(p, "rb"),
            encoding=encoding,
            errors="strict",
            newline="",
        )
    return io.TextIOWrapper(open(p, "rb"), encoding=encoding, errors="strict", newline="")


def read_header(path: str | Path, encoding: str) -> list[str]:
    """Return the column names on the first line of a CSV file."""
    try:
        with open_text(path, encoding) as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc, line=1) from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc}).") from None
    if not first.strip():
        raise ValueError(f"{path}: the file is empty; expected a header line with column names.")
    return [c.strip().lstrip("\ufeff") for c in next(csv.reader([first]))]


def _encoding_error(
    path: str | Path, encoding: str, exc: UnicodeDecodeError, line: int | None = None
) -> ValueError:
    where = f"line {line}" if line else f"byte {exc.start} of a decoded block"
    return ValueError(
        f"{path}: {where} is not valid {encoding} text ({exc.reason}); "
        "save the file as UTF-8 or give its encoding (e.g. --encoding latin-1 / encoding='cp1252')."
    )


def record_lines(positions: np.ndarray, skipped: list[int]) -> np.ndarray:
    """Return the 1-based file record number of data rows at 0-based ``positions``.

    ``skipped`` are record numbers that pandas dropped (too many fields); the
    header is record 1.
    """
    base = positions.astype(np.int64) + 2
    if not skipped:
        return base
    s = np.sort(np.asarray(skipped, dtype=np.int64))
    # Accepted records before each skipped one shift every later row by one.
    gaps = s - np.arange(len(s))
    return base + np.searchsorted(gaps, base, side="right")


def read_chunks(
    path: str | Path,
    usecols: list[str],
    encoding: str,
    chunksize: int = CHUNK_ROWS,
    numeric_cols: tuple[str, ...] = (),
) -> Iterator[tuple[pd.DataFrame, np.ndarray, pd.DataFrame]]:
    """Yield ``(chunk, line_numbers, bad_line_rejects)`` reading ``usecols`` as text."""
    skipped: list[int] = []
    position = 0
    try:
        with open_text(path, encoding) as fh, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # All columns are parsed: with usecols pandas silently accepts rows with
            # extra fields, and such rows must be reported.
            reader = pd.read_csv(
                fh,
                # Numbers parse in C when clean; a stray word turns the column to text.
                dtype={c: object for c in usecols if c not in numeric_cols},
                na_values={c: [""] for c in numeric_cols},
                keep_default_na=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                chunksize=chunksize,
                engine="c",
            )
            for chunk in reader:
                bad = _bad_lines(caught)
                caught.clear()
                skipped.extend(int(b[0]) for b in bad)
                bad_df = pd.DataFrame(
                    {
                        "line": [b[0] for b in bad],
                        "reason": [b[1] for b in bad],
                        "field": "",
                        "value": "",
                    },
                    columns=REJECT_COLUMNS,
                )
                lines = record_lines(np.arange(position, position + len(chunk)), skipped)
                position += len(chunk)
                yield chunk[usecols].reset_index(drop=True), lines, bad_df
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty; expected a header line.") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: cannot be parsed as CSV ({exc}).") from None


def _bad_lines(caught: list[warnings.WarningMessage]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for w in caught:
        text = str(w.message)
        for part in text.strip().splitlines():
            # pandas writes "Skipping line 12: expected 12 fields, saw 13".
            if part.startswith("Skipping line "):
                num, _, reason = part[len("Skipping line ") :].partition(":")
                out.append((int(num), reason.strip()))
    return out


def assemble(
    parts: list[Parsed],
    reject_frames: list[pd.DataFrame],
    *,
    path: str | Path,
    fmt: str,
    rows: int,
    crs: str | None,
    time_resolution: str,
    tz: str,
) -> ReadResult:
    """Concatenate chunks into a ReadResult with its summary."""
    frames = [f for f in reject_frames if len(f)]
    rejects = (
        pd.concat(frames, ignore_index=True).sort_values("line", kind="stable")
        if frames
        else pd.DataFrame({c: [] for c in REJECT_COLUMNS})
    )
    rejects = rejects.reset_index(drop=True)
    if not parts or sum(len(p.lon) for p in parts) == 0:
        detail = ""
        if len(rejects):
            top = rejects["reason"].value_counts().head(3)
            detail = "; most common reasons: " + "; ".join(f"{r} ({n})" for r, n in top.items())
        raise ValueError(f"{path}: no usable rows among {rows} data rows{detail}.")
    lon = np.concatenate([p.lon for p in parts])
    lat = np.concatenate([p.lat for p in parts])
    t = np.concatenate([p.t for p in parts])
    category = union_categoricals([p.category for p in parts])
    attrs = {k: concat_attribute([p.attributes[k] for p in parts]) for k in parts[0].attributes}
    weight = (
        np.concatenate([p.weight for p in parts if p.weight is not None])
        if parts[0].weight is not None
        else None
    )
    events = EventSet.from_lonlat(
        lon,
        lat,
        t,
        category,
        crs=crs,
        weight=weight,
        attributes=attrs,
        time_resolution=time_resolution,
        tz=tz,
    )
    times = events.times()
    summary: dict[str, Any] = {
        "file": str(path),
        "format": fmt,
        "rows": int(rows),
        "accepted": len(events),
        "rejected": len(rejects),
        "rejected_by_reason": {str(k): int(v) for k, v in rejects["reason"].value_counts().items()},
        "crs": events.crs,
        "time_resolution": time_resolution,
        "time_zone": tz,
        "time_min": times.min().isoformat(),
        "time_max": times.max().isoformat(),
        "categories": {
            str(k): int(v) for k, v in pd.Series(category).value_counts().sort_index().items()
        },
    }
    return ReadResult(events=events, rejects=rejects, summary=summary)


ChunkParser = Callable[[pd.DataFrame, RowChecker], Parsed]


def run_csv(
    path: str | Path,
    *,
    fmt: str,
    usecols: list[str],
    parse: ChunkParser,
    numeric_cols: tuple[str, ...],
    encoding: str,
    crs: str | None,
    boundary: BaseGeometry | None,
    time_resolution: str,
    tz: str,
    chunksize: int = CHUNK_ROWS,
) -> ReadResult:
    """Read a CSV chunk by chunk with ``parse`` and return the assembled ReadResult."""
    header = read_header(path, encoding)
    missing = [c for c in usecols if c not in header]
    if missing:
        raise ValueError(
            f"{path}: line 1 (header) lacks the column(s) {missing} needed by the {fmt} format; "
            f"found {header}."
        )
    parts: list[Parsed] = []
    reject_frames: list[pd.DataFrame] = []
    rows = 0
    first_text = next(c for c in usecols if c not in numeric_cols)
    for chunk, lines, bad in read_chunks(path, usecols, encoding, chunksize, numeric_cols):
        rows += len(chunk) + len(bad)
        reject_frames.append(bad)
        checker = RowChecker(lines)
        checker.reject(_blank_rows(chunk, first_text), "empty line", "", "")
        parsed = parse(chunk, checker)
        if boundary is not None:
            checker.check_boundary(parsed.lon, parsed.lat, boundary)
        ok = checker.ok
        parts.append(
            Parsed(
                lon=parsed.lon[ok],
                lat=parsed.lat[ok],
                t=parsed.t[ok],
                category=parsed.category[ok],
                attributes={
                    **{k: v[ok] for k, v in parsed.attributes.items()},
                    SOURCE_LINE: np.asarray(checker.lines[ok], dtype=np.int64),
                },
                weight=None if parsed.weight is None else parsed.weight[ok],
            )
        )
        reject_frames.append(checker.rejects())
    return assemble(
        parts,
        reject_frames,
        path=path,
        fmt=fmt,
        rows=rows,
        crs=crs,
        time_resolution=time_resolution,
        tz=tz,
    )


def _blank_rows(chunk: pd.DataFrame, first_text: str) -> np.ndarray:
    """Return a mask of rows whose every field is empty (blank lines)."""
    blank = np.array((chunk[first_text] == "").to_numpy(bool), copy=True)
    if blank.any():
        rows = chunk.iloc[np.nonzero(blank)[0]]
        empty = rows.apply(lambda s: s.isna() | (s.astype(str).str.strip() == "")).all(axis=1)
        blank[np.nonzero(blank)[0]] = empty.to_numpy(bool)
    return blank


def map_unique(values: pd.Series, convert: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """Apply ``convert`` to the distinct values only (dates repeat a lot) and map back."""
    codes, uniques = pd.factorize(values)
    converted = np.asarray(convert(pd.Series(uniques, dtype=object)))
    # Missing values (rows with too few fields) get code -1: the appended NaT.
    return np.append(converted, np.array(["NaT"], dtype=converted.dtype))[codes]


def text_categories(raw: pd.Series) -> tuple[pd.Categorical[Any], np.ndarray]:
    """Return stripped text as a Categorical, and a mask of empty or missing values.

    Stripping runs on the distinct values only, which are few for category columns.
    """
    codes, uniques = pd.factorize(raw)
    stripped = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    names, inverse = np.unique(stripped, return_inverse=True)
    new_codes = inverse[codes]  # code -1 picks the appended "" entry
    empty = names[new_codes] == ""
    cat = pd.Categorical.from_codes(np.where(empty, -1, new_codes), categories=names.tolist())
    return cat.remove_unused_categories(), empty


def utc_ns(local: pd.Series | pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Localize naive local times to ``tz`` and return UTC ``datetime64[ns]`` (NaT kept).

    Ambiguous wall times (the repeated hour when clocks go back) take the
    first, daylight-saving occurrence; non-existent ones (the skipped hour when
    clocks go forward) move forward to the first valid instant.
    """
    idx = pd.DatetimeIndex(local)
    aware = idx.tz_localize(
        tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward"
    )
    return aware.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()
