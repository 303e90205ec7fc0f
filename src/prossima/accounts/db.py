"""Database triggers that make the audit log append-only, on SQLite and PostgreSQL.

The model refuses updates and deletes; these triggers make raw SQL refuse them
too. ``remove_audit_triggers`` exists for the one legitimate wholesale removal:
emptying a test database between transactional tests.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

TABLE = "accounts_auditevent"

_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
]
_SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
]
_POSTGRES_INSTALL = [
    "CREATE OR REPLACE FUNCTION prossima_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION prossima_audit_append_only();",
    # TRUNCATE bypasses row triggers; refuse it too.
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION prossima_audit_append_only();",
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
]


def _statements(connection: Any, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return _POSTGRES_INSTALL if install else _POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_REMOVE
    raise ImproperlyConfigured(
        f"No append-only audit triggers for database {connection.vendor!r}; "
        "Prossima supports SQLite and PostgreSQL (set DATABASE_URL to one of them)."
    )


def install_audit_triggers(connection: Any) -> None:
    """Create the triggers that refuse UPDATE, DELETE (and TRUNCATE) on the audit log."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def remove_audit_triggers(connection: Any) -> None:
    """Drop the append-only triggers (test databases only)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)
