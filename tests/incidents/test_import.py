"""Importing incident files: reports, rejects with lines, idempotency, batches, permissions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from prossima.accounts.models import OrganisationKind, Role
from prossima.incidents import actions
from prossima.incidents.actions import IncidentImportError, do_create_dataset, do_import_incidents
from prossima.incidents.models import Import, Incident

DATA = Path(__file__).resolve().parents[1] / "data"
TORONTO = DATA / "toronto_mci_extract.csv.gz"
POLICE_UK = DATA / "police_uk_extract.csv.gz"


@pytest.fixture
def toronto(make_org: Any) -> Any:
    return make_org(OrganisationKind.PARTNER_CITY, "Toronto (test)", country="CA", city="Toronto")


@pytest.fixture
def bologna_tenant(make_org: Any, bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)


def rejects_of(record: Import) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(record.rejects_csv)))


def test_toronto_extract_imports_once(toronto: Any) -> None:
    dataset = do_create_dataset(None, toronto, name="MCI", attribution="Toronto Police Service")
    first = do_import_incidents(None, dataset, TORONTO)
    assert first.status == Import.Status.DONE
    assert first.file_format == "toronto"
    assert first.rows == 11740
    assert first.rejected == 0
    assert first.created == first.accepted == 11740, "exact repeats are kept as published"
    assert Incident.objects.filter(dataset=dataset).count() == 11740
    assert first.summary["unmapped_categories"] == []
    burglary = Incident.objects.filter(dataset=dataset, category__code="furto-abitazione")
    assert burglary.count() == first.summary["categories"]["Break and Enter"]
    sample = Incident.objects.filter(dataset=dataset).first()
    assert sample.time_resolution == "hour"
    assert sample.occurred_to is not None
    assert (sample.occurred_to - sample.occurred_from).total_seconds() == 3600
    assert sample.area_label, "the Neighbourhood is kept"

    again = do_import_incidents(None, dataset, TORONTO)
    assert (again.created, again.duplicates) == (0, 11740)
    assert Incident.objects.filter(dataset=dataset).count() == 11740


def test_police_uk_rejects_are_reported_by_line(toronto: Any, make_org: Any) -> None:
    leeds = make_org(OrganisationKind.PARTNER_CITY, "West Yorkshire (test)", country="GB")
    dataset = do_create_dataset(None, leeds, name="Street crime")
    record = do_import_incidents(None, dataset, POLICE_UK)
    rows = rejects_of(record)
    assert record.rejected == len(rows) == 88
    assert {r["reason"] for r in rows} == {"missing coordinates"}
    assert all(int(r["line"]) >= 2 for r in rows)
    assert record.created == record.accepted == record.rows - 88
    violent = Incident.objects.filter(
        dataset=dataset, source_category="Violence and sexual offences"
    )
    assert violent.exists()
    assert all(i.sensitive for i in violent), "the group holds sexual offences: sensitive"
    month = Incident.objects.filter(dataset=dataset).first()
    assert month.time_resolution == "month"
    assert month.occurred_from.astimezone(ZoneInfo("Europe/London")).day == 1


def test_comune_imports_reject_outside_and_future_rows(
    bologna_tenant: Any, tmp_path: Path, english: Any
) -> None:
    path = tmp_path / "pl.csv"
    path.write_text(
        "lon,lat,time,category\n"
        "11.3426,44.4939,2024-05-01T10:00,furto\n"  # Piazza Maggiore
        "12.4964,41.9028,2024-05-01T11:00,furto\n"  # Rome: outside Bologna
        "11.3500,44.5000,2099-01-01T10:00,rapina\n"  # future
        "11.3300,44.4900,2024-05-02T22:00,spaccio\n",  # not in the mapping
        encoding="utf-8",
    )
    dataset = do_create_dataset(None, bologna_tenant, name="Polizia Locale 2024")
    record = do_import_incidents(None, dataset, path, now=datetime(2025, 1, 1, tzinfo=UTC))
    rows = rejects_of(record)
    assert [(r["line"], r["reason"]) for r in rows] == [
        ("3", rows[0]["reason"]),
        ("4", "date in the future"),
    ]
    assert "outside" in rows[0]["reason"]
    assert record.created == 2
    assert set(record.summary["unmapped_categories"]) == {"furto", "spaccio"}
    assert not Incident.objects.filter(dataset=dataset, category__isnull=False).exists()


def test_unreadable_files_fail_cleanly(toronto: Any, tmp_path: Path) -> None:
    dataset = do_create_dataset(None, toronto, name="MCI")
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IncidentImportError, match=r"notes\.csv"):
        do_import_incidents(None, dataset, bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("lon,lat,time,category\n11.3,44.4,2024-01-01,Forl\xec\n".encode("latin-1"))
    with pytest.raises(IncidentImportError):
        do_import_incidents(None, dataset, latin)
    assert not Incident.objects.filter(dataset=dataset).exists()
    failed = Import.objects.filter(dataset=dataset)
    assert failed.count() == 2
    assert all(r.status == Import.Status.FAILED and r.error for r in failed)


def test_a_failed_batch_keeps_earlier_batches_and_a_rerun_completes(
    toronto: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = do_create_dataset(None, toronto, name="MCI")
    original = Incident.objects.bulk_create
    calls = {"n": 0}

    def flaky(objs: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("connection lost")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Incident.objects, "bulk_create", flaky)
    with pytest.raises(RuntimeError, match="connection lost"):
        do_import_incidents(None, dataset, TORONTO, batch_size=4000)
    failed = Import.objects.get(dataset=dataset)
    assert failed.status == Import.Status.FAILED
    assert "connection lost" in failed.error
    assert Incident.objects.filter(dataset=dataset).count() == 8000, "two whole batches"

    monkeypatch.setattr(Incident.objects, "bulk_create", original)
    done = do_import_incidents(None, dataset, TORONTO, batch_size=4000)
    assert (done.created, done.duplicates) == (11740 - 8000, 8000)
    assert Incident.objects.filter(dataset=dataset).count() == 11740


def test_only_analysts_and_managers_import(
    bologna_tenant: Any, make_user: Any, make_org: Any
) -> None:
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna", parent=bologna_tenant)
    officer = make_user(police, Role.OFFICER)
    analyst = make_user(police, Role.ANALYST)
    with pytest.raises(PermissionDenied):
        do_create_dataset(officer, bologna_tenant, name="x")
    dataset = do_create_dataset(analyst, bologna_tenant, name="x")
    with pytest.raises(PermissionDenied):
        do_import_incidents(officer, dataset, TORONTO)


def test_command(toronto: Any, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    call_command(
        "import_incidents",
        toronto.slug,
        "MCI",
        str(TORONTO),
        "--rejects",
        str(rejects),
        verbosity=0,
    )
    assert Incident.objects.filter(tenant=toronto).count() == 11740
    assert rejects.read_text(encoding="utf-8").startswith("line,reason,field,value")
    with pytest.raises(CommandError, match="No organisation with short name 'nowhere'"):
        call_command("import_incidents", "nowhere", "MCI", str(TORONTO))


def test_fingerprints_separate_identical_rows() -> None:
    import numpy as np

    labels = np.array(["A", "A", "B"], dtype=object)
    t = np.array(["2020-01-01T00:00", "2020-01-01T00:00", "2020-01-01T00:00"], "datetime64[ns]")
    lon = np.array([11.0, 11.0, 11.0])
    lat = np.array([44.0, 44.0, 44.0])
    hashes = actions.fingerprints(labels, t, lon, lat)
    assert len(set(hashes)) == 3
    assert hashes == actions.fingerprints(labels, t, lon, lat)
