"""Define the analysis verbs of the command line: ``hotspots``, ``nearrepeat``, ``emerging``.

``register(subparsers)`` adds the three verbs to an ``argparse`` sub-parser
set (the top-level ``prossima`` command calls it); each verb's parser carries
``func``, which takes the parsed Namespace and returns an exit code.
``main(argv)`` runs them standalone: ``python -m prossima.analysis.cli hotspots ...``.
The work itself lives in ``prossima.analysis.commands``, imported only when a
verb runs, so that registering the verbs (and ``prossima --help``) stays fast.

Exit codes: 0 success, 2 bad input or options (one message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main", "register"]

Handler = Callable[[argparse.Namespace], int]

# Same as prossima.analysis.io.FORMATS (a test keeps them equal); repeated to avoid the import.
FORMATS = ("auto", "policeuk", "toronto", "generic", "geojson")


# --- shared options -------------------------------------------------------
def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        nargs="+",
        help="incident file(s): CSV (optionally .gz) or GeoJSON of points; several files of "
        "the same format are analysed together (e.g. one police.uk file per month)",
    )
    g = p.add_argument_group("reading the input")
    g.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="file layout: 'auto' recognises police.uk and Toronto MCI files from their header; "
        "'generic' reads any CSV with the column options below (default: auto)",
    )
    g.add_argument("--x", help="generic format: column with the longitude (or x, see --source-crs)")
    g.add_argument("--y", help="generic format: column with the latitude (or y)")
    g.add_argument("--time", help="generic format: column with the date and time of the event")
    g.add_argument("--category", help="generic format: column with the type of offence")
    g.add_argument("--weight", help="generic format: column with a weight per event (e.g. victims)")
    g.add_argument(
        "--time-format",
        help="generic format: how times are written, as strftime codes, e.g. '%%d/%%m/%%Y %%H:%%M' "
        "(default: ISO 8601 such as 2024-05-01T14:30)",
    )
    g.add_argument(
        "--timezone",
        default="UTC",
        help="generic format: time zone of times written without a UTC offset, "
        "e.g. Europe/Rome (default: UTC)",
    )
    g.add_argument(
        "--source-crs",
        help="generic format: CRS of --x/--y when they are not WGS84 longitude/latitude, "
        "e.g. EPSG:3003",
    )
    g.add_argument("--encoding", default="utf-8", help="text encoding of the file (default: utf-8)")
    g.add_argument(
        "--categories",
        help="keep only these offence types, comma separated, e.g. 'Assault,Robbery'",
    )
    g.add_argument(
        "--since",
        help="keep only events at or after this date/time, e.g. 2018-01-01 (local time)",
    )
    g.add_argument("--until", help="keep only events before this date/time, e.g. 2019-01-01")
    a = p.add_argument_group("study area and projection")
    a.add_argument(
        "--crs",
        help="metric map projection for distances and cells, e.g. EPSG:32632 "
        "(default: the UTM zone of the centre of the data)",
    )
    a.add_argument(
        "--boundary",
        help="GeoJSON file (WGS84) with the study-area polygon(s); events outside are rejected "
        "and cells are laid over it (default: the convex hull of the events)",
    )
    a.add_argument(
        "--bbox",
        help="reject events outside this box: lon_min,lat_min,lon_max,lat_max "
        "(default: the area of the data source, e.g. Toronto, or the whole world)",
    )
    o = p.add_argument_group("reports")
    o.add_argument(
        "--rejects",
        help="write every unusable row to this CSV: line number, reason, field, value",
    )
    o.add_argument(
        "--summary",
        help="write a JSON summary: rows read, accepted, rejected by reason, parameters, results",
    )


# --- wiring ---------------------------------------------------------------
def _guarded(name: str) -> Handler:
    """Return a handler that runs ``commands.<name>``, turning expected failures into exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            from prossima.analysis import commands

            func: Handler = getattr(commands, name)
            return func(args)
        except (ValueError, OSError, ImportError, KeyError) as exc:
            msg = str(exc) or exc.__class__.__name__
            print(f"prossima {args.command}: error: {msg}", file=sys.stderr)
            return 2

    return run


