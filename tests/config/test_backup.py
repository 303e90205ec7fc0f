"""``prossima backup`` / ``prossima restore``: round trips on SQLite and PostgreSQL, refusals.

Each command runs in a subprocess against a real database file (or a private
PostgreSQL database), never pytest-django's test database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_NAME = "prossima_backup_test"
UPLOAD = "uploads/2025/verbale-sopralluogo.pdf"
PAYLOAD = b"%PDF-1.4\n" + bytes(range(256)) * 64

CREATE = """
from prossima.accounts.models import Organisation, User
Organisation.objects.create(name="Comune di Prova", slug="prova", kind="association")
Organisation.objects.create(name="Istituto di Ricerca", slug="istituto", kind="research_institute")
User.objects.create_user("anna", "anna@example.it", "a-long-pass-phrase")
User.objects.create_user("bruno", "bruno@example.it", "a-long-pass-phrase")
"""
CHANGE = """
from prossima.accounts.models import Organisation, User
User.objects.filter(username="bruno").delete()
Organisation.objects.filter(slug="prova").update(name="Cambiato")
Organisation.objects.create(name="Dopo il backup", slug="dopo", kind="company")
"""
STATE = """
import json
from prossima.accounts.models import Organisation, User
print("STATE " + json.dumps({
    "organisations": sorted(Organisation.objects.values_list("slug", "name")),
    "users": sorted(User.objects.values_list("username", "email")),
}))
"""


def environment(home: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env["PROSSIMA_HOME"] = str(home)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prossima(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prossima", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def shell(env: dict[str, str], code: str) -> Any:
    """Run Python in the platform; return what it printed after ``STATE``, if anything."""
    result = prossima(env, "manage", "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        if line.startswith("STATE "):
            return json.loads(line.removeprefix("STATE "))
    return None


def fingerprint(home: Path) -> dict[str, str]:
    """Return the SHA-256 of every file of the database and the uploads."""
    var = home / "var"
    files = [var / "prossima.sqlite3", *sorted((var / "media").rglob("*"))]
    return {
        str(p.relative_to(var)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file()
    }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an embedded home whose SQLite database is migrated (done once)."""
    home = tmp_path_factory.mktemp("migrated")
    result = prossima(environment(home), "setup", "--no-demo")
    assert result.returncode == 0, result.stderr
    return home / "var" / "prossima.sqlite3"


@pytest.fixture
def home(tmp_path: Path, migrated: Path) -> Path:
    """Return a home with a copy of the migrated database and one uploaded file."""
    (tmp_path / "var" / "media").mkdir(parents=True)
    shutil.copy(migrated, tmp_path / "var" / "prossima.sqlite3")
    upload = tmp_path / "var" / "media" / UPLOAD
    upload.parent.mkdir(parents=True)
    upload.write_bytes(PAYLOAD)
    return tmp_path


def round_trip(env: dict[str, str], media: Path, archive: Path) -> Any:
    """Fill, back up, change, restore and check a platform; return the backed-up state."""
    upload = media / UPLOAD
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(PAYLOAD)
    before = shell(env, CREATE + STATE)
    assert len(before["users"]) == 2

    backed_up = prossima(env, "backup", "--output", str(archive))
    assert backed_up.returncode == 0, backed_up.stderr
    assert str(archive) in backed_up.stdout
    assert "accounts_organisation" in backed_up.stdout

    upload.unlink()
    (media / "stray.txt").write_text("not in the backup")
    changed = shell(env, CHANGE + STATE)
    assert changed != before

    refused = prossima(env, "restore", str(archive))
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr
    assert "--force" in refused.stderr
    assert (media / "stray.txt").exists()

    restored = prossima(env, "restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    assert "row counts checked" in restored.stdout
    # The restored sequences go on after the restored rows: a new row does not collide.
    after = shell(env, STATE + '\nUser.objects.create_user("carla", "carla@example.it")\n')
    assert after == before
    assert upload.read_bytes() == PAYLOAD
    assert not (media / "stray.txt").exists()
    return before


def test_sqlite_round_trip(home: Path) -> None:
    round_trip(environment(home), home / "var" / "media", home / "backup.tar.gz")
    # Nothing left behind by the swaps.
    assert not [p.name for p in (home / "var").iterdir() if p.name.startswith(".")]


def postgres_unavailable() -> str | None:
    """Return why the PostgreSQL round trip cannot run here, or None."""
    for program in ("pg_dump", "pg_restore"):
        if shutil.which(program) is None:
            return f"{program} is not installed"
    try:
        import psycopg

        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {exc}"
    return None


@pytest.fixture
def postgres_database() -> Iterator[Callable[[], str]]:
    """Yield a function that (re)creates the private database and returns its URL."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    import psycopg

    def run(sql: str) -> None:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def recreate() -> str:
        run(f"DROP DATABASE IF EXISTS {POSTGRES_NAME} WITH (FORCE)")
        run(f"CREATE DATABASE {POSTGRES_NAME}")
        return f"{POSTGRES_SERVER}/{POSTGRES_NAME}"

    try:
        yield recreate
    finally:
        run(f"DROP DATABASE IF EXISTS {POSTGRES_NAME} WITH (FORCE)")


def test_postgres_round_trip(tmp_path: Path, postgres_database: Callable[[], str]) -> None:
    env = environment(tmp_path, postgres_database())
    setup = prossima(env, "setup", "--no-demo")
    assert setup.returncode == 0, setup.stderr
    archive = tmp_path / "backup.tar.gz"
    before = round_trip(env, tmp_path / "var" / "media", archive)

    # Into a new, empty database (a lost server): no --force needed.
    postgres_database()
    restored = prossima(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert shell(env, STATE) == before


# -- refusals ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, migrated: Path) -> Path:
    """Return a good SQLite backup (at the default place) with data and an upload."""
    home = tmp_path_factory.mktemp("source")
    (home / "var").mkdir()
    shutil.copy(migrated, home / "var" / "prossima.sqlite3")
    upload = home / "var" / "media" / UPLOAD
    upload.parent.mkdir(parents=True)
    upload.write_bytes(PAYLOAD)
    env = environment(home)
    shell(env, CREATE)
    result = prossima(env, "backup")
    assert result.returncode == 0, result.stderr
    (path,) = (home / "var" / "backups").glob("prossima-*.tar.gz")
    assert str(path) in result.stdout
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert names == ["database/prossima.sqlite3", f"media/{UPLOAD}", "manifest.json"]
    return path


def rewrite(
    source: Path,
    target: Path,
    change: Callable[[str, bytes], bytes] = lambda name, data: data,
    extra: tuple[tuple[tarfile.TarInfo, bytes], ...] = (),
) -> None:
    """Copy an archive, changing members' bytes and adding members before the manifest."""
    with tarfile.open(source) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    manifest = members.pop()
    with tarfile.open(target, "w:gz") as tar:
        for info, data in [*members, *extra, manifest]:
            data = change(info.name, data)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)


