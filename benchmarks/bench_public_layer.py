"""Load-test the public hotspot layer of a tenant on the production server, with locust.

Usage: .venv/bin/python benchmarks/bench_public_layer.py [--db sqlite|postgres]
       [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
       [--users 50] [--spawn-rate 50] [--duration 30] [--wait 0] [--workers 2]
       [--scenarios layer,visit,home]

Needs locust: ``.venv/bin/pip install -e '.[test]'``.

The database is throwaway: a SQLite file in a temporary directory, or a
PostgreSQL database with a fresh name created on the server of
--postgres-url and dropped afterwards. The script migrates it, creates the
Toronto partner city and a dataset as the demo does, imports the shipped
extract (``toronto_mci_2018_2019.csv.gz``, 66,165 incidents) with
``do_import_incidents``, computes a hotspot run of 2019 through ``run_job``
(the function the worker calls) and publishes it.

It then starts ``prossima serve --no-worker`` (collectstatic, then gunicorn
with the serve command's workers and threads; DEBUG off) on a free local
port, in a subprocess with the same environment, and runs locust headless
against it, one scenario after another:

- ``layer``: every user fetches ``/analytics/<slug>/public/hotspots.json``;
- ``visit``: every user fetches the public page, then the layer;
- ``home``: every user fetches the home page (one count query and a
  template), the reference for what any Django page costs here.

Before the load, each URL is timed alone (sequential requests on one
connection). Locust runs on the same machine as the server, so both share
its cores: the figures are pessimistic for a server of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpu_model, machine

TARGET_MS = 100.0
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_public_layer.py"
# Locust user class of each scenario (see the locustfile).
SCENARIOS = {"layer": "LayerUser", "visit": "VisitorUser", "home": "HomeUser"}
HOTSPOT_PARAMS = {"since": "2019-01-01", "until": "2020-01-01"}
SEQUENTIAL_REQUESTS = 100


def _configure(home: Path, database_url: str, conn_max_age: int | None = None) -> None:
    """Point Django at the throwaway database before it reads its settings.

    The server inherits this environment. ``conn_max_age`` keeps database
    connections open between requests (unset: the settings' default, a new
    connection per request).
    """
    os.environ["PROSSIMA_HOME"] = str(home)  # secret key, job queue, static files
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "prossima.config.settings"
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    # No broker, no shared cache: the job runs here and each gunicorn worker
    # keeps its own in-memory cache, as in the embedded set-up.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_CONN_MAX_AGE"):
        os.environ.pop(name, None)
    if conn_max_age is not None:
        os.environ["DATABASE_CONN_MAX_AGE"] = str(conn_max_age)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def _throwaway_postgres(url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``url``, yield its URL, drop it afterwards."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(url, name)
    finally:
        from django.db import connections

        connections.close_all()  # the drop needs no session left on the database
        with psycopg.connect(url, autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _prepare() -> tuple[str, dict[str, Any]]:
    """Migrate, import the Toronto extract, compute and publish a hotspot run.

    Return the tenant's slug and figures about the preparation.
    """
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from prossima.accounts.actions import do_create_organisation
    from prossima.accounts.models import OrganisationKind
    from prossima.analytics.actions import do_launch_run, do_publish_run
    from prossima.analytics.models import AnalysisRun
    from prossima.demo import TORONTO_ATTRIBUTION, TORONTO_DATASET, TORONTO_FILE
    from prossima.incidents.actions import do_create_dataset, do_import_incidents
    from prossima.jobs.models import Job
    from prossima.jobs.runner import run_job

    info: dict[str, Any] = {}
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    info["migrate_s"] = time.perf_counter() - start
    toronto = do_create_organisation(
        None,
        name="Toronto, partner city (benchmark)",
        kind=OrganisationKind.PARTNER_CITY,
        country="CA",
        city="Toronto",
        timezone_name="America/Toronto",
    )
    dataset = do_create_dataset(
        None, toronto, name=TORONTO_DATASET, attribution=TORONTO_ATTRIBUTION
    )
    start = time.perf_counter()
    record = do_import_incidents(None, dataset, TORONTO_FILE)
    info["import_s"] = time.perf_counter() - start
    info["incidents"] = record.created

    start = time.perf_counter()
    run = do_launch_run(None, dataset, "hotspots", dict(HOTSPOT_PARAMS))
    assert run.job_id is not None
    status = run_job(run.job_id)
    if status != Job.Status.DONE:
        sys.exit(f"The hotspot job ended {status}: {Job.objects.get(pk=run.job_id).error}")
    run = AnalysisRun.objects.select_related("tenant", "dataset").get(pk=run.pk)
    info["run_s"] = time.perf_counter() - start
    do_publish_run(None, run)
    run.refresh_from_db()
    info["params"] = run.params
    info["events_analysed"] = run.events_analysed
    info["cells"] = run.summary.get("cells")
    info["public_features"] = run.public_layer.count('"type":"Feature"')
    info["public_min_count"] = run.public_min_count
    info["public_bytes"] = len(run.public_layer.encode())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        info["database"] = cursor.fetchone()[0].split(" on ")[0]
    # The server processes open their own connections; SQLite must see no writer.
    connections.close_all()
    return toronto.slug, info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _server(workers: int, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``prossima serve --no-worker`` on a free port; yield its URL and process."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "prossima",
        "serve",
        "--no-worker",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as out:
        # A session of its own, so the server, gunicorn and its workers stop together.
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # the log shows how far it got
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, port, log)
        yield url, proc
    finally:
        # What Ctrl+C does to `prossima serve` in a terminal: SIGINT to its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"The server stopped (exit {proc.returncode}):\n{log.read_text()}")
        try:
            status, _body, _elapsed = _get(http.client.HTTPConnection("127.0.0.1", port), "/")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return
        sys.exit(f"The server answers {status} on /:\n{log.read_text()}")
    sys.exit(f"The server did not answer within 120 s:\n{log.read_text()}")


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, float]:
    """GET ``path`` on ``conn``; return the status, the body and the seconds taken."""
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, body, time.perf_counter() - start


def _sequential(url: str, paths: dict[str, str], count: int) -> dict[str, dict[str, float]]:
    """Time ``count`` requests of each path, one after the other on one kept-alive connection."""
    port = urlsplit(url).port
    out: dict[str, dict[str, float]] = {}
    for name, path in paths.items():
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(5):  # warm up: both workers' caches, template loading, connections
            _get(conn, path)
        times = []
        size = 0
        for _ in range(count):
            status, body, elapsed = _get(conn, path)
            if status != 200:
                sys.exit(f"GET {path} answered {status}")
            times.append(elapsed * 1000)
            size = len(body)
        conn.close()
        times.sort()
        out[name] = {
            "median": statistics.median(times),
            "p95": times[int(0.95 * (len(times) - 1))],
            "bytes": size,
        }
    return out


def _machine_busy_seconds() -> float:
    """Return the CPU seconds the whole machine has spent busy since boot (all processes)."""
    import psutil

    t = psutil.cpu_times()
    # Linux counts guest time inside user time, and steal is the hypervisor's, not ours.
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0))


def _cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """Return the CPU seconds used so far by the server and every process under it."""
    import psutil

    root = psutil.Process(proc.pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


@dataclass
class Row:
    """One line of locust's stats: a request name or the aggregate."""

    name: str
    requests: int
    failures: int
    rps: float
    median: float
    p95: float
    p99: float
    maximum: float
    size: float


