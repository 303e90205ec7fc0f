"""Benchmark forecast accuracy and speed on the Toronto MCI data (not a timed test).

Weekly periods over the test year, 150 m cells, every forecast fitted only
on events before its origin (rolling origin, refit every week unless
--refit-every says otherwise), the default model against the naive baselines
(retrospective counts over 90, 365 and 730 days) on the same cells.

    .venv/bin/python benchmarks/bench_forecast.py                  # all categories
    .venv/bin/python benchmarks/bench_forecast.py --category "Break and Enter"
    .venv/bin/python benchmarks/bench_forecast.py --category "Break and Enter" --own-category-only
    .venv/bin/python benchmarks/bench_forecast.py --sepp-fit       # SEPP fit time, 2 years
    .venv/bin/python benchmarks/bench_forecast.py --models all --json out.json

Data: $PROSSIMA_DATA or ../shared/data next to the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir, machine
from prossima.analysis.forecast import MODELS
from prossima.analysis.forecast.backtest import backtest
from prossima.analysis.io import read_events

BASELINES = [
    "retrospective:window_days=90",
    "retrospective:window_days=365",
    "retrospective:window_days=730",
]


def _sepp_fit(events: object) -> None:
    from prossima.analysis.forecast.sepp import SEPP
    from prossima.analysis.grid import Grid

    past = events.between("2017-01-01T00:00-05:00", "2019-01-01T00:00-05:00")  # type: ignore[attr-defined]
    grid = Grid.from_events(past, 150.0)
    t0 = time.perf_counter()
    model = SEPP().fit(past, grid)
    secs = time.perf_counter() - t0
    print(
        f"SEPP fit on {len(past)} events (2017-2018), {grid.n_cells} cells of 150 m: "
        f"{secs:.1f} s, {model.n_iter_} EM iterations, {model.n_pairs_} candidate pairs; "
        f"theta={model.theta_:.3f}, mean delay={1 / model.omega_:.1f} d, "
        f"sigma={model.sigma_:.0f} m, triggered share={model.trigger_share_:.3f}"
    )


def main() -> int:
    """Run the benchmark and print a summary table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--category", help="keep only this MCI category, e.g. 'Break and Enter'")
    p.add_argument("--models", default="ensemble", help="comma list, or 'all' (default ensemble)")
    p.add_argument("--test-start", default="2019-01-01")
    p.add_argument("--test-end", default="2019-12-31")
    p.add_argument("--horizon", default="7")
    p.add_argument("--cell", type=float, default=150.0)
    p.add_argument("--refit-every", type=int, default=1)
    p.add_argument(
        "--own-category-only",
        action="store_true",
        help="with --category, do not give the models the other offence types (as before the "
        "all-types prior)",
    )
    p.add_argument("--json", help="write the backtest JSON here")
    p.add_argument("--sepp-fit", action="store_true", help="only time the SEPP fit on 2 years")
    args = p.parse_args()

    print(machine())
    path = data_dir() / "toronto_mci_2014_2019.csv.gz"
    events = read_events(path).events
    if args.sepp_fit:
        _sepp_fit(events)
        return 0
    all_types = None
    if args.category:
        # As the CLI does: the default model sees every offence type as a prior.
        all_types = None if args.own_category_only else events
        events = events.of_category(args.category)
    chosen = list(MODELS) if args.models == "all" else args.models.split(",")
    specs = [*BASELINES, *[m for m in chosen if m not in BASELINES]]
    t0 = time.perf_counter()
    res = backtest(
        events,
        specs,
        args.test_start,
        args.test_end,
        args.horizon,
        cell_size=args.cell,
        refit_every=args.refit_every,
        all_types=all_types,
    )
    total = time.perf_counter() - t0
    best = max(BASELINES, key=lambda b: res.mean(b, "pai")[0.01])
    doc = res.to_json(baseline=best)
    doc["wall_seconds"] = total
    doc["category"] = args.category or "all"
    print(
        f"category={args.category or 'all'} periods={len(res.origins)} cells={res.grid.n_cells} "
        f"refit_every={args.refit_every} wall={total:.0f} s; best naive baseline at 1 %: {best}"
    )
    cov = res.coverages
    print(f"{'model':34s} " + " ".join(f"PAI@{c * 100:g}%".rjust(9) for c in cov) + "   fit s")
    for name in res.models:
        pai = res.mean(name, "pai")
        print(
            f"{name:34s} "
            + " ".join(f"{pai[c]:9.3f}" for c in cov)
            + f" {res.fit_seconds[name]:7.1f}"
        )
    for name in res.models:
        if name in BASELINES:
            continue
        ratios = [res.mean(name, "pai")[c] / res.mean(best, "pai")[c] for c in cov]
        print(
            f"{name} / {best}: "
            + ", ".join(f"{c * 100:g}%: {r:.3f}x" for c, r in zip(cov, ratios, strict=True))
        )
        for key, d in res.paired(name, best).items():
            print(
                f"   PAI@{key}% paired diff per week: mean {d['mean_difference']:+.3f}, "
                f"t 95% CI [{d['t_ci95'][0]:+.3f}, {d['t_ci95'][1]:+.3f}], "
                f"bootstrap [{d['bootstrap_ci95'][0]:+.3f}, {d['bootstrap_ci95'][1]:+.3f}], "
                f"better in {d['share_of_periods_better'] * 100:.0f}% of weeks"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
