"""Full-text index of the practices' stemmed words: FTS5 on SQLite, GIN on PostgreSQL.

On SQLite a later migration that rebuilds practices_practice (Django copies the
table to alter it) drops these triggers: such a migration must create them again.
The search tests fail if it does not.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE practices_practice_fts USING fts5("
    "terms_title, terms_summary, terms_body, content='practices_practice', "
    "content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER practices_practice_fts_insert AFTER INSERT ON practices_practice BEGIN "
    "INSERT INTO practices_practice_fts(rowid, terms_title, terms_summary, terms_body) "
    "VALUES (new.id, new.terms_title, new.terms_summary, new.terms_body); END",
    "CREATE TRIGGER practices_practice_fts_delete AFTER DELETE ON practices_practice BEGIN "
    "INSERT INTO practices_practice_fts(practices_practice_fts, rowid, terms_title, "
    "terms_summary, terms_body) VALUES ('delete', old.id, old.terms_title, "
    "old.terms_summary, old.terms_body); END",
    "CREATE TRIGGER practices_practice_fts_update AFTER UPDATE ON practices_practice BEGIN "
    "INSERT INTO practices_practice_fts(practices_practice_fts, rowid, terms_title, "
    "terms_summary, terms_body) VALUES ('delete', old.id, old.terms_title, "
    "old.terms_summary, old.terms_body); "
    "INSERT INTO practices_practice_fts(rowid, terms_title, terms_summary, terms_body) "
    "VALUES (new.id, new.terms_title, new.terms_summary, new.terms_body); END",
    "INSERT INTO practices_practice_fts(practices_practice_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS practices_practice_fts_update",
    "DROP TRIGGER IF EXISTS practices_practice_fts_delete",
    "DROP TRIGGER IF EXISTS practices_practice_fts_insert",
    "DROP TABLE IF EXISTS practices_practice_fts",
]
# A stored, generated tsvector: the text is parsed once when written, never when searched.
# Django does not know the column; queries._postgres_matches names it.
POSTGRES_FORWARD = [
    "ALTER TABLE practices_practice ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, terms_title || ' ' || terms_summary || ' ' || "
    "terms_body)) STORED",
    "CREATE INDEX practices_practice_fts ON practices_practice USING GIN (search_vector)",
    # The ranking reads these two on every match: kept uncompressed in the row, it
    # reads them 1.7x faster (benchmarks/README.md). Summaries are limited in length
    # (actions.MAX_SUMMARY_CHARS), so the row still fits a page.
    "ALTER TABLE practices_practice ALTER COLUMN terms_title SET STORAGE PLAIN, "
    "ALTER COLUMN terms_summary SET STORAGE PLAIN",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS practices_practice_fts",
    "ALTER TABLE practices_practice DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
