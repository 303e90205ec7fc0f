"""Time the national indicator map: every comune of Italy, read from stored aggregates.

Usage: .venv/bin/python benchmarks/bench_indicator_map.py [--database sqlite|postgresql]
       [--repeat 15]

A throwaway database is migrated (SQLite in a temporary folder, or a database
``prossima_bench_indicators`` created on the PostgreSQL at 127.0.0.1:5432, user
postgres, and dropped afterwards) and loaded with the whole Italian territory
(7,899 comuni, ISTAT population). The indicator "residents aged 65 and over"
is computed and stored for every comune: it is real data, so the map has a
value everywhere, the heaviest case for the page.

Timed, as the browser loads the map page: the JSON of values by comune and
region (``/reports/indicators/residents_65/map.json``) with an empty cache
(after a recomputation) and with a warm one, and the region shapes
(``/reports/regions.geojson``), against the target of 1 second for the data a
map needs. The reference, measured in the same run, is computing the indicator
again from the population tables, which is what the map would cost without
stored aggregates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_database, machine, throwaway_django

DATABASE = "prossima_bench_indicators"

TARGET_S = 1.0
YEAR = 2025


def _time(fn: Any, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    throwaway_django(DATABASE, args.database)
    try:
        from django.core.cache import cache
        from django.test import Client

        from prossima.reports.actions.indicators import _forget_maps, do_compute_indicators
        from prossima.reports.models import IndicatorValue

        print(machine())
        print(f"database: {args.database}")
        compute_median, compute_p95 = _time(
            lambda: do_compute_indicators(YEAR, ["residents_65"]), 3
        )
        stored = IndicatorValue.objects.filter(indicator="residents_65", year=YEAR).count()
        print(f"stored values: {stored} comuni")
        client = Client()
        url = f"/reports/indicators/residents_65/map.json?year={YEAR}"

        def cold() -> None:
            _forget_maps()
            response = client.get(url)
            assert response.status_code == 200
            assert len(response.json()["comuni"]) == stored

        def warm() -> None:
            assert client.get(url).status_code == 200

        def shapes() -> None:
            cache.delete("reports:region-shapes")
            assert client.get("/reports/regions.geojson").status_code == 200

        size = len(client.get(url).content)
        rows = [
            ("values, empty cache", *_time(cold, args.repeat)),
            ("values, warm cache", *_time(warm, args.repeat)),
            ("region shapes, empty cache", *_time(shapes, args.repeat)),
        ]
        print(f"values JSON: {size / 1024:.0f} KiB")
        print(f"{'request':<30} {'median':>9} {'p95':>9} {'x target':>9}")
        for label, median, p95 in rows:
            print(
                f"{label:<30} {median * 1000:>7.0f}ms {p95 * 1000:>7.0f}ms {p95 / TARGET_S:>8.2f}x"
            )
        page = rows[0][2] + rows[2][2]
        print(
            f"map data, both requests cold (p95): {page * 1000:.0f} ms = "
            f"{page / TARGET_S:.2f}x the 1 s target"
        )
        print(
            f"reference, computing the indicator from the population tables: "
            f"median {compute_median * 1000:.0f} ms (p95 {compute_p95 * 1000:.0f} ms), "
            f"{compute_median / max(rows[0][1], 1e-9):.1f}x the stored read"
        )
    finally:
        drop_database(DATABASE, args.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
