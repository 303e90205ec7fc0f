"""Carry out the analysis verbs whose options ``prossima.analysis.cli`` defines.

Each ``run_*`` function takes the parsed ``argparse.Namespace`` and returns an
exit code; bad option values raise ``UsageError`` (a ``ValueError``), which the
CLI reports on one line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.io import ColumnMap, ReadResult, read_events
from prossima.analysis.io._base import read_header
from prossima.analysis.io.generic import guess_column_map
from prossima.analysis.progress import Progress

__all__ = ["UsageError", "load_boundary", "run_emerging", "run_hotspots", "run_nearrepeat"]


class UsageError(ValueError):
    """Signal a bad option value, reported as one line on stderr."""


def _parse_floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{what} must be numbers separated by commas, got {text!r}.") from None


def load_boundary(path: str) -> BaseGeometry:
    """Return the union of the polygons in a WGS84 GeoJSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise UsageError(f"--boundary {path}: cannot be read ({exc.strerror}).") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--boundary {path}: line {exc.lineno}: not valid JSON.") from None
    try:
        if doc.get("type") == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in doc.get("features", []) if f.get("geometry")]
        elif doc.get("type") == "Feature":
            geoms = [shape(doc["geometry"])]
        else:
            geoms = [shape(doc)]
    except (AttributeError, KeyError, TypeError, ValueError, ShapelyError) as exc:
        raise UsageError(
            f"--boundary {path}: not a GeoJSON geometry, Feature or FeatureCollection ({exc})."
        ) from None
    polys = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise UsageError(f"--boundary {path}: contains no Polygon or MultiPolygon.")
    area = shapely.union_all(polys)
    minx, miny, maxx, maxy = area.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise UsageError(f"--boundary {path}: coordinates must be WGS84 longitude/latitude.")
    return area


def read_input(args: argparse.Namespace) -> tuple[ReadResult, EventSet, BaseGeometry | None]:
    """Read the input files named by a verb's options; return the result, events and boundary.

    Shared by every analysis verb (hotspots, near repeat, emerging, forecast, backtest).
    """
    boundary = load_boundary(args.boundary) if args.boundary else None
    bbox = None
    if args.bbox:
        vals = _parse_floats(args.bbox, "--bbox")
        if len(vals) != 4:
            raise UsageError("--bbox needs four numbers: lon_min,lat_min,lon_max,lat_max.")
        bbox = (vals[0], vals[1], vals[2], vals[3])
    columns: ColumnMap | None = None
    first = args.input[0]
    given = {
        "x": args.x,
        "y": args.y,
        "time": args.time,
        "category": args.category,
        "weight": args.weight,
        "time_format": args.time_format,
        "timezone": args.timezone,
        "source_crs": args.source_crs,
    }
    if args.format in ("generic", "geojson") or any(
        given[k] for k in ("x", "y", "time", "category", "weight", "time_format", "source_crs")
    ):
        if args.format == "geojson" or _is_json(first):
            columns = ColumnMap(**{k: v for k, v in given.items() if v is not None})
        else:
            columns = guess_column_map(read_header(first, args.encoding), **given)
    fmt = args.format
    if fmt == "auto" and columns is not None and not _is_json(first):
        fmt = "generic"
    results: list[ReadResult] = []
    crs = args.crs
    for path in args.input:
        results.append(
            read_events(
                path, fmt, columns, crs=crs, bbox=bbox, boundary=boundary, encoding=args.encoding
            )
        )
        # Later files go into the first file's CRS so that their coordinates agree.
        crs = results[0].events.crs
    result = ReadResult.combine(results)
    if args.rejects:
        result.write_rejects(args.rejects)
    events = result.events
    if args.categories:
        names = [c.strip() for c in args.categories.split(",") if c.strip()]
        events = events.of_category(*names)
    if args.since or args.until:
        events = events.select(_time_mask(events, args.since, args.until))
    if len(events) == 0:
        raise UsageError("No events left after --categories/--since/--until.")
    return result, events, boundary


def _is_json(path: str) -> bool:
    return str(path).lower().endswith((".json", ".geojson", ".json.gz", ".geojson.gz"))


