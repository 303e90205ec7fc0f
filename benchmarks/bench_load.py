"""Load-test the served platform: public pages, the map layer API and citizen reports.

Usage: .venv/bin/python benchmarks/bench_load.py [--db sqlite|postgres]
       [--users 100] [--spawn-rate 50] [--duration 120] [--wait 1] [--reports 3]
       [--output results.json]

The database is throwaway (a SQLite file in a temporary folder, or a fresh
PostgreSQL database on 127.0.0.1:5432 dropped afterwards). :func:`prepare`
migrates it, loads the territory of Emilia-Romagna, creates the Comune di
Bologna as a tenant that receives reports, and the Toronto partner city with
the real downtown extract of ``tests/data`` (11,740 incidents) and a published
hotspot map of 2019. The platform is then served as ``prossima serve
--no-worker`` does (gunicorn, 2 workers x 4 threads, DEBUG off) with
``PROSSIMA_TRUSTED_PROXY_HOPS=1``, and locust runs ``locustfile_platform.py``
headless: anonymous visitors open the home page, the public map and its layer,
and file reports with a photo, each user from its own address.

Afterwards every accepted report is looked up: each must be in the database
exactly once with its photo on disk and its audit record. Figures per request
kind (p50, p95, requests/s, failures) are printed and, with --output, written
as JSON. tests/security/test_load.py runs the same scenario for 25 s in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpu_model, machine
from bench_public_layer import Row, _read_failures, _read_stats, _server, _throwaway_postgres

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_platform.py"
EXTRACT = REPO / "tests" / "data" / "toronto_mci_extract.csv.gz"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BOLOGNA = "037006"
# Piazza Maggiore, Bologna: inside the comune, so reports go to its tenant.
REPORT_POINT = (11.3426, 44.4937)


def server_environment(home: Path, database_url: str) -> dict[str, str]:
    """Return the environment of a throwaway production-like platform in ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DATABASE_CONN_MAX_AGE", "DEBUG"}
    }
    env.update(
        {
            "PROSSIMA_HOME": str(home),
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "prossima.config.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            # One reverse proxy in front, as in production: each visitor's own
            # address (X-Forwarded-For) is what the per-client limits count.
            "PROSSIMA_TRUSTED_PROXY_HOPS": "1",
        }
    )
    return env


def prepare(with_map: bool = True) -> dict[str, Any]:
    """Fill the configured (empty) database with the load-test scenario; return its names.

    Without ``with_map`` only Bologna and the report categories are set up (the
    PostgreSQL restart test needs no hotspot map).
    """
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from prossima.accounts.actions import do_create_organisation
    from prossima.accounts.models import OrganisationKind
    from prossima.analytics.actions import do_launch_run, do_publish_run
    from prossima.analytics.models import AnalysisRun
    from prossima.incidents.actions import (
        do_create_dataset,
        do_import_incidents,
        do_install_report_categories,
    )
    from prossima.incidents.queries import report_categories
    from prossima.jobs.models import Job
    from prossima.jobs.runner import run_job
    from prossima.territory.models import Comune

    call_command("migrate", verbosity=0)
    call_command("load_territory", regions="08", verbosity=0)
    bologna = Comune.objects.get(istat_code=BOLOGNA)
    do_create_organisation(
        None, name="Comune di Bologna (load test)", kind=OrganisationKind.COMUNE, comune=bologna
    )
    do_install_report_categories()
    category = report_categories().filter(sensitive=False).order_by("position").first()
    assert category is not None
    lon, lat = REPORT_POINT
    names: dict[str, Any] = {"category": category.pk, "lon": lon, "lat": lat}
    if not with_map:
        connections.close_all()
        return names
    toronto = do_create_organisation(
        None,
        name="Toronto, partner city (load test)",
        kind=OrganisationKind.PARTNER_CITY,
        country="CA",
        city="Toronto",
        timezone_name="America/Toronto",
    )
    dataset = do_create_dataset(None, toronto, name="MCI downtown")
    do_import_incidents(None, dataset, EXTRACT)
    run = do_launch_run(None, dataset, "hotspots", {"since": "2019-01-01", "until": "2020-01-01"})
    assert run.job_id is not None
    status = run_job(run.job_id)
    if status != Job.Status.DONE:
        sys.exit(f"The hotspot job ended {status}: {Job.objects.get(pk=run.job_id).error}")
    do_publish_run(None, AnalysisRun.objects.select_related("tenant", "dataset").get(pk=run.pk))
    connections.close_all()  # the server's processes must find no writer on SQLite
    return {**names, "slug": toronto.slug}


def prepare_in_subprocess(
    env: dict[str, str], log: Path, *, with_map: bool = True
) -> dict[str, Any]:
    """Run :func:`prepare` in a fresh interpreter with ``env``; return its names."""
    command = [sys.executable, str(Path(__file__).resolve()), "--prepare-only"]
    with log.open("wb") as out:
        done = subprocess.run(
            command if with_map else [*command, "--without-map"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=out,
            check=False,
            timeout=600,
        )
    if done.returncode != 0:
        raise RuntimeError(f"preparation failed:\n{log.read_text()[-4000:]}")
    scenario: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return scenario


def run_locust(
    url: str,
    scenario: dict[str, Any],
    *,
    users: int,
    spawn_rate: float,
    duration: int,
    wait: float,
    reports: int,
    folder: Path,
) -> tuple[list[Row], list[str], Path]:
    """Run the visitors headless; return locust's stats rows, its failures and the titles file."""
    prefix = folder / "locust"
    submitted = folder / "submitted.txt"
    submitted.touch()
    env = {
        **os.environ,
        "PROSSIMA_BENCH_SLUG": scenario["slug"],
        "PROSSIMA_BENCH_CATEGORY": str(scenario["category"]),
        "PROSSIMA_BENCH_LON": str(scenario["lon"]),
        "PROSSIMA_BENCH_LAT": str(scenario["lat"]),
        "PROSSIMA_BENCH_WAIT": str(wait),
        "PROSSIMA_BENCH_REPORTS": str(reports),
        "PROSSIMA_BENCH_SUBMITTED": str(submitted),
    }
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{duration}s",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        # Let users finish the request they are in, so no accepted report goes unlogged.
        "--stop-timeout",
        "30",
    ]
    log = folder / "locust.log"
    with log.open("wb") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode not in (0, 1):  # 1: some requests failed, in the failures file
        raise RuntimeError(f"locust ended with exit {done.returncode}:\n{log.read_text()}")
    failures = _read_failures(Path(f"{prefix}_failures.csv"))
    return _read_stats(Path(f"{prefix}_stats.csv")), failures, submitted


