"""Time importing the whole Toronto file through the job pipeline, on SQLite and PostgreSQL.

Usage: .venv/bin/python benchmarks/bench_import.py [--db sqlite|postgres|both]
       [--postgres-url postgres://postgres@127.0.0.1:5432/postgres] [--profile FILE]

Each database is throwaway: a SQLite file in a temporary directory, or a
PostgreSQL database with a fresh name, created on the server of
--postgres-url and dropped afterwards. The script migrates it, creates the
Toronto partner city, its police command with an analyst and a dataset (as
the demo does; a partner city needs no Italian territory), then imports
``toronto_mci_2014_2019.csv.gz`` (180,886 rows) as the upload page does:
``do_enqueue_job`` with the incidents import kind, run by ``run_job``, the
function the Celery worker calls, here in this process. The same import runs
a second time and must add nothing. With ``--db both`` each database runs in
a child process of its own, since Django's settings are fixed once set up.

Data: $PROSSIMA_DATA or ../shared/data next to the repository.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpu_model, data_dir, machine

TARGET_SECONDS = 60.0
FILE = "toronto_mci_2014_2019.csv.gz"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _configure(home: Path, database_url: str) -> None:
    """Point Django at the throwaway database before it reads its settings."""
    os.environ["PROSSIMA_HOME"] = str(home)  # secret key and job queue folder
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "prossima.config.settings"
    # The job is run here: its queue message must reach no real worker.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "DATABASE_CONN_MAX_AGE"):
        os.environ.pop(name, None)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _create_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _setup_tenant() -> tuple[Any, Any]:
    """Create the partner city, its police analyst and the dataset; return (analyst, dataset)."""
    from prossima.accounts.actions import do_add_membership, do_create_organisation
    from prossima.accounts.models import OrganisationKind, Role, User
    from prossima.incidents.actions import do_create_dataset

    toronto = do_create_organisation(
        None,
        name="Toronto, partner city (benchmark)",
        kind=OrganisationKind.PARTNER_CITY,
        country="CA",
        city="Toronto",
    )
    police = do_create_organisation(
        None,
        name="Toronto police analysts (benchmark)",
        kind=OrganisationKind.POLICE_COMMAND,
        parent=toronto,
    )
    analyst = User.objects.create_user(username="analyst", email="analyst@bench.invalid")
    do_add_membership(None, police, analyst, Role.ANALYST)
    dataset = do_create_dataset(analyst, toronto, name="Toronto MCI 2014-2019")
    return analyst, dataset


def _import(actor: Any, dataset: Any, path: Path, profile: cProfile.Profile | None) -> float:
    """Enqueue and run one import job; return its wall time from enqueue to the end."""
    from prossima.incidents.jobs import IMPORT_JOB
    from prossima.jobs.actions import do_enqueue_job
    from prossima.jobs.models import Job
    from prossima.jobs.runner import run_job

    params = {"dataset_id": dataset.pk, "path": str(path), "filename": path.name}
    start = time.perf_counter()
    if profile is not None:
        profile.enable()
    job = do_enqueue_job(actor, IMPORT_JOB, params, tenant=dataset.tenant)
    status = run_job(job.pk)
    if profile is not None:
        profile.disable()
    wall = time.perf_counter() - start
    if status != Job.Status.DONE:
        job.refresh_from_db()
        sys.exit(f"The import job ended {status}: {job.error}")
    return wall


def run(db: str, postgres_url: str, profile_path: str | None) -> None:
    """Import the file twice into a throwaway database of kind ``db`` and print the figures."""
    path = data_dir() / FILE
    with tempfile.TemporaryDirectory(prefix="prossima-bench-") as tmp:
        name = f"prossima_bench_{os.getpid()}"
        if db == "postgres":
            _create_postgres(postgres_url, name)
            _configure(Path(tmp), _with_database(postgres_url, name))
        else:
            _configure(Path(tmp), f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        try:
            _run(db, path, profile_path)
        finally:
            if db == "postgres":
                from django.db import connections

                connections.close_all()
                _drop_postgres(postgres_url, name)


def _run(db: str, path: Path, profile_path: str | None) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from prossima.incidents.models import Import, Incident

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - start
    analyst, dataset = _setup_tenant()

    profile = cProfile.Profile() if profile_path else None
    first = _import(analyst, dataset, path, profile)
    record = Import.objects.filter(dataset=dataset).latest("pk")
    count = Incident.objects.filter(dataset=dataset).count()
    second = _import(analyst, dataset, path, None)
    again = Import.objects.filter(dataset=dataset).latest("pk")
    count_again = Incident.objects.filter(dataset=dataset).count()

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if db == "postgres" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    label = "PostgreSQL" if db == "postgres" else "SQLite"
    print(f"== {label} ({version}) ==")
    print(f"machine: {machine()}; CPU: {cpu_model()}")
    print(f"file: {path.name}; migrate: {migrated:.1f} s (not counted)")
    print(
        f"rows read {record.rows:,}, accepted {record.accepted:,}, rejected {record.rejected:,}, "
        f"incidents added {record.created:,} (in the database: {count:,})"
    )
    print(
        f"first import: {first:.1f} s, {record.rows / first:,.0f} rows/s, "
        f"{first / TARGET_SECONDS:.2f}x the {TARGET_SECONDS:.0f} s target"
        f" ({'within' if first < TARGET_SECONDS else 'OVER'})"
    )
    idempotent = again.created == 0 and count_again == count
    print(
        f"second import of the same file: {second:.1f} s, added {again.created:,}, "
        f"already present {again.duplicates:,} ({'idempotent' if idempotent else 'NOT IDEMPOTENT'})"
    )
    if profile is not None and profile_path:
        profile.dump_stats(profile_path)
        print(f"profile of the first import written to {profile_path}; top functions:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    if not idempotent:
        sys.exit("The second import added incidents.")


def main() -> None:
    """Run the benchmark on the chosen database, or on both in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="a PostgreSQL server to create the throwaway database on (default %(default)s)",
    )
    parser.add_argument("--profile", help="write a cProfile of the first import to this file")
    args = parser.parse_args()
    if args.db != "both":
        run(args.db, args.postgres_url, args.profile)
        return
    failed = False
    for db in ("sqlite", "postgres"):
        cmd = [sys.executable, __file__, "--db", db, "--postgres-url", args.postgres_url]
        if args.profile:
            cmd += ["--profile", f"{args.profile}.{db}"]
        failed |= subprocess.run(cmd, check=False).returncode != 0
        sys.stdout.flush()
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
