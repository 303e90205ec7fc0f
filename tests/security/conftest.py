"""Shared helpers of the security tests: per-example rollback and a count of every table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction


def project_tables() -> list[str]:
    """Return the database table of every concrete model of the platform's own apps."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("prossima.")
        and model._meta.managed
        and not model._meta.proxy
    }
    return sorted(tables)


def table_counts() -> dict[str, int]:
    """Return the number of rows of every table of the platform, in one query.

    One query rather than one per table keeps a fuzz example cheap on PostgreSQL.
    """
    tables = project_tables()
    quote = connection.ops.quote_name
    # The names come from the model registry, quoted: no outside text reaches the SQL.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    sql = f"SELECT {counts}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, (int(n) for n in row), strict=True))


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Return the tables whose row count differs, with the difference."""
    return {t: after[t] - before[t] for t in before if after[t] != before[t]}


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back.

    pytest-django wraps a whole test in one transaction; hypothesis runs many
    examples inside it, so each example undoes its own writes here.
    """
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)