def entry(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info


def with_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def smuggled(name: str) -> Callable[[Path, Path], None]:
    """Return a builder adding a member at ``name``, listed in the manifest with its checksum."""
    data = b"evil"

    def edit(manifest: dict[str, Any]) -> None:
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    return lambda s, t: rewrite(s, t, with_manifest(edit), ((entry(name, data), data),))


def flip_database_byte(name: str, data: bytes) -> bytes:
    if name != "database/prossima.sqlite3":
        return data
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def flip_compressed_byte(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    data[len(data) // 3] ^= 0xFF
    target.write_bytes(bytes(data))


def truncate(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])


def newer_migration(manifest: dict[str, Any]) -> None:
    manifest["migrations"]["incidents"].append("9999_future")


BAD_ARCHIVES: dict[str, tuple[Callable[[Path, Path], None], list[str]]] = {
    "flipped-byte-in-a-member": (
        lambda s, t: rewrite(s, t, flip_database_byte),
        ["'database/prossima.sqlite3' is corrupted", "Nothing was restored"],
    ),
    "flipped-byte-in-gzip": (flip_compressed_byte, ["Nothing was restored"]),
    "truncated": (truncate, ["truncated", "member '"]),
    "path-traversal": (smuggled("media/../../evil.txt"), ["'media/../../evil.txt' points outside"]),
    "absolute-path": (smuggled("/evil.txt"), ["'/evil.txt' points outside"]),
    "symbolic-link": (
        lambda s, t: rewrite(s, t, extra=((entry("media/passwd", kind=tarfile.SYMTYPE), b""),)),
        ["'media/passwd' is a link"],
    ),
    "vendor-mismatch": (
        lambda s, t: rewrite(s, t, with_manifest(lambda m: m.update(vendor="postgresql"))),
        ["holds a PostgreSQL database", "uses SQLite"],
    ),
    "newer-migrations": (
        lambda s, t: rewrite(s, t, with_manifest(newer_migration)),
        ["incidents.9999_future", "Upgrade Prossima"],
    ),
}

# One process tries every bad archive (with force: these refusals hold even for someone
# who means to overwrite), which keeps the module fast.
RESTORE_EACH = """
import django
django.setup()
import json, sys
from pathlib import Path
from prossima.backup import BackupError, restore_backup
outcomes = {}
for path in sys.argv[1:]:
    try:
        restore_backup(Path(path), force=True)
        outcomes[Path(path).name.removesuffix(".tar.gz")] = None
    except BackupError as exc:
        outcomes[Path(path).name.removesuffix(".tar.gz")] = str(exc)
print("STATE " + json.dumps(outcomes))
"""


@pytest.fixture(scope="module")
def refusals(
    tmp_path_factory: pytest.TempPathFactory, migrated: Path, archive: Path
) -> tuple[Path, dict[str, str | None], bool]:
    """Restore every bad archive into one platform; return it, the errors, and if it changed."""
    home = tmp_path_factory.mktemp("target")
    (home / "var" / "media").mkdir(parents=True)
    shutil.copy(migrated, home / "var" / "prossima.sqlite3")
    (home / "var" / "media" / "kept.txt").write_text("already here")
    bad = []
    for name, (build, _) in BAD_ARCHIVES.items():
        path = home / f"{name}.tar.gz"
        build(archive, path)
        bad.append(str(path))
    before = fingerprint(home)
    script = home / "restore_each.py"
    script.write_text(RESTORE_EACH)
    env = environment(home) | {"DJANGO_SETTINGS_MODULE": "prossima.config.settings"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); exec(open({str(script)!r}).read())",
            *bad,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout.split("STATE ", 1)[1])
    return home, outcomes, fingerprint(home) != before


@pytest.mark.parametrize("case", list(BAD_ARCHIVES))
def test_restore_refuses_and_changes_nothing(
    case: str, refusals: tuple[Path, dict[str, str | None], bool]
) -> None:
    home, outcomes, changed = refusals
    message = outcomes[case]
    assert message is not None, "restored"
    for text in BAD_ARCHIVES[case][1]:
        assert text in message
    assert not changed
    assert not (home / "evil.txt").exists()
    assert not (home.parent / "evil.txt").exists()
    assert not Path("/evil.txt").exists()
    assert not [p.name for p in (home / "var").iterdir() if p.name.startswith(".")]