def figures(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Return p50, p95, requests/s and failures per request kind (and in aggregate)."""
    return {
        r.name: {
            "requests": r.requests,
            "failures": r.failures,
            "error_rate": r.failures / r.requests if r.requests else 0.0,
            "rps": round(r.rps, 1),
            "p50_ms": r.median,
            "p95_ms": r.p95,
            "p99_ms": r.p99,
            "max_ms": r.maximum,
        }
        for r in rows
    }


def print_figures(table: dict[str, dict[str, float]]) -> None:
    """Print the figures as a table."""
    print("  request          count  fail   req/s    p50    p95    p99     max  (ms)")
    for name, f in table.items():
        print(
            f"  {name:<15} {f['requests']:6,.0f} {f['failures']:5,.0f} {f['rps']:7.1f} "
            f"{f['p50_ms']:6.0f} {f['p95_ms']:6.0f} {f['p99_ms']:6.0f} {f['max_ms']:7.0f}"
        )


def verify_reports(titles: list[str], media_root: Path) -> dict[str, Any]:
    """Check each accepted report is stored once, with its photo file and audit record."""
    from collections import Counter

    from prossima.accounts.models import AuditEvent
    from prossima.incidents.models import CitizenReport

    stored = Counter(
        CitizenReport.objects.filter(title__startswith="Load test").values_list("title", flat=True)
    )
    reports = CitizenReport.objects.filter(title__in=titles)
    audited = set(
        AuditEvent.objects.filter(object_type="incidents.citizenreport").values_list(
            "object_id", flat=True
        )
    )
    return {
        "accepted": len(titles),
        "missing": [t for t in titles if stored[t] == 0],
        "duplicated": [t for t, n in stored.items() if n > 1],
        "unexpected": [t for t in stored if t not in set(titles)],
        "without_photo": [
            r.title for r in reports if not r.photo or not (media_root / r.photo.name).is_file()
        ],
        "without_audit": [r.title for r in reports if str(r.pk) not in {str(a) for a in audited}],
    }


def run(args: argparse.Namespace) -> None:
    """Prepare a throwaway platform, serve it, load it and report the figures."""
    with tempfile.TemporaryDirectory(prefix="prossima-load-") as name:
        tmp = Path(name)
        if args.db == "postgres":
            with _throwaway_postgres(POSTGRES_URL, f"prossima_load_{os.getpid()}") as url:
                _run(args, tmp, url)
        else:
            _run(args, tmp, f"sqlite:///{tmp / 'load.sqlite3'}")


def _run(args: argparse.Namespace, tmp: Path, database_url: str) -> None:
    env = server_environment(tmp, database_url)
    os.environ.update(env)
    start = time.perf_counter()
    scenario = prepare_in_subprocess(env, tmp / "prepare.log")
    print(f"machine: {machine()}; CPU: {cpu_model()}")
    print(f"database: {args.db}; preparation {time.perf_counter() - start:.0f} s")
    with _server(2, tmp / "server.log") as (url, _proc):
        print(
            f"locust: {args.users} users, spawn {args.spawn_rate}/s, {args.duration} s, "
            f"mean think time {args.wait} s, at most {args.reports} reports per user"
        )
        rows, failures, submitted = run_locust(
            url,
            scenario,
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=args.duration,
            wait=args.wait,
            reports=args.reports,
            folder=tmp,
        )
    table = figures(rows)
    print_figures(table)
    for failure in failures:
        print(f"  failed: {failure}")
    import django

    django.setup()
    check = verify_reports(submitted.read_text().split("\n")[:-1], tmp / "var" / "media")
    print(
        f"reports accepted {check['accepted']}; missing {len(check['missing'])}, duplicated "
        f"{len(check['duplicated'])}, unexpected {len(check['unexpected'])}, without photo "
        f"{len(check['without_photo'])}, without audit record {len(check['without_audit'])}"
    )
    if args.output:
        Path(args.output).write_text(
            json.dumps(
                {"db": args.db, "machine": machine(), "figures": table, "reports": check}, indent=2
            )
        )
    from django.db import connections

    connections.close_all()


def main() -> None:
    """Parse the options and run the benchmark (or only the preparation, for the test)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--without-map", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--duration", type=int, default=120, help="seconds (default 120)")
    parser.add_argument("--wait", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--reports", type=int, default=3, help="reports per user at most")
    parser.add_argument("--output", help="write the figures as JSON here")
    args = parser.parse_args()
    if args.prepare_only:
        scenario = prepare(with_map=not args.without_map)
        print(json.dumps(scenario))
        return
    with contextlib.suppress(KeyboardInterrupt):
        run(args)


if __name__ == "__main__":
    main()
