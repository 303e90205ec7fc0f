"""Locate the shared real data and describe the machine for benchmark reports."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return the shared data folder: $PROSSIMA_DATA or ../shared/data next to the repository."""
    path = Path(os.environ.get("PROSSIMA_DATA", REPO.parent / "shared" / "data"))
    if not (path / "toronto_mci_2014_2019.csv.gz").exists():
        sys.exit(
            f"Benchmark data not found in {path}; set PROSSIMA_DATA to the folder holding "
            "toronto_mci_2014_2019.csv.gz."
        )
    return path


def cpu_model() -> str:
    """Return the CPU model named in /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """Return a one-line description of the machine and Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} logical CPUs"
        f" (nproc {len(os.sched_getaffinity(0))}),"
        f" Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def throwaway_django(name: str, database: str) -> Path:
    """Set up Django on a new, empty database with the Italian territory loaded.

    SQLite lives in a temporary folder; on PostgreSQL (127.0.0.1:5432, user
    postgres) the database ``name`` is created afresh, to be dropped with
    :func:`drop_database`. Returns the temporary PROSSIMA_HOME.
    """
    import tempfile

    home = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    os.environ["PROSSIMA_HOME"] = str(home)
    if database == "postgresql":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name}")
            c.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "prossima.config.settings"
    for variable in ("REDIS_URL", "CELERY_BROKER_URL", "DEBUG"):
        os.environ.pop(variable, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_territory", verbosity=0)
    return home


def drop_database(name: str, database: str) -> None:
    """Drop the PostgreSQL database of :func:`throwaway_django` (nothing to do for SQLite)."""
    if database != "postgresql":
        return
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