def register(subparsers: Any) -> None:
    """Add the ``hotspots``, ``nearrepeat`` and ``emerging`` verbs to ``subparsers``."""
    fmt = argparse.RawDescriptionHelpFormatter
    h = subparsers.add_parser(
        "hotspots",
        help="map where incidents concentrate (kernel density, Gi* hot spots, Local Moran)",
        description=(
            "Count incidents in square cells, smooth them with a kernel density, and test each\n"
            "cell for hot/cold spots with Getis-Ord Gi* (classes -3..3 at 99/95/90 %) and\n"
            "Local Moran's I (HH/LH/LL/HL). Writes a GeoJSON of cells in WGS84 with the\n"
            "properties cell_id, count, kde, gi_z, gi_p, gi_class, lisa_class."
        ),
        epilog=(
            "Output properties per cell:\n"
            "  cell_id     stable id '<size>m_E<col>_N<row>' (same square, same id)\n"
            "  count       incidents in the cell\n"
            "  kde         kernel density, incidents per km2\n"
            "  gi_z        Getis-Ord Gi* z-score (high = more incidents around than expected)\n"
            "  gi_p        two-sided p-value of gi_z (from the shuffles with --permutations)\n"
            "  gi_class    3/2/1 hot spot at 99/95/90 % confidence, -3/-2/-1 cold, 0 neither\n"
            "              (after the false discovery rate correction unless --no-fdr)\n"
            "  lisa_class  Local Moran quadrant HH, LH, LL, HL where p < 0.05, else ns\n"
            "Rows that cannot be used are never silently dropped: see --rejects and --summary."
        ),
        formatter_class=fmt,
    )
    _input_options(h)
    s = h.add_argument_group("analysis")
    s.add_argument("--cell", type=float, default=200.0, help="cell side in metres (default: 200)")
    s.add_argument(
        "--bandwidth",
        type=float,
        help="kernel density search radius in metres (default: chosen from the spread of the "
        "events by the ArcGIS/Silverman rule, at least one cell)",
    )
    s.add_argument(
        "--kernel",
        choices=("quartic", "gaussian"),
        default="quartic",
        help="kernel shape for the density (default: quartic)",
    )
    s.add_argument(
        "--weights",
        default="queen",
        help="which cells count as neighbours: 'queen' (the 8 touching cells), "
        "'distance:METRES' (cell centres within that distance) or 'knn:K' (K nearest cells); "
        "the cell itself always counts for Gi* (default: queen)",
    )
    s.add_argument(
        "--permutations",
        type=int,
        default=0,
        help="random shuffles for pseudo p-values; 0 uses the normal approximation only "
        "(default: 0; 999 is usual)",
    )
    s.add_argument("--seed", type=int, default=None, help="random seed, for repeatable p-values")
    s.add_argument(
        "--no-fdr",
        action="store_true",
        help="do not correct p-values for testing many cells at once (by default the "
        "Benjamini-Hochberg false discovery rate correction is applied)",
    )
    out = h.add_argument_group("outputs")
    out.add_argument("--out", required=True, help="GeoJSON file to write, one polygon per cell")
    out.add_argument("--png", help="also draw a map (density and hot/cold spots) to this PNG file")
    h.set_defaults(func=_guarded("run_hotspots"), command="hotspots")

    n = subparsers.add_parser(
        "nearrepeat",
        help="test whether incidents are followed by others nearby soon after (Knox test)",
        description=(
            "Count pairs of incidents by distance band and time band and compare them with\n"
            "what shuffling the times gives (Knox test, as in Ratcliffe's Near Repeat\n"
            "Calculator). Writes JSON with space_bands, time_bands, observed, expected,\n"
            "knox_ratio and p_value (rows: distance bands, columns: time bands)."
        ),
        formatter_class=fmt,
    )
    _input_options(n)
    s = n.add_argument_group("analysis")
    s.add_argument(
        "--space-bands",
        default="0,200,400,600,800",
        help="distance band edges in metres; a last band 'beyond the last edge' is added "
        "(default: 0,200,400,600,800)",
    )
    s.add_argument(
        "--time-bands",
        default="0,7,14,21,28",
        help="time band edges in days; a last band 'beyond the last edge' is added "
        "(default: 0,7,14,21,28)",
    )
    s.add_argument("--permutations", type=int, default=99, help="time shuffles (default: 99)")
    s.add_argument("--seed", type=int, default=None, help="random seed, for repeatable p-values")
    out = n.add_argument_group("outputs")
    out.add_argument("--json", required=True, help="JSON file to write the tables to")
    n.set_defaults(func=_guarded("run_nearrepeat"), command="nearrepeat")

    e = subparsers.add_parser(
        "emerging",
        help="classify cells as new, intensifying, persistent ... hot or cold spots over time",
        description=(
            "Count incidents per cell and time step, run Gi* in every step and a Mann-Kendall\n"
            "trend test per cell, and give each cell an emerging hot spot category (new,\n"
            "consecutive, intensifying, persistent, diminishing, sporadic, oscillating,\n"
            "historical hot/cold spot, or no pattern). Writes GeoJSON in WGS84."
        ),
        formatter_class=fmt,
    )
    _input_options(e)
    s = e.add_argument_group("analysis")
    s.add_argument("--cell", type=float, default=250.0, help="cell side in metres (default: 250)")
    s.add_argument(
        "--step",
        default="1M",
        help="time step: e.g. 1M (calendar month), 3M, 1W (week), 14D (default: 1M)",
    )
    s.add_argument(
        "--time-window",
        type=int,
        default=1,
        help="how many previous time steps count as neighbours of a cell, besides its own "
        "step (default: 1, as ArcGIS's neighbourhood time step)",
    )
    s.add_argument(
        "--alpha",
        type=float,
        default=0.10,
        help="p-value below which a cell is a hot/cold spot in a step (default: 0.10)",
    )
    s.add_argument(
        "--trend-alpha",
        type=float,
        default=0.05,
        help="p-value below which a Mann-Kendall trend counts (default: 0.05)",
    )
    s.add_argument(
        "--fdr",
        action="store_true",
        help="apply the Benjamini-Hochberg false discovery rate correction over all "
        "cells and steps",
    )
    out = e.add_argument_group("outputs")
    out.add_argument("--out", required=True, help="GeoJSON file to write, one polygon per cell")
    out.add_argument("--png", help="also draw a map of the categories to this PNG file")
    e.set_defaults(func=_guarded("run_emerging"), command="emerging")


def build_parser() -> argparse.ArgumentParser:
    """Return the standalone parser with the three analysis verbs."""
    parser = argparse.ArgumentParser(
        prog="prossima", description="Prossima spatial analysis of incident data."
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the verb and return its exit code."""
    return run_parser(build_parser(), argv)


def run_parser(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` with ``parser``, run the chosen verb and return its exit code."""
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code) if isinstance(exc.code, int) else 2
    func: Handler = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
