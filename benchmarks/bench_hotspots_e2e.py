"""Time ``prossima hotspots`` end to end on 1 million events, with its peak memory.

Usage: .venv/bin/python benchmarks/bench_hotspots_e2e.py [--rows 1000000] [--cell 200]

The input is built by resampling rows of the Toronto MCI file (with
replacement, seed 0) into a temporary CSV that is deleted afterwards. The
command runs in a fresh subprocess (read CSV, project, grid, KDE, Gi*, Local
Moran, write GeoJSON); wall time is measured around it and peak memory is the
child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import REPO, data_dir, machine
from prossima.analysis.io import read_events


def main() -> None:
    """Build the input, run the command and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cell", type=float, default=200.0)
    parser.add_argument("--gzip", action="store_true", help="write the input as .csv.gz")
    args = parser.parse_args()
    src = pd.read_csv(data_dir() / "toronto_mci_2014_2019.csv.gz", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    sample = src.iloc[rng.integers(0, len(src), args.rows)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("mci_1m.csv.gz" if args.gzip else "mci_1m.csv")
        sample.to_csv(path, index=False)
        out = Path(tmp) / "cells.geojson"
        summary = Path(tmp) / "summary.json"
        cmd = [
            sys.executable, "-m", "prossima.analysis.cli", "hotspots", str(path),
            "--cell", f"{args.cell:g}", "--out", str(out), "--summary", str(summary),
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=REPO)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        s = json.loads(summary.read_text())
        start = time.perf_counter()
        read_events(path)
        read_s = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        out_mb = out.stat().st_size / 1e6
    print(f"machine: {machine()}")
    print(f"input: {args.rows} rows resampled from Toronto MCI, {size_mb:.0f} MB {path.suffix}")
    print(
        f"command: prossima hotspots INPUT --cell {args.cell:g} --out cells.geojson --summary ..."
    )
    print(f"events accepted: {s['accepted']}, cells: {s['cells']}, GeoJSON {out_mb:.1f} MB")
    print(f"wall time: {wall:.2f} s (in-command {s['seconds']:.2f} s + interpreter start/imports)")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(f"reader alone (read_events, in process): {read_s:.2f} s")


if __name__ == "__main__":
    main()