def _read_stats(path: Path) -> list[Row]:
    rows = []
    with path.open(newline="") as f:
        for r in csv.DictReader(f):
            rows.append(
                Row(
                    name=r["Name"],
                    requests=int(r["Request Count"]),
                    failures=int(r["Failure Count"]),
                    rps=float(r["Requests/s"]),
                    median=float(r["50%"]),
                    p95=float(r["95%"]),
                    p99=float(r["99%"]),
                    maximum=float(r["Max Response Time"]),
                    size=float(r["Average Content Size"]),
                )
            )
    return rows


def _locust(
    url: str, slug: str, scenario: str, args: argparse.Namespace, tmp: Path
) -> tuple[list[Row], float]:
    """Run one locust scenario headless; return its stats rows and locust's CPU seconds."""
    prefix = tmp / f"locust-{scenario}"
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--host",
        url,
        "--csv",
        str(prefix),
        # Figures from the moment every user runs: the ramp-up is left out.
        "--reset-stats",
        "--only-summary",
        "--loglevel",
        "WARNING",
        SCENARIOS[scenario],
    ]
    env = {**os.environ, "PROSSIMA_BENCH_SLUG": slug, "PROSSIMA_BENCH_WAIT": str(args.wait)}
    before = os.times()
    log = tmp / f"locust-{scenario}.log"
    with log.open("wb") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    after = os.times()
    if done.returncode not in (0, 1):  # 1: some requests failed, reported below
        sys.exit(f"locust ended with exit {done.returncode}:\n{log.read_text()}")
    locust_cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    for failure in _read_failures(Path(f"{prefix}_failures.csv")):
        print(f"  failed: {failure}")
    return _read_stats(Path(f"{prefix}_stats.csv")), locust_cpu


def _read_failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [
            f"{r['Method']} {r['Name']}: {r['Error']} ({r['Occurrences']} times)"
            for r in csv.DictReader(f)
        ]


def run(args: argparse.Namespace) -> None:
    """Prepare a throwaway database, serve it and load-test the public layer."""
    with tempfile.TemporaryDirectory(prefix="prossima-bench-") as name:
        tmp = Path(name)
        if args.db == "postgres":
            db_name = f"prossima_bench_{os.getpid()}"
            with _throwaway_postgres(args.postgres_url, db_name) as url:
                _configure(tmp, url, args.conn_max_age)
                _run(args, tmp)
        else:
            _configure(tmp, f"sqlite:///{tmp / 'bench.sqlite3'}", args.conn_max_age)
            _run(args, tmp)


