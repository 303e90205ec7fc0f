"""Back up and restore the platform: its database and its uploaded files, in one archive.

The archive is a ``.tar.gz`` holding:

- ``database/prossima.sqlite3`` (SQLite, copied with the online backup API) or
  ``database/prossima.pgdump`` (PostgreSQL, ``pg_dump --format=custom``);
- ``media/…``, the uploaded files (``MEDIA_ROOT``) as they are;
- ``manifest.json``, last: format version, Prossima version, creation time, database
  vendor, the applied migrations per app, the SHA-256 and size of every other member
  and the row count of every table.

Both functions expect Django to be set up (``prossima backup`` / ``prossima restore``
do it). Restoring checks everything it can before it touches anything: every
checksum, the vendor, the migrations and whether the database already holds data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/prossima.sqlite3"
POSTGRES_MEMBER = "database/prossima.pgdump"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024

# Tables that migrations alone fill (bookkeeping, seeded categories, the full-text
# index's own tables): rows there do not mean the platform has been used.
SEEDED_TABLES = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "django_session",
        "incidents_reportcategory",
        "practices_practice_fts_config",
        "practices_practice_fts_data",
        "practices_practice_fts_idx",
        "practices_practice_fts_docsize",
    }
)


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why, plainly."""


@dataclass
class BackupManifest:
    """Describe a backup archive: what it holds and where it comes from."""

    format_version: int
    prossima_version: str
    created_at: str
    vendor: str
    migrations: dict[str, list[str]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    file_count: int = 0

    @property
    def media_count(self) -> int:
        """Return the number of uploaded files in the archive."""
        return sum(1 for name in self.files if name.startswith(f"{MEDIA_DIR}/"))

    @property
    def total_rows(self) -> int:
        """Return the number of rows in all tables."""
        return sum(self.row_counts.values())

    def to_json(self) -> bytes:
        """Return the manifest as UTF-8 JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BackupManifest:
        """Read a manifest; raise BackupError when it is not one this code understands."""
        try:
            raw = json.loads(data)
            version = int(raw["format_version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{MANIFEST} is not a valid manifest ({exc}).") from exc
        if version != FORMAT_VERSION:
            raise BackupError(
                f"The archive's format version is {version}; this Prossima reads version "
                f"{FORMAT_VERSION} only."
            )
        try:
            return cls(
                format_version=version,
                prossima_version=str(raw["prossima_version"]),
                created_at=str(raw["created_at"]),
                vendor=str(raw["vendor"]),
                migrations={str(k): [str(n) for n in v] for k, v in raw["migrations"].items()},
                files={str(k): dict(v) for k, v in raw["files"].items()},
                row_counts={str(k): int(v) for k, v in raw["row_counts"].items()},
                file_count=int(raw["file_count"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(f"{MANIFEST} is not a valid manifest ({exc}).") from exc


# -- the configured database and folders ------------------------------------------------


def _database() -> dict[str, Any]:
    from django.db import connections

    settings_dict: dict[str, Any] = connections["default"].settings_dict
    return settings_dict


def _vendor() -> str:
    from django.db import connections

    vendor: str = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _media_root() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT).resolve()


def _code_migrations() -> set[tuple[str, str]]:
    """Return the migrations this code knows, including those a squash replaced."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    return known


def _group_migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        grouped.setdefault(app, []).append(name)
    return grouped


def _count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        quoted = '"' + table.replace('"', '""') + '"'
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 -- names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _sqlite_facts(path: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Return the row counts and applied migrations of a SQLite file."""
    conn = sqlite3.connect(path)
    try:
        tables = _sqlite_tables(conn)
        counts = _count_rows(conn.cursor(), tables)
        migrations = (
            conn.execute("SELECT app, name FROM django_migrations").fetchall()
            if "django_migrations" in tables
            else []
        )
    finally:
        conn.close()
    return counts, [(str(a), str(n)) for a, n in migrations]


_POSTGRES_TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
"""


def _postgres_facts(cursor: Any) -> tuple[dict[str, int], list[tuple[str, str]]]:
    cursor.execute(_POSTGRES_TABLES)
    tables = [str(r[0]) for r in cursor.fetchall()]
    counts = _count_rows(cursor, tables)
    migrations: list[tuple[str, str]] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = [(str(a), str(n)) for a, n in cursor.fetchall()]
    return counts, migrations


def _current_row_counts() -> dict[str, int]:
    """Return the row counts of the configured database, as it is now."""
    from django.db import connections

    if _vendor() == "sqlite":
        path = Path(_database()["NAME"])
        return _sqlite_facts(path)[0] if path.exists() else {}
    with connections["default"].cursor() as cursor:
        return _postgres_facts(cursor)[0]


def _postgres_env_and_args(program: str) -> tuple[dict[str, str], list[str]]:
    """Return the environment and connection arguments of a PostgreSQL client program."""
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not installed or not on PATH; it is needed to back up and restore "
            "a PostgreSQL database. Install the PostgreSQL client (e.g. the Debian package "
            "postgresql-client) in the version of the server or newer."
        )
    db = _database()
    env = dict(os.environ)
    # The password goes through the environment, never the command line (ps shows that).
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    options = db.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    args = [shutil.which(program) or program]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    args += ["--dbname", str(db["NAME"])]
    return env, args


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


# -- backup -----------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Read a file while computing its SHA-256, so each upload is read once."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data


def _add_file(
    tar: tarfile.TarFile, path: Path, name: str, files: dict[str, dict[str, Any]]
) -> None:
    """Add a regular file to the archive under ``name`` and record its checksum."""
    with path.open("rb") as raw:
        stat = os.fstat(raw.fileno())
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o644
        reader = _HashingReader(raw)
        # tarfile reads exactly info.size bytes; a file cut short while read raises.
        tar.addfile(info, reader)
    files[name] = {"sha256": reader.sha.hexdigest(), "size": reader.size}


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Yield the uploaded files (not links: they may point anywhere) with their member names."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for filename in sorted(names):
            path = Path(folder) / filename
            if path.is_symlink() or not path.is_file():
                continue
            yield path, f"{MEDIA_DIR}/{path.relative_to(root).as_posix()}"


def _dump_sqlite(staged: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    source_path = Path(_database()["NAME"])
    if not source_path.exists():
        raise BackupError(
            f"The database {source_path.name} does not exist yet; run prossima setup."
        )
    # The online backup API copies a consistent snapshot while the platform writes.
    source = sqlite3.connect(source_path, timeout=20)
    target = sqlite3.connect(staged)
    try:
        source.backup(target)
        # A self-contained file: no write-ahead log to carry alongside it.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    # Counted on the copy itself, so the counts match the archived database exactly.
    return _sqlite_facts(staged)


def _dump_postgres(staged: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    from django.db import connections, transaction

    env, args = _postgres_env_and_args("pg_dump")
    connection = connections["default"]
    # Open (and health-check) the connection first: no query may precede SET TRANSACTION.
    with connection.cursor():
        pass
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_dump reads the snapshot this transaction exports, so the counts and the
        # migrations in the manifest describe exactly the dumped data.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        facts = _postgres_facts(cursor)
        _run(
            [*args, "--format=custom", "--snapshot", snapshot, "--file", str(staged)],
            env,
            "pg_dump",
        )
    return facts


def create_backup(target: Path) -> BackupManifest:
    """Write a backup archive of the database and the uploaded files to ``target``."""
    from prossima import __version__

    vendor = _vendor()
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        staged_db = Path(tmp) / "database"
        if vendor == "sqlite":
            counts, migrations = _dump_sqlite(staged_db)
            member = SQLITE_MEMBER
        else:
            counts, migrations = _dump_postgres(staged_db)
            member = POSTGRES_MEMBER
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            _add_file(tar, staged_db, member, files)
            for path, name in _media_files(_media_root()):
                _add_file(tar, path, name, files)
            manifest = BackupManifest(
                format_version=FORMAT_VERSION,
                prossima_version=__version__,
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                vendor=vendor,
                migrations=_group_migrations(migrations),
                files=files,
                row_counts=counts,
                file_count=len(files),
            )
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        # Only a complete archive gets the requested name.
        os.replace(partial, target)
    return manifest


# -- reading an archive -----------------------------------------------------------------


def _check_member(member: tarfile.TarInfo) -> None:
    """Refuse a member that could write outside the restored folders."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"Refused: the archive member {name!r} points outside its folder.")
    if not (member.isfile() or member.isdir()):
        raise BackupError(f"Refused: the archive member {name!r} is a link or a special file.")
    top = path.parts[0] if path.parts else ""
    if name != MANIFEST and top not in ("database", MEDIA_DIR):
        raise BackupError(f"Refused: the archive member {name!r} is not part of a backup.")


def _walk(source: Path, visit: Callable[[tarfile.TarInfo, IO[bytes] | None], None]) -> str:
    """Call ``visit`` on each checked member; return the last member's name.

    Names the member where the archive breaks: a damaged gzip stream or tar header.
    """
    current = "(the start of the archive)"
    try:
        with tarfile.open(source, "r:gz") as tar:
            for member in tar:
                current = member.name
                _check_member(member)
                stream = tar.extractfile(member) if member.isfile() else None
                visit(member, stream)
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
        # zlib, gzip and tar errors all mean a damaged or cut archive.
        raise BackupError(
            f"The archive {source.name} is damaged or truncated at member {current!r} "
            f"({exc}). Nothing was restored."
        ) from exc
    return current


def _copy_hashing(stream: IO[bytes], out: IO[bytes] | None) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return sha.hexdigest(), size


def _verify(source: Path) -> BackupManifest:
    """Check every member against the manifest without writing anything."""
    seen: dict[str, tuple[str, int]] = {}
    manifest_data: list[bytes] = []

    def visit(member: tarfile.TarInfo, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        if member.name == MANIFEST:
            manifest_data.append(stream.read())
        else:
            seen[member.name] = _copy_hashing(stream, None)

    last = _walk(source, visit)
    if not manifest_data:
        # The manifest is the last member: without it the archive was cut short (tar
        # stops quietly at a damaged header) or was never a backup.
        raise BackupError(
            f"The archive {source.name} has no {MANIFEST} after member {last!r}: it is "
            "truncated, damaged or not a Prossima backup. Nothing was restored."
        )
    manifest = BackupManifest.from_json(manifest_data[0])
    for name, expected in manifest.files.items():
        if name not in seen:
            raise BackupError(
                f"The archive member {name!r} is missing: the archive is truncated. "
                "Nothing was restored."
            )
        sha, size = seen[name]
        if sha != expected.get("sha256") or size != expected.get("size"):
            raise BackupError(
                f"The archive member {name!r} is corrupted: its checksum does not match the "
                "manifest. Nothing was restored."
            )
    extra = sorted(set(seen) - set(manifest.files))
    if extra:
        raise BackupError(f"The archive member {extra[0]!r} is not in the manifest; refused.")
    return manifest


def read_manifest(source: Path) -> BackupManifest:
    """Return the manifest of a backup archive after checking every member's checksum."""
    return _verify(Path(source))


# -- restore ----------------------------------------------------------------------------


def _check_compatible(manifest: BackupManifest, vendor: str) -> None:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    if manifest.vendor != vendor:
        raise BackupError(
            f"Refused: the backup holds a {names.get(manifest.vendor, manifest.vendor)} "
            f"database and this platform uses {names[vendor]}. Restore it on a platform "
            "configured with the same database vendor."
        )
    known = _code_migrations()
    newer = [
        f"{app}.{name}"
        for app, names_ in sorted(manifest.migrations.items())
        for name in names_
        if (app, name) not in known
    ]
    if newer:
        shown = ", ".join(newer[:10]) + (f" and {len(newer) - 10} more" if len(newer) > 10 else "")
        raise BackupError(
            f"Refused: the backup (Prossima {manifest.prossima_version}) has migrations this "
            f"code does not know: {shown}. Upgrade Prossima first."
        )


def _check_empty() -> None:
    counts = _current_row_counts()
    used = {t: n for t, n in counts.items() if n and t not in SEEDED_TABLES}
    if used:
        shown = ", ".join(f"{n} rows in {t}" for t, n in sorted(used.items())[:5])
        more = f" and {len(used) - 5} more tables" if len(used) > 5 else ""
        raise BackupError(
            f"Refused: the database already holds data ({shown}{more}). Restoring replaces "
            "all of it with the backup; run again with --force to do so."
        )


def _extract(source: Path, manifest: BackupManifest, db_out: Path, media_out: Path) -> None:
    """Write the database member to ``db_out`` and the uploads under ``media_out``."""

    def copy(name: str, stream: IO[bytes], path: Path) -> None:
        with path.open("wb") as out:
            sha, _ = _copy_hashing(stream, out)
        # Checked again as written: the archive may have changed since it was verified.
        if sha != manifest.files.get(name, {}).get("sha256"):
            raise BackupError(f"The archive member {name!r} changed while being restored.")

    def visit(member: tarfile.TarInfo, stream: IO[bytes] | None) -> None:
        name = member.name
        if name.startswith("database/") and stream is not None:
            copy(name, stream, db_out)
            return
        if not name.startswith(f"{MEDIA_DIR}/"):
            return
        relative = PurePosixPath(name).relative_to(MEDIA_DIR)
        path = (media_out / Path(*relative.parts)).resolve()
        # Checked again on the real path, in case a name slipped past the member check.
        if not path.is_relative_to(media_out.resolve()):
            raise BackupError(f"Refused: the archive member {name!r} points outside its folder.")
        if member.isdir():
            path.mkdir(parents=True, exist_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if stream is not None:
            copy(name, stream, path)

    _walk(source, visit)


def _swap_sqlite(staged: Path, target: Path) -> None:
    from django.db import connections

    connections.close_all()
    if target.exists():
        # Fold the write-ahead log into the old file, so no log of the old database is
        # left to be replayed over the restored one.
        conn = sqlite3.connect(target, timeout=20)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    os.replace(staged, target)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{target}{suffix}").unlink()


def _restore_postgres(dump: Path) -> None:
    from django.db import connections

    env, args = _postgres_env_and_args("pg_restore")
    connections.close_all()
    _run(
        [*args, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(dump)],
        env,
        "pg_restore",
    )


def _swap_media(staged: Path, media_root: Path) -> None:
    """Put the restored uploads in place; keep the old folder until that has worked."""
    old = media_root.with_name(f".{media_root.name}.old-{os.getpid()}")
    if media_root.exists():
        os.replace(media_root, old)
    try:
        os.replace(staged, media_root)
    except OSError:
        if old.exists():
            os.replace(old, media_root)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _compare_counts(expected: dict[str, int], actual: dict[str, int], when: str) -> None:
    wrong = [
        f"{t}: {actual.get(t, 'missing')} instead of {n}"
        for t, n in sorted(expected.items())
        if actual.get(t) != n
    ]
    if wrong:
        raise BackupError(
            f"The row counts {when} do not match the manifest ({'; '.join(wrong[:5])})."
        )


def restore_backup(source: Path, *, force: bool) -> BackupManifest:
    """Replace the database and the uploaded files with those of a backup archive.

    Refuses, before touching anything, a damaged archive, a member that points outside
    its folder, a backup of another database vendor or of newer migrations, and a
    database that already holds data unless ``force``.
    """
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"No backup archive at {source}.")
    manifest = _verify(source)
    vendor = _vendor()
    _check_compatible(manifest, vendor)
    if not force:
        _check_empty()
    if vendor == "postgresql":
        # Fail on a missing pg_restore now, not halfway through.
        _postgres_env_and_args("pg_restore")

    media_root = _media_root()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        target = Path(_database()["NAME"]).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        db_dir = target.parent
    else:
        db_dir = media_root.parent
    # Staged next to their targets, so that the swaps are renames on one file system.
    with (
        tempfile.TemporaryDirectory(dir=db_dir, prefix=".restore-db-") as db_tmp,
        tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-media-") as m_tmp,
    ):
        staged_db = Path(db_tmp) / "database"
        staged_media = Path(m_tmp) / MEDIA_DIR
        staged_media.mkdir()
        _extract(source, manifest, staged_db, staged_media)
        if vendor == "sqlite":
            _compare_counts(manifest.row_counts, _sqlite_facts(staged_db)[0], "of the archive")
            _swap_sqlite(staged_db, target)
        else:
            _restore_postgres(staged_db)
        _swap_media(staged_media, media_root)
    _compare_counts(manifest.row_counts, _current_row_counts(), "after the restore")
    return manifest
