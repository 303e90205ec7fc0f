"""Time Gi* with analytic inference on a 500 x 500 grid against esda.G_Local.

Usage: .venv/bin/python benchmarks/bench_gi_star.py [--size 500] [--repeat 3]

Counts are the Toronto MCI events binned on a size x size raster over their
bounding box (real, heavily skewed counts with many empty cells). Both sides get
the same binary queen-plus-self weights; esda's weights object is built before
timing, so only the statistic is timed.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy import sparse

from _common import data_dir, machine
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.getis_ord import gi_star, gi_star_grid


def best_of(repeat: int, func: object) -> float:
    """Return the fastest of ``repeat`` wall-clock timings of ``func()``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Run the benchmark and print timings and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import esda
    from libpysal.weights import lat2W

    df = pd.read_csv(data_dir() / "toronto_mci_2014_2019.csv.gz", usecols=["Lat", "Long"])
    n = args.size
    lon, lat = df["Long"].to_numpy(), df["Lat"].to_numpy()
    col = np.minimum(((lon - lon.min()) / np.ptp(lon) * n).astype(int), n - 1)
    row = np.minimum(((lat - lat.min()) / np.ptp(lat) * n).astype(int), n - 1)
    counts = np.bincount(row * n + col, minlength=n * n).astype(float)
    grid = Grid.rectangle(n, n)
    w_ours = grid.queen_weights(include_self=True)

    start = time.perf_counter()
    w_esda = lat2W(n, n, rook=False)
    build = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(counts, w_esda, transform="B", star=True, permutations=0)
        t_esda = best_of(
            args.repeat,
            lambda: esda.G_Local(counts, w_esda, transform="B", star=True, permutations=0),
        )
    t_grid = best_of(args.repeat, lambda: gi_star_grid(counts, grid))
    t_sparse = best_of(args.repeat, lambda: gi_star(counts, w_ours))
    z_grid = gi_star_grid(counts, grid).z
    z_sparse = gi_star(counts, sparse.csr_matrix(w_ours)).z
    diff = max(np.abs(z_grid - ref.Zs).max(), np.abs(z_sparse - ref.Zs).max())

    print(f"machine: {machine()}")
    print(f"grid {n} x {n} = {n * n} cells, {int(counts.sum())} events, best of {args.repeat}")
    print(f"esda.G_Local(star=True, permutations=0): {t_esda:8.3f} s")
    print(f"  (building esda's lat2W weights, not timed above: {build:.2f} s)")
    print(f"prossima gi_star_grid (3x3 convolution): {t_grid:8.3f} s", end="")
    print(f"  ratio {t_esda / t_grid:7.1f}x")
    print(f"prossima gi_star (sparse weights)      : {t_sparse:8.3f} s", end="")
    print(f"  ratio {t_esda / t_sparse:7.1f}x")
    print(f"max |z - esda Zs| = {diff:.2e}")


if __name__ == "__main__":
    main()