def _run(args: argparse.Namespace, tmp: Path) -> None:
    slug, info = _prepare()
    print(f"== {info['database']} ==")
    print(f"machine: {machine()}; CPU: {cpu_model()}")
    print(
        f"preparation (not timed under load): migrate {info['migrate_s']:.1f} s, "
        f"import of {info['incidents']:,} incidents {info['import_s']:.1f} s, "
        f"hotspot run {info['run_s']:.1f} s ({info['events_analysed']:,} incidents, "
        f"{info['cells']:,} cells, params {info['params']})"
    )
    print(
        f"public layer: {info['public_features']:,} cells with at least "
        f"{info['public_min_count']} incidents, {info['public_bytes'] / 1024:,.0f} KiB of GeoJSON"
    )
    paths = {
        "layer": f"/analytics/{slug}/public/hotspots.json",
        "page": f"/analytics/{slug}/public/",
        "home": "/",
        "static file": "/static/analytics/map.js",
    }
    with _server(args.workers, tmp / "server.log") as (url, proc):
        print(
            f"server: prossima serve --no-worker --workers {args.workers} (gunicorn, threads as "
            f"the serve command sets them), DEBUG off, "
            f"DATABASE_CONN_MAX_AGE={os.environ.get('DATABASE_CONN_MAX_AGE', 'unset')}, {url}"
        )
        print(f"\nOne request at a time, {SEQUENTIAL_REQUESTS} per URL (milliseconds):")
        for name, t in _sequential(url, paths, SEQUENTIAL_REQUESTS).items():
            print(
                f"  {name:<12} median {t['median']:6.1f}  p95 {t['p95']:6.1f}  "
                f"({t['bytes'] / 1024:,.0f} KiB)"
            )
        print(
            f"\nLoad: locust headless, {args.users} users, spawn rate {args.spawn_rate}/s, "
            f"{args.duration} s per scenario (stats reset once every user runs), "
            f"mean wait between tasks {args.wait} s"
        )
        cores = len(os.sched_getaffinity(0))
        db_note = " (PostgreSQL's included)" if args.db == "postgres" else ""
        for scenario in args.scenarios:
            server_before, busy_before = _cpu_seconds(proc), _machine_busy_seconds()
            start = time.perf_counter()
            rows, locust_cpu = _locust(url, slug, scenario, args, tmp)
            wall = time.perf_counter() - start
            if proc.poll() is not None:
                sys.exit(f"The server stopped during the load (exit {proc.returncode}).")
            server_cpu = _cpu_seconds(proc) - server_before
            others = _machine_busy_seconds() - busy_before - server_cpu - locust_cpu
            total = next(r for r in rows if r.name == "Aggregated")
            print(
                f"\n[{scenario}] CPU seconds during the {wall:.0f} s of locust (ramp-up "
                f"included; {wall * cores:.0f} available): server {server_cpu:.1f}, "
                f"locust {locust_cpu:.1f}, other processes {max(others, 0.0):.1f}{db_note}"
            )
            print(
                "  request        count  fail    req/s  median     p95     p99     max  "
                "KiB  p95/100ms"
            )
            for r in rows:
                print(
                    f"  {r.name:<12} {r.requests:7,} {r.failures:5,} {r.rps:8.1f} "
                    f"{r.median:7.0f} {r.p95:7.0f} {r.p99:7.0f} {r.maximum:7.0f} "
                    f"{r.size / 1024:4.0f}  {r.p95 / TARGET_MS:5.2f}x"
                )
            if total.requests:
                print(
                    f"  server CPU per request (incl. ramp-up): "
                    f"{1000 * server_cpu / total.requests:.2f} ms"
                )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="a PostgreSQL server to create the throwaway database on (default %(default)s)",
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument(
        "--spawn-rate", type=float, default=50, help="users started per second (default 50)"
    )
    parser.add_argument(
        "--duration", type=int, default=30, help="seconds of full load per scenario (default 30)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="mean seconds a user waits between tasks, drawn uniformly from 0 to twice it "
        "(default 0: none)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn worker processes (default 2, as serve)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="DATABASE_CONN_MAX_AGE for the server, in seconds (default: unset, i.e. the "
        "settings' default: 0 for SQLite, 60 for PostgreSQL)",
    )
    parser.add_argument(
        "--scenarios",
        default="layer,visit,home",
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default %(default)s)",
    )
    args = parser.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    try:
        import locust  # noqa: F401
    except ImportError:
        sys.exit("locust is not installed: run .venv/bin/pip install -e '.[test]'")
    run(args)


if __name__ == "__main__":
    main()
