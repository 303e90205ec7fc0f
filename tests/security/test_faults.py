"""Faults: a worker killed in the middle of an import, a database restarted under load.

Each test starts real processes (a Celery worker, gunicorn, a PostgreSQL
cluster) and hurts them the way production gets hurt: SIGKILL, ``pg_ctl
restart -m fast``. What must hold afterwards is what a person relies on:
the job says it failed, nothing is half-written, a retry or the next
request works.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from prossima.accounts.models import OrganisationKind
from prossima.incidents.actions import BATCH_SIZE, do_create_dataset
from prossima.incidents.jobs import IMPORT_JOB
from prossima.incidents.models import Import, Incident
from prossima.jobs.actions import do_enqueue_job, do_retry_job
from prossima.jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]
TORONTO = ROOT / "tests" / "data" / "toronto_mci_extract.csv.gz"
# Copies of the extract, each moved back by two years so that every row stays a
# distinct incident: long enough for several batches, short enough for CI.
COPIES = 4


def database_url() -> str:
    """Return a DATABASE_URL for the test database this process uses (committed data)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "postgres")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def longer_extract(path: Path) -> int:
    """Write the Toronto extract ``COPIES`` times, years shifted; return the rows written."""
    with gzip.open(TORONTO, "rt", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    day = header.index("occurrencedate")
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for copy in range(COPIES):
            for row in rows:
                year = int(row[day][:4]) - 2 * copy
                writer.writerow([*row[:day], f"{year}{row[day][4:]}", *row[day + 1 :]])
    return COPIES * len(rows)


def start_worker(log: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    """Start ``prossima worker`` on the test database, in a process group of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "prossima.config.settings",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "prossima", "worker", "--concurrency", "1"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process group of ``proc`` and wait for it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_until(
    check: Any,
    seconds: float,
    what: str,
    log: Path | None = None,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``check`` until it holds; fail with the log's tail on timeout or if ``proc`` died."""
    deadline = time.monotonic() + seconds
    while not check():
        ended = proc is not None and proc.poll() is not None
        if ended or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            reason = "the process ended" if ended else f"not within {seconds} s"
            raise AssertionError(f"{what}: {reason}\n{tail}")
        time.sleep(0.05)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect the worker processes a test starts, and stop them whatever happens."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        stop(proc, signal.SIGKILL)


def test_killed_worker_mid_import_fails_the_job_and_a_retry_completes_it(
    live_db: Any, make_org: Any, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    source = tmp_path / "toronto_longer.csv"
    rows = longer_extract(source)
    tenant = make_org(OrganisationKind.PARTNER_CITY, "Toronto (fault test)", country="CA")
    dataset = do_create_dataset(None, tenant, name="MCI, killed import")
    log = tmp_path / "worker.log"
    workers.append(start_worker(log))
    job = do_enqueue_job(
        None,
        IMPORT_JOB,
        {"dataset_id": dataset.pk, "path": str(source), "filename": source.name},
        tenant=tenant,
    )

    def storing() -> bool:
        job.refresh_from_db()
        assert job.status in (Job.Status.QUEUED, Job.Status.RUNNING), (job.status, job.error)
        return job.status == Job.Status.RUNNING and job.progress_done > 0

    wait_until(storing, 120, "the import storing its first batch", log, workers[0])
    assert job.progress_done < rows, "the import ended before the kill; make the file longer"
    os.killpg(workers[0].pid, signal.SIGKILL)  # the whole worker: prossima, celery
    workers[0].wait(timeout=10)

    # What the dead worker left: whole batches only, and a job that still says "running".
    killed = Import.objects.get(dataset=dataset)
    stored = Incident.objects.filter(dataset=dataset).count()
    assert stored == Incident.objects.filter(first_import=killed).count()
    assert 0 < stored < rows
    assert stored % BATCH_SIZE == 0, f"{stored} incidents: a batch was half-written"
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING

    # A new worker starts as in production (``prossima worker`` fails stale jobs first).
    time.sleep(1.5)  # the heartbeat must be older than the threshold below
    workers.append(start_worker(log, PROSSIMA_JOB_STALE_SECONDS="1"))
    wait_until(
        lambda: Job.objects.get(pk=job.pk).status == Job.Status.FAILED,
        60,
        "the stale job marked failed",
        log,
        workers[1],
    )
    job.refresh_from_db()
    # Written by the worker process in the platform's language, Italian.
    assert "si è interrotto durante questo compito" in job.error, job.error
    assert Incident.objects.filter(dataset=dataset).count() == stored  # nothing more written
    killed.refresh_from_db()
    assert killed.status == Import.Status.FAILED, "the killed import still claims to run"

    job = do_retry_job(None, job)
    wait_until(
        lambda: Job.objects.get(pk=job.pk).status in (Job.Status.DONE, Job.Status.FAILED),
        180,
        "the retried import",
        log,
        workers[1],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.attempts == 2
    assert job.result["created"] == rows - stored
    assert job.result["duplicates"] == stored
    assert Incident.objects.filter(dataset=dataset).count() == rows
    assert Incident.objects.filter(dataset=dataset).values("fingerprint").distinct().count() == rows
    killed.refresh_from_db()
    assert killed.status == Import.Status.FAILED, "the killed import still claims to run"
    assert Import.objects.get(pk=job.result["import_id"]).status == Import.Status.DONE


# --- PostgreSQL restarted under a stream of requests -------------------------------

BENCHMARKS = ROOT / "benchmarks"
OUTAGE_SECONDS = 3.0
RECOVERY_SECONDS = 5.0


def postgres_binaries() -> Path | None:
    """Return the folder of the newest installed PostgreSQL server binaries, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary as the postgres OS user (the server refuses to run as root)."""
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*runner, *command], capture_output=True, text=True, timeout=120, check=True
    )


@pytest.fixture
def private_cluster() -> Iterator[tuple[Path, Path, int]]:
    """Create and start a throwaway PostgreSQL cluster; yield its bin folder, data and port."""
    import pwd
    import shutil
    import socket
    import tempfile

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "runs in the PostgreSQL pass of CI: it starts a PostgreSQL cluster of its own, so "
            "the SQLite pass would repeat it unchanged"
        )
    binaries = postgres_binaries()
    problem = None
    if binaries is None:
        problem = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    elif os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            problem = "there is no postgres OS user to run the PostgreSQL server as"
    if problem:
        if os.environ.get("CI") or os.environ.get("PROSSIMA_REQUIRE_BROWSER"):
            pytest.fail(f"{problem}; CI must run the PostgreSQL restart test")
        pytest.skip(problem)
    assert binaries is not None
    # Outside pytest's tmp_path: its parent folders are closed to the postgres user.
    top = Path(tempfile.mkdtemp(prefix="prossima-pg-"))
    data = top / "data"
    data.mkdir()
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for path in (top, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    as_postgres(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    options = f"-p {port} -k {top} -c listen_addresses=127.0.0.1"
    pg_ctl = str(binaries / "pg_ctl")
    as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(top / "pg.log"), "-w", "start")
    try:
        yield binaries, data, port
    finally:
        # Stopped abruptly: the cluster is thrown away with its folder.
        with contextlib.suppress(subprocess.CalledProcessError):
            as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(top, ignore_errors=True)


class Traffic:
    """Visitors sending requests in threads and recording every answer."""

    def __init__(self, url: str, scenario: dict[str, Any]) -> None:
        import threading

        self.url = url
        self.scenario = scenario
        self.stop = threading.Event()
        self.lock = threading.Lock()
        # time, kind, status, body, title
        self.answers: list[tuple[float, str, int, str, str]] = []
        self.addresses = iter(range(1, 1_000_000))

    def record(self, kind: str, status: int, body: str, title: str = "") -> None:
        with self.lock:
            self.answers.append((time.monotonic(), kind, status, body, title))

    def visitor(self) -> None:
        """Alternate the home page and a report with a photo, until told to stop."""
        import io
        import re

        import requests
        from PIL import Image

        photo = io.BytesIO()
        Image.new("RGB", (32, 24), (90, 90, 200)).save(photo, "JPEG")
        session = requests.Session()
        while not self.stop.is_set():
            with self.lock:
                n = next(self.addresses)
            # A new address per report: the per-client limit must not be what answers.
            headers = {"X-Forwarded-For": f"10.9.{n >> 8 & 255}.{n & 255}"}
            try:
                home = session.get(f"{self.url}/", headers=headers, timeout=30)
                self.record("home", home.status_code, home.text)
                form = session.get(
                    f"{self.url}/incidents/reports/new/", headers=headers, timeout=30
                )
                self.record("form", form.status_code, form.text)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                if form.status_code != 200 or token is None:
                    continue
                title = f"Restart test {n}"
                sent = session.post(
                    f"{self.url}/incidents/reports/new/",
                    headers=headers,
                    data={
                        "csrfmiddlewaretoken": token.group(1),
                        "category": str(self.scenario["category"]),
                        "title": title,
                        "description": "Broken bench in the square (restart test).",
                        "lat": str(self.scenario["lat"]),
                        "lon": str(self.scenario["lon"]),
                    },
                    files={"photo": ("bench.jpg", photo.getvalue(), "image/jpeg")},
                    allow_redirects=False,
                    timeout=30,
                )
                ok = sent.status_code == 302 and "/reports/follow/" in sent.headers.get(
                    "Location", ""
                )
                self.record("report", 302 if ok else sent.status_code, sent.text, title)
            except requests.RequestException as exc:
                self.record("network", 0, str(exc))


def test_postgres_restart_gives_errors_then_recovers_without_corruption(
    private_cluster: tuple[Path, Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import psycopg

    sys.path.insert(0, str(BENCHMARKS))
    import bench_load
    from bench_public_layer import _server

    binaries, data, port = private_cluster
    admin = f"postgres://postgres@127.0.0.1:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("CREATE DATABASE prossima")
    database_url = f"postgres://postgres@127.0.0.1:{port}/prossima"
    env = bench_load.server_environment(tmp_path, database_url)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_CONN_MAX_AGE", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    scenario = bench_load.prepare_in_subprocess(env, tmp_path / "prepare.log", with_map=False)

    with _server(2, tmp_path / "server.log") as (url, proc):
        traffic = Traffic(url, scenario)
        threads = [threading.Thread(target=traffic.visitor) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(3)
            down_at = time.monotonic()
            as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
            time.sleep(OUTAGE_SECONDS)
            options = f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1"
            log = str(data.parent / "pg.log")
            as_postgres(
                str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start"
            )
            up_at = time.monotonic()
            time.sleep(RECOVERY_SECONDS + 4)
        finally:
            traffic.stop.set()
            for t in threads:
                t.join(timeout=60)
        assert proc.poll() is None, "the server stopped for good"
        again = __import__("requests").get(f"{url}/", timeout=30)
        assert again.status_code == 200

    answers = traffic.answers
    before = [a for a in answers if a[0] < down_at]
    during = [a for a in answers if down_at <= a[0] < up_at]
    after = [a for a in answers if a[0] >= up_at + RECOVERY_SECONDS]
    print(
        f"\n{len(answers)} answers: {len(before)} before the stop, {len(during)} while "
        f"PostgreSQL was down or starting, {len(after)} from {RECOVERY_SECONDS:.0f} s after "
        f"it was up; statuses during: {Counter(a[2] for a in during)}"
    )
    assert before
    assert after
    assert during
    assert all(a[2] in (200, 302) for a in before), Counter(a[2] for a in before)
    assert all(a[2] in (200, 302) for a in after), [a[:3] for a in after if a[2] not in (200, 302)]
    # During the outage: success or a 503 saying to retry, never a traceback or another error.
    assert {a[2] for a in answers} <= {200, 302, 503}, Counter(a[2] for a in answers)
    assert any(a[2] == 503 for a in during), "no request met the outage"
    for _t, _kind, status, body, _title in answers:
        assert "Traceback" not in body
        if status == 503:  # in Italian once the catalogue has it
            assert (
                "Service temporarily unavailable" in body
                or "Servizio temporaneamente non disponibile" in body
            ), body[:500]
        if status == 200:
            assert "</html>" in body  # a whole page, not a truncated one

    accepted = [a[4] for a in answers if a[1] == "report" and a[2] == 302]
    attempted = {a[4] for a in answers if a[1] == "report"}
    assert len(accepted) > 10
    with psycopg.connect(database_url) as c:
        stored = c.execute(
            "SELECT r.id, r.title, r.photo, "
            "(SELECT COUNT(*) FROM accounts_auditevent a WHERE a.object_type = "
            "'incidents.citizenreport' AND a.object_id = r.id::text AND a.action = 'create') "
            "FROM incidents_citizenreport r WHERE r.title LIKE 'Restart test %'"
        ).fetchall()
    counts = Counter(title for _pk, title, _photo, _audit in stored)
    assert all(counts[title] == 1 for title in accepted), "an accepted report is missing or twice"
    assert set(counts) <= attempted
    assert max(counts.values()) == 1
    media = tmp_path / "var" / "media"
    assert all(photo and (media / photo).is_file() for _pk, _t, photo, _a in stored)
    assert all(audit == 1 for *_rest, audit in stored), "a report without its audit record"