def _local_ts(text: str, tz: str, option: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date, e.g. 2019-01-01.") from None
    return ts.tz_localize(tz) if ts.tzinfo is None else ts


def _time_mask(events: EventSet, since: str | None, until: str | None) -> np.ndarray:
    mask = np.ones(len(events), dtype=bool)
    if since:
        start = _local_ts(since, events.tz, "--since").tz_convert("UTC").tz_localize(None)
        mask &= events.t >= np.datetime64(start.as_unit("ns").value, "ns")
    if until:
        end = _local_ts(until, events.tz, "--until").tz_convert("UTC").tz_localize(None)
        mask &= events.t < np.datetime64(end.as_unit("ns").value, "ns")
    return mask


def first_input(args: argparse.Namespace) -> str:
    """Return the first input path (for titles)."""
    return str(args.input[0])


def _write_json(path: str, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")


def _grid(events: EventSet, cell: float, boundary: BaseGeometry | None) -> Grid:
    if not cell > 0:
        raise UsageError(f"--cell must be a positive number of metres, got {cell}.")
    return Grid.from_events(events, cell, boundary)


# --- hotspots -------------------------------------------------------------
def run_hotspots(args: argparse.Namespace) -> int:
    """Run KDE, Gi* and Local Moran's I on a grid and write GeoJSON (and optional map)."""
    from prossima.analysis.layers import hotspot_layer

    started = time.perf_counter()
    if args.permutations < 0:
        raise UsageError("--permutations must be 0 (analytic only) or more.")
    result, events, boundary = read_input(args)
    grid = _grid(events, args.cell, boundary)
    try:
        layer = hotspot_layer(
            events,
            grid,
            bandwidth=args.bandwidth,
            kernel=args.kernel,
            weights=args.weights,
            permutations=args.permutations,
            seed=args.seed,
            fdr=not args.no_fdr,
            progress=Progress("gi*"),
        )
    except ValueError as exc:
        if str(exc).startswith("weights"):
            raise UsageError(f"--{exc}") from None
        raise
    if layer.summary["fdr_left_nothing"]:
        print(
            f"warning: no cell is significant after the false discovery rate correction; "
            f"with {args.permutations} permutations the smallest p-value is "
            f"{1 / (args.permutations + 1):.4g} for {grid.n_cells} cells. Use more "
            "permutations, --no-fdr, or --permutations 0 for the analytic p-values.",
            file=sys.stderr,
        )
    grid.write_geojson(args.out, layer.properties)
    if args.png:
        from prossima.analysis.plot import plot_hotspots

        plot_hotspots(
            args.png,
            grid,
            layer.properties["kde"],
            layer.properties["gi_class"],
            f"{Path(first_input(args)).name}: {len(events)} events, {args.cell:g} m cells",
        )
    if args.summary:
        summary = dict(result.summary)
        summary.update({k: v for k, v in layer.summary.items() if k != "fdr_left_nothing"})
        summary["seconds"] = round(time.perf_counter() - started, 3)
        _write_json(args.summary, summary)
    return 0


# --- nearrepeat -----------------------------------------------------------
def run_nearrepeat(args: argparse.Namespace) -> int:
    """Run the Knox near-repeat test and write its tables as JSON."""
    from prossima.analysis.hotspots.near_repeat import knox

    if args.permutations < 0:
        raise UsageError("--permutations must be 0 or more.")
    space = _parse_floats(args.space_bands, "--space-bands")
    times = _parse_floats(args.time_bands, "--time-bands")
    result, events, _ = read_input(args)
    if events.time_resolution == "month" and len(times) > 1 and times[1] - times[0] < 28:
        print(
            "warning: this data only has the month of each event; time bands shorter than a "
            "month cannot separate repeats.",
            file=sys.stderr,
        )
    res = knox(events, space, times, args.permutations, args.seed, Progress("knox"))
    doc = res.to_dict()
    doc["time_resolution"] = events.time_resolution
    _write_json(args.json, doc)
    if args.summary:
        summary = dict(result.summary)
        summary.update(
            {"events_analysed": len(events), "permutations": args.permutations, "seed": args.seed}
        )
        _write_json(args.summary, summary)
    return 0


# --- emerging -------------------------------------------------------------
def run_emerging(args: argparse.Namespace) -> int:
    """Run emerging hot spot analysis and write one category per cell as GeoJSON."""
    from prossima.analysis.hotspots.emerging import CATEGORIES
    from prossima.analysis.layers import emerging_layer

    result, events, boundary = read_input(args)
    grid = _grid(events, args.cell, boundary)
    layer = emerging_layer(
        events,
        grid,
        step=args.step,
        time_window=args.time_window,
        alpha=args.alpha,
        trend_alpha=args.trend_alpha,
        fdr=args.fdr,
        progress=Progress("emerging"),
    )
    grid.write_geojson(args.out, layer.properties)
    if args.png:
        from prossima.analysis.plot import plot_categories

        plot_categories(
            args.png,
            grid,
            layer.properties["category"],
            CATEGORIES,
            f"Emerging hot spots, {len(layer.summary['steps'])} steps of {args.step}",
        )
    if args.summary:
        summary = dict(result.summary)
        summary.update(layer.summary)
        _write_json(args.summary, summary)
    return 0
