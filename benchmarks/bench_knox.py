"""Time the Knox near-repeat test on 50,000 real events with 99 permutations.

Usage: .venv/bin/python benchmarks/bench_knox.py [--events 50000] [--permutations 99]

Events are drawn without replacement (seed 0) from the Toronto MCI file; bands
are the usual 0,200,400,600,800 m x 0,7,14,21,28 days. Only close pairs are
enumerated with a KD-tree, so the cost grows with the number of pairs closer
than the last spatial edge, which is printed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.spatial import cKDTree

from _common import data_dir, machine
from prossima.analysis.hotspots.near_repeat import knox
from prossima.analysis.io import read_events


def main() -> None:
    """Run the benchmark and print the timing."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--permutations", type=int, default=99)
    args = parser.parse_args()
    events = read_events(data_dir() / "toronto_mci_2014_2019.csv.gz").events
    rng = np.random.default_rng(0)
    sample = events.select(np.sort(rng.choice(len(events), args.events, replace=False)))
    pairs = len(cKDTree(np.column_stack([sample.x, sample.y])).query_pairs(800.0))
    space, time_bands = [0, 200, 400, 600, 800], [0, 7, 14, 21, 28]
    start = time.perf_counter()
    res = knox(sample, space, time_bands, permutations=args.permutations, seed=1)
    elapsed = time.perf_counter() - start
    print(f"machine: {machine()}")
    print(f"events: {len(sample)}, pairs within 800 m: {pairs}")
    print(f"knox with {args.permutations} permutations: {elapsed:.2f} s")
    print("knox ratio (rows 0-200..800+ m, columns 0-7..28+ days):")
    print(np.array2string(res.knox_ratio, precision=3))


if __name__ == "__main__":
    main()
