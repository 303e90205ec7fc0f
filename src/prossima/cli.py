"""The ``prossima`` command: platform verbs and the analytic-core verbs.

Platform: ``setup`` (catalogues, migrations, demo on first run), ``serve``,
``demo``, ``manage …`` (any Django management command). Analysis verbs come
from :mod:`prossima.analysis.cli` and never start Django.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

SETTINGS = "prossima.config.settings"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def _database_reachable() -> str | None:
    """Return an error message when the configured database cannot be reached."""
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        url = os.environ.get("DATABASE_URL", "(embedded SQLite in var/)")
        safe = url.split("@")[-1] if "@" in url else url
        return (
            f"Cannot connect to the database {safe}: {str(exc).strip().splitlines()[0]}\n"
            "Check DATABASE_URL (e.g. postgres://user:password@host:5432/name, or unset it "
            "for the embedded SQLite database) and that the server is running."
        )
    return None


def cmd_manage(args: argparse.Namespace) -> int:
    """Run a Django management command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["prossima manage", *args.rest])
    return 0


def _migrated_database() -> bool:
    """Start Django and apply migrations; print why and return False if the database is down."""
    _django()
    problem = _database_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return False
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return True


def cmd_setup(args: argparse.Namespace) -> int:
    """Compile catalogues, apply migrations and load the demo when the database is empty."""
    from prossima.i18n import compile_catalogues

    compile_catalogues()
    if not _migrated_database():
        return 2
    from prossima.demo import demo_loaded, load_demo

    if not args.no_demo and not demo_loaded():
        print("First run: loading the Italian territory and the demo (about a minute)…")
        load_demo(progress=print)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load (or refresh) the Italian territory and the demo content."""
    if not _migrated_database():
        return 2
    from prossima.demo import load_demo

    regions = {c.strip().zfill(2) for c in args.regions.split(",") if c.strip()} or None
    load_demo(progress=print, region_codes=regions)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the platform (gunicorn; ``--dev`` uses Django's auto-reloading server)."""
    if not args.dev:
        os.environ.setdefault("PROSSIMA_STATIC_MANIFEST", "1")
    if args.host in ("0.0.0.0", "::") and "ALLOWED_HOSTS" not in os.environ:  # noqa: S104
        # Listening on every interface: visitors arrive under names unknown here.
        os.environ["ALLOWED_HOSTS"] = "*"
        print("Accepting any host name (embedded default). In production set ALLOWED_HOSTS.")
    _django()
    problem = _database_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from django.core.management import call_command

    from prossima.jobs.actions import do_fail_stale_jobs

    do_fail_stale_jobs()
    # A stop signal (systemd, docker, kill) must also stop the children, or an
    # orphaned worker would keep taking jobs with code that is no longer served.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    worker = None if args.no_worker else subprocess.Popen(worker_command(2, beat=True))  # noqa: S603
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.dev:
            call_command("runserver", f"{args.host}:{args.port}")
            return 0
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"Prossima is served on http://{args.host}:{args.port}/ (Ctrl+C to stop)")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "prossima.config.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        server = subprocess.Popen(command)  # noqa: S603 -- fixed argument list, no shell
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in (server, worker):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(timeout=30)


def _exit_on_signal(signum: int, frame: object) -> None:
    """Turn a stop signal into a normal exit, so that ``finally`` blocks run."""
    raise SystemExit(0)


def worker_command(concurrency: int, beat: bool = False) -> list[str]:
    """Return the command line of a background-job worker (with the daily scheduler if asked)."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "prossima.config.celery",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    # Only one scheduler may run, or the daily checks would run once per worker.
    return [*command, "--beat"] if beat else command


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a background-job worker (several may run, on several machines, with Redis)."""
    _django()
    problem = _database_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from prossima.jobs.actions import do_fail_stale_jobs

    stale = do_fail_stale_jobs()
    if stale:
        print(f"{stale} job(s) left running by a stopped worker are now marked failed.")
    try:
        return subprocess.call(worker_command(args.concurrency, beat=args.beat))  # noqa: S603
    except KeyboardInterrupt:
        return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write an archive of the database and the uploaded files."""
    from pathlib import Path

    _django()
    problem = _database_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from django.conf import settings
    from django.utils import timezone

    from prossima.backup import BackupError, create_backup

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    output = args.output or Path(settings.VAR_DIR) / "backups" / f"prossima-{stamp}.tar.gz"
    try:
        manifest = create_backup(Path(output))
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    size = Path(output).stat().st_size
    print(f"Backup written to {Path(output).resolve()} ({size / 1e6:.1f} MB).")
    print(
        f"{manifest.vendor} database: {manifest.total_rows:,} rows in "
        f"{len(manifest.row_counts)} tables; {manifest.media_count} uploaded files."
    )
    largest = sorted(manifest.row_counts.items(), key=lambda item: -item[1])[:10]
    for table, rows in largest:
        if rows:
            print(f"  {table:<50} {rows:>10,}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database and the uploaded files with those of a backup archive."""
    from pathlib import Path

    _django()
    problem = _database_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from prossima.backup import BackupError, restore_backup

    try:
        manifest = restore_backup(Path(args.file), force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"Restored the backup of {manifest.created_at} (Prossima {manifest.prossima_version}, "
        f"{manifest.vendor}): {manifest.total_rows:,} rows in {len(manifest.row_counts)} "
        f"tables, {manifest.media_count} uploaded files; row counts checked."
    )
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        # An older backup: its schema lacks this code's newer migrations.
        print("The backup predates some migrations of this code: run 'prossima setup --no-demo'.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``prossima`` command."""
    parser = argparse.ArgumentParser(
        prog="prossima",
        description="Prossima: urban-security cooperation platform and crime-analysis tools.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    p = sub.add_parser("setup", help="prepare the database and load the demo on first run")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo content")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("serve", help="serve the web platform")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    p.add_argument("--dev", action="store_true", help="Django's development server with reload")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background-job worker (run 'prossima worker' elsewhere)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run a background-job worker")
    p.add_argument("--concurrency", type=int, default=2, help="jobs run at once (default 2)")
    p.add_argument(
        "--beat",
        action="store_true",
        help="also run the daily checks' scheduler (exactly one worker must have it)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="load the Italian territory and the demo content")
    p.add_argument(
        "--regions", default="", help="only these regions (two-digit ISTAT codes, comma-separated)"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("backup", help="archive the database and the uploaded files")
    p.add_argument(
        "--output",
        metavar="FILE",
        help="archive to write (default var/backups/prossima-<timestamp>.tar.gz)",
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore the database and uploaded files from a backup")
    p.add_argument("file", metavar="FILE", help="archive written by 'prossima backup'")
    p.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "manage", help="run a Django management command, e.g. 'manage migrate'", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    import importlib

    for module in ("prossima.analysis.cli", "prossima.analysis.forecast.cli"):
        try:
            verbs = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
        else:
            verbs.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``prossima`` command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    result: int = args.func(args)
    return result
