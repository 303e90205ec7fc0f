"""Refuse UPDATE and DELETE on the audit log in the database itself."""

from django.db import migrations

from prossima.accounts.db import install_audit_triggers, remove_audit_triggers


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    install_audit_triggers(schema_editor.connection)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    remove_audit_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
