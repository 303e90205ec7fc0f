"""100 visitors at once on the served platform: no error, every accepted report stored once.

The platform is served as ``prossima serve --no-worker`` serves it (gunicorn,
2 workers x 4 threads, DEBUG off) on a throwaway SQLite database of its own
with Emilia-Romagna, the Comune di Bologna receiving reports and Toronto's
published hotspot map. Locust (``benchmarks/locustfile_platform.py``, run as a
subprocess: its gevent monkey-patching does not mix with pytest and Django
in one process) drives 100 anonymous users for 25 s: the home page, the
public map, its layer API and report submissions with a photo. The longer
runs and their figures are in ``benchmarks/README.md`` (``bench_load.py``).

The test serves its own database, so it runs in the SQLite pass of CI only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_load  # noqa: E402 -- found through the benchmarks folder added above
from bench_public_layer import _server  # noqa: E402

USERS = 100
DURATION = 25


@pytest.fixture
def platform_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Give the server (which inherits this process's environment) a platform of its own."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "runs in the SQLite pass of CI: it serves a SQLite database of its own, so the "
            "PostgreSQL pass would repeat it unchanged"
        )
    env = bench_load.server_environment(tmp_path, f"sqlite:///{tmp_path / 'load.sqlite3'}")
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_CONN_MAX_AGE", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_100_users_browse_the_map_and_file_reports_without_an_error(
    platform_env: dict[str, str], tmp_path: Path
) -> None:
    scenario = bench_load.prepare_in_subprocess(platform_env, tmp_path / "prepare.log")
    with _server(2, tmp_path / "server.log") as (url, proc):
        rows, failures, submitted = bench_load.run_locust(
            url,
            scenario,
            users=USERS,
            spawn_rate=50,
            duration=DURATION,
            wait=1.0,
            reports=3,
            folder=tmp_path,
        )
        assert proc.poll() is None, "the server stopped under load"
    table = bench_load.figures(rows)
    print(f"\n{USERS} users for {DURATION} s (milliseconds):")
    bench_load.print_figures(table)
    (tmp_path / "load_figures.json").write_text(json.dumps(table, indent=2))

    assert not failures, failures  # any status but the expected one, 429 included
    assert {"home", "map page", "layer API", "report form", "report submit"} <= set(table)
    assert all(f["failures"] == 0 and f["requests"] > 0 for f in table.values()), table
    assert table["Aggregated"]["requests"] > 1000

    titles = submitted.read_text().splitlines()
    assert len(titles) >= USERS, "fewer accepted reports than users: the load did not reach them"
    db = sqlite3.connect(tmp_path / "load.sqlite3")
    try:
        stored = db.execute(
            "SELECT id, title, photo FROM incidents_citizenreport WHERE title LIKE 'Load test %'"
        ).fetchall()
        audited = {
            row[0]
            for row in db.execute(
                "SELECT object_id FROM accounts_auditevent "
                "WHERE object_type = 'incidents.citizenreport' AND action = 'create'"
            )
        }
    finally:
        db.close()
    counts = Counter(title for _pk, title, _photo in stored)
    assert counts == Counter(titles), "each accepted report must be stored once, and only those"
    media = tmp_path / "var" / "media"
    assert all(photo and (media / photo).is_file() for _pk, _title, photo in stored)
    assert all(str(pk) in audited for pk, _title, _photo in stored)
