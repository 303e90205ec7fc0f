"""Time a patrol plan for one shift (target: under 1 s), on the demo's Toronto data.

Builds a throwaway SQLite database, imports the shipped Toronto extract
(66,165 incidents, 2018-2019), computes a forecast (the default ensemble,
through the job runner) and eight beats of 250 m cells, then times
``do_create_patrol_plan`` for a six-hour shift in every beat, several times.

    .venv/bin/python benchmarks/bench_patrol_plan.py [--repeat 5] [--model ensemble]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from _common import cpu_model, machine
from bench_public_layer import _configure

TARGET_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="plans per beat (default: 5)")
    parser.add_argument("--model", default="ensemble", help="forecast model (default: ensemble)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _configure(Path(tmp), f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        import django

        django.setup()
        from django.core.management import call_command

        from prossima.accounts.actions import do_create_organisation
        from prossima.accounts.models import OrganisationKind
        from prossima.analytics.actions import do_launch_run
        from prossima.demo import TORONTO_FILE
        from prossima.incidents.actions import do_create_dataset, do_import_incidents
        from prossima.jobs.runner import run_job
        from prossima.policing.actions import do_create_patrol_plan, do_request_beats

        call_command("migrate", verbosity=0)
        city = do_create_organisation(
            None,
            name="Toronto (benchmark)",
            kind=OrganisationKind.PARTNER_CITY,
            country="CA",
            timezone_name="America/Toronto",
        )
        dataset = do_create_dataset(None, city, name="Toronto MCI 2018-2019")
        do_import_incidents(None, dataset, TORONTO_FILE)
        started = time.perf_counter()
        run = do_launch_run(None, dataset, "forecast", {"model": args.model})
        run_job(run.job_id)  # type: ignore[arg-type]
        forecast_s = time.perf_counter() - started
        started = time.perf_counter()
        plan = do_request_beats(None, city, name="Beats", n_beats=8, dataset=dataset)
        run_job(plan.job_id)  # type: ignore[arg-type]
        beats_s = time.perf_counter() - started
        plan.refresh_from_db()
        shift = dt.datetime(2020, 1, 2, 14, 0, tzinfo=dt.UTC)
        times: list[float] = []
        boxes: list[int] = []
        for beat in plan.beats.all():
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                patrol = do_create_patrol_plan(
                    None, beat, shift_start=shift, shift_end=shift + dt.timedelta(hours=6)
                )
                times.append(time.perf_counter() - t0)
            boxes.append(patrol.boxes.count())
        print(machine())
        print(f"CPU: {cpu_model()}")
        print(
            f"forecast ({args.model}) {forecast_s:.1f} s; 8 beats of {len(plan.cell_ids)} "
            f"cells {beats_s:.1f} s; boxes per plan {min(boxes)}-{max(boxes)}"
        )
        median, worst = statistics.median(times), max(times)
        print(
            f"patrol plan for a 6-hour shift, {len(times)} plans: median {median * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms; max / {TARGET_SECONDS:g} s target = "
            f"{worst / TARGET_SECONDS:.2f}x"
        )


if __name__ == "__main__":
    main()
