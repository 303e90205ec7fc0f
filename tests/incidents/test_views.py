"""The incident pages: permissions, upload checks, preview, background import, reports."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.incidents.actions import do_create_dataset
from prossima.incidents.models import Import, Incident
from prossima.jobs.models import Job
from prossima.jobs.runner import run_job

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def world(make_org: Any, make_user: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    toronto = make_org(OrganisationKind.PARTNER_CITY, "Toronto (test)", country="CA")
    police = make_org(OrganisationKind.POLICE_COMMAND, "TPS (test)", parent=toronto)
    other = make_org(OrganisationKind.PARTNER_CITY, "Elsewhere (test)", country="GB")
    return {
        "tenant": toronto,
        "dataset": do_create_dataset(None, toronto, name="MCI"),
        "analyst": make_user(police, Role.ANALYST, username="analyst"),
        "officer": make_user(police, Role.OFFICER, username="officer"),
        "outsider": make_user(other, Role.ANALYST, username="outsider"),
    }


def upload(client: Any, dataset: Any, name: str, content: bytes) -> Any:
    return client.post(
        reverse("incidents:upload", args=[dataset.pk]),
        {"file": SimpleUploadedFile(name, content, "text/csv")},
    )


def test_pages_follow_the_permission_rules(client: Any, world: dict[str, Any]) -> None:
    dataset_url = reverse("incidents:dataset", args=[world["dataset"].pk])
    assert client.get(reverse("incidents:index")).status_code == 302
    client.force_login(world["outsider"])
    assert client.get(dataset_url).status_code == 404, "other tenants' ids reveal nothing"
    assert "MCI" not in client.get(reverse("incidents:index")).content.decode()
    client.force_login(world["officer"])
    response = client.get(dataset_url)
    assert response.status_code == 200
    assert response.context["upload_form"] is None, "officers read, analysts import"
    assert upload(client, world["dataset"], "a.csv", b"x").status_code == 404
    assert AuditEvent.objects.filter(action="view", object_type="incidents.dataset").exists()


def test_analyst_uploads_previews_and_imports_in_the_background(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["analyst"])
    content = (DATA / "police_uk_extract.csv.gz").read_bytes()
    response = upload(client, world["dataset"], "street.csv.gz", content)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.context["preview"].file_format == "policeuk"
    assert "Crime type" in preview.content.decode()
    response = client.post(
        response["Location"],
        {"file_format": "auto", "encoding": "utf-8", "timezone": "Europe/London"},
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED
    assert run_job(job.pk) == Job.Status.DONE  # what the worker does
    job.refresh_from_db()
    page = client.get(response["Location"])
    assert 'data-status="done"' in page.content.decode()
    record = Import.objects.get(pk=job.result["import_id"])
    report = client.get(reverse("incidents:import", args=[record.pk]))
    assert report.status_code == 200
    assert len(report.context["rejects"]) == 88
    csv_response = client.get(reverse("incidents:import_rejects", args=[record.pk]))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().count("missing coordinates") == 88
    assert AuditEvent.objects.filter(action="export", object_type="incidents.import").exists()
    assert Incident.objects.filter(dataset=world["dataset"]).count() == record.created > 3000


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "not accepted"),
        ("data.csv", b"lon,lat\x00\x01\x02", "not a text file"),
        ("data.csv.gz", b"\x1f\x8b" + b"\x00" * 20, "gzip"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    client: Any, world: dict[str, Any], name: str, content: bytes, message: str
) -> None:
    client.cookies["django_language"] = "en"
    client.force_login(world["analyst"])
    response = upload(client, world["dataset"], name, content)
    page = client.get(response["Location"])
    texts = [str(m) for m in page.context["messages"]]
    assert any(message in t for t in texts), texts
    assert not Job.objects.exists()


def test_oversized_uploads_are_refused_before_reading(
    client: Any, world: dict[str, Any], settings: Any
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "INCIDENT_UPLOAD_MAX_MB": 0}
    client.force_login(world["analyst"])
    response = upload(client, world["dataset"], "big.csv", b"lon,lat\n" * 20000)
    assert response.status_code == 302
    assert not list((Path(settings.MEDIA_ROOT)).glob("imports/*/big.csv"))


def test_a_gzip_file_expanding_beyond_the_ceiling_is_refused_and_not_kept(
    client: Any, world: dict[str, Any], settings: Any
) -> None:
    import gzip

    settings.PROSSIMA = {**settings.PROSSIMA, "INCIDENT_UPLOAD_MAX_EXPANDED_MB": 1}
    client.force_login(world["analyst"])
    bomb = gzip.compress(b"lon,lat\n" + b"11.34,44.49\n" * 200_000)  # 2.4 MB expanded
    assert len(bomb) < 100_000
    response = upload(client, world["dataset"], "bomb.csv.gz", bomb)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert "1 MB" in page.content.decode()
    assert not list((Path(settings.MEDIA_ROOT)).glob("imports/*/bomb.csv.gz"))
    fine = gzip.compress(b"lon,lat\n" + b"11.34,44.49\n" * 50_000)  # 0.6 MB expanded
    response = upload(client, world["dataset"], "fine.csv.gz", fine)
    assert list((Path(settings.MEDIA_ROOT)).glob("imports/*/fine.csv.gz"))


def test_wrong_encoding_is_explained_and_can_be_chosen(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["analyst"])
    text = "Longitudine,Latitudine,Data,Categoria\n-79.39,43.65,2019-05-01T10:00,Furto \xe0\n"
    response = upload(client, world["dataset"], "pl.csv", text.encode("latin-1"))
    preview_url = response["Location"]
    page = client.get(preview_url)
    assert page.context["error"]
    assert "latin-1" in page.context["error"] or "UTF-8" in page.context["error"]
    page = client.get(preview_url, {"encoding": "latin-1"})
    assert not page.context["error"]
    assert page.context["preview"].file_format == "generic"


def test_generic_csv_needs_its_columns_named(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["analyst"])
    text = "a,b,c\n-79.39,43.65,2019-05-01T10:00\n"
    response = upload(client, world["dataset"], "odd.csv", text.encode())
    preview_url = response["Location"]
    page = client.post(
        preview_url, {"file_format": "generic", "encoding": "utf-8", "timezone": "America/Toronto"}
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"x", "y", "time"}
    page = client.post(
        preview_url,
        {
            "file_format": "generic",
            "encoding": "utf-8",
            "x": "a",
            "y": "b",
            "time": "c",
            "timezone": "America/Toronto",
        },
    )
    assert page.status_code == 302
    job = Job.objects.get()
    assert job.params["columns"] == {"x": "a", "y": "b", "time": "c", "timezone": "America/Toronto"}
    assert run_job(job.pk) == Job.Status.DONE, Job.objects.get().error


def test_job_pages_and_retry(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["analyst"])
    bad = gzip.compress(b"a,b\n1,2\n")
    response = upload(client, world["dataset"], "bad.csv.gz", bad)
    response = client.post(
        response["Location"], {"file_format": "auto", "encoding": "utf-8", "timezone": "UTC"}
    )
    job = Job.objects.get()
    run_job(job.pk)
    page = client.get(reverse("jobs:job", args=[job.pk]))
    assert 'data-status="failed"' in page.content.decode()
    assert page.context["can_retry"]
    fragment = client.get(reverse("jobs:job", args=[job.pk]), headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    client.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    client.force_login(world["outsider"])
    assert client.get(reverse("jobs:job", args=[job.pk])).status_code == 404


def test_reasons_are_shown_in_the_reader_language() -> None:
    from django.utils import translation

    from prossima.incidents.reasons import translate_reason

    with translation.override("it"):
        assert translate_reason("missing coordinates") == "coordinate mancanti"
        assert translate_reason("Data is not a time in the format %d/%m/%Y") == (
            "Data non è un orario nel formato %d/%m/%Y"
        )
        assert translate_reason("something new") == "something new"
    with translation.override("en"):
        assert translate_reason("outside the boundary") == "outside the boundary of the comune"
