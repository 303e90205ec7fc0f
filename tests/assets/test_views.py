"""The asset office's pages, the national view, the public list and its open data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from prossima.accounts.models import OrganisationKind, Role
from prossima.assets import actions
from prossima.assets.models import (
    AlertKind,
    Asset,
    AssetAlert,
    AssetImport,
    HolderKind,
    PendingRow,
    Purpose,
    ReuseProposal,
    Stage,
)
from prossima.assets.queries import PUBLIC_COLUMNS

from .conftest import DESTINED

SECRET_NOTE = "Chiavi presso il custode giudiziario"


@pytest.fixture
def registry(bologna: Any, manager: Any) -> dict[str, Asset]:
    """Three assets of Bologna: one granted, one destined, one still seized."""
    granted = actions.do_create_asset(
        manager,
        bologna,
        code="I-BO-T-001",
        kind="real_estate",
        category="housing",
        address="Via di Prova 1",
        stage=Stage.DESTINED,
        destination_decree_number="10/2020",
        destination_decree_date=dt.date(2020, 3, 2),
        recipient="Comune di Bologna",
        destination_purpose=Purpose.SOCIAL,
        estimated_value=Decimal("987654.32"),
        notes=SECRET_NOTE,
        occupied=True,
        lat=44.49,
        lon=11.34,
    )
    actions.do_record_stage(manager, granted, Stage.HANDED_OVER, dt.date(2020, 9, 1))
    actions.do_grant_concession(
        manager,
        Asset.objects.get(pk=granted.pk),
        holder="Cooperativa Esempio",
        holder_kind=HolderKind.COOPERATIVE,
        holder_tax_code="01234567890",
        act_reference="Determina n. 5 del 2/1/2024",
        subject="Comodato d'uso gratuito",
        purpose=Purpose.SOCIAL,
        starts_on=dt.date(2024, 1, 1),
        duration_months=60,
        project_title="Casa comune",
        goals="Accoglienza",
        beneficiaries="Giovani",
    )
    destined = actions.do_create_asset(
        manager,
        bologna,
        code="I-BO-T-002",
        kind="real_estate",
        category="land",
        stage=Stage.DESTINED,
        destination_decree_number="11/2021",
        destination_decree_date=dt.date(2021, 5, 4),
    )
    seized = actions.do_create_asset(
        manager,
        bologna,
        code="I-BO-T-003",
        kind="company",
        stage=Stage.SEIZED,
        seized_on=dt.date(2024, 2, 1),
    )
    return {"granted": granted, "destined": destined, "seized": seized}


def _csv(client: Client, istat: str) -> list[dict[str, str]]:
    response = client.get(reverse("assets:public_download", args=[istat, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_public_list_and_its_downloads_hold_what_the_law_asks_and_no_more(
    client: Client, registry: dict[str, Asset], bologna: Any
) -> None:
    rows = _csv(client, bologna.istat_code)
    assert [r["codice_bene"] for r in rows] == ["I-BO-T-001", "I-BO-T-002"], "seized: not listed"
    assert list(rows[0]) == [key for key, _label in PUBLIC_COLUMNS]
    granted = rows[0]
    assert granted["concessionario"] == "Cooperativa Esempio"
    assert granted["atto_concessione"] == "Determina n. 5 del 2/1/2024"
    assert granted["durata_mesi"] == "60"
    assert granted["fine_concessione"] == "2028-12-31"
    assert granted["data_consegna"] == "2020-09-01"
    assert granted["stato"] == "Consegnato al comune", "open data is in Italian"

    geo = client.get(reverse("assets:public_download", args=[bologna.istat_code, "geojson"]))
    features = json.loads(geo.content)["features"]
    assert [f["properties"]["codice_bene"] for f in features] == ["I-BO-T-001", "I-BO-T-002"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [11.34, 44.49]}
    assert features[1]["geometry"] is None
    for feature, row in zip(features, rows, strict=True):
        assert {k: "" if v is None else str(v) for k, v in feature["properties"].items()} == row

    data = json.loads(
        client.get(reverse("assets:public_download", args=[bologna.istat_code, "json"])).content
    )
    assert [b["codice_bene"] for b in data["beni"]] == ["I-BO-T-001", "I-BO-T-002"]
    assert data["aggiornato"]

    page = client.get(reverse("assets:public_comune", args=[bologna.istat_code]))
    assert page.status_code == 200
    everything = page.content.decode() + geo.content.decode() + json.dumps(data) + str(rows)
    for private in (SECRET_NOTE, "987654", "I-BO-T-003"):
        assert private not in everything, f"{private} must not be published"
    assert "Cooperativa Esempio" in page.content.decode()
    assert page.context["in_management"] == 1


def test_open_data_does_not_change_with_the_reader_language(
    client: Client, registry: dict[str, Asset], bologna: Any
) -> None:
    client.cookies["django_language"] = "en"
    rows = _csv(client, bologna.istat_code)
    assert rows[0]["stato"] == "Consegnato al comune"


def test_dcat_metadata_describes_the_three_downloads(
    client: Client, registry: dict[str, Asset], bologna: Any
) -> None:
    response = client.get(reverse("assets:public_dcat", args=[bologna.istat_code]))
    assert response["Content-Type"] == "application/ld+json"
    doc = json.loads(response.content)
    assert "dcatapit:Dataset" in doc["@type"]
    assert doc["dct:accrualPeriodicity"]["@id"].endswith("/frequency/MONTHLY")
    formats = sorted(d["dct:format"]["@id"].rsplit("/", 1)[1] for d in doc["dcat:distribution"])
    assert formats == ["CSV", "GEOJSON", "JSON"]
    for distribution in doc["dcat:distribution"]:
        url = distribution["dcat:downloadURL"]["@id"].replace("http://testserver", "")
        assert client.get(url).status_code == 200
    catalog = json.loads(client.get(reverse("assets:public_catalog")).content)
    assert [d["@id"] for d in catalog["dcat:dataset"]] == [doc["@id"]]


def test_registry_pages_follow_the_permissions(
    client: Client,
    registry: dict[str, Asset],
    bologna_org: Any,
    modena_manager: Any,
    analyst: Any,
    manager: Any,
    make_org: Any,
    make_user: Any,
) -> None:
    url = reverse("assets:registry", args=[bologna_org.slug])
    asset_url = reverse("assets:asset", args=[registry["granted"].pk])
    import_url = reverse("assets:import_upload", args=[bologna_org.slug])
    assert client.get(url).status_code == 302, "anonymous: to the login page"
    client.force_login(modena_manager)
    assert client.get(url).status_code == 404
    assert client.get(asset_url).status_code == 404
    client.force_login(analyst)
    page = client.get(asset_url)
    assert page.status_code == 200
    assert SECRET_NOTE in page.content.decode()
    assert client.get(import_url).status_code == 404, "analysts read, managers import"
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna", parent=bologna_org)
    client.force_login(make_user(police, Role.OFFICER))
    assert client.get(url).status_code == 200
    assert client.get(import_url).status_code == 404
    client.force_login(manager)
    assert client.get(import_url).status_code == 200


def test_national_view_counts_by_region_and_shows_alerts_to_the_association(
    client: Client, registry: dict[str, Asset], manager: Any, make_org: Any, make_user: Any
) -> None:
    # The first yearly report of the concession (from 2024-01-01) is overdue on 2025-06-16.
    open_alerts = AssetAlert.objects.filter(cleared_on__isnull=True)
    assert [a.kind for a in open_alerts] == [AlertKind.REPORT_OVERDUE]
    idle = AssetAlert.objects.get(kind=AlertKind.IDLE)
    assert idle.cleared_on == dt.date(2025, 6, 16), "idle from handover to the concession"
    page = client.get(reverse("assets:national"))
    regions = page.context["regions"]
    assert [(r["name"], r["total"]) for r in regions] == [("Emilia-Romagna", 3)]
    cells = dict(zip(Stage.values, regions[0]["cells"], strict=True))
    assert (cells[Stage.HANDED_OVER], cells[Stage.DESTINED], cells[Stage.SEIZED]) == (1, 1, 1)
    assert b"national-alerts" not in page.content, "the public sees no alerts"
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione")
    client.force_login(make_user(association, Role.ANALYST))
    page = client.get(reverse("assets:national"))
    assert [a.asset.code for a in page.context["alerts"]] == ["I-BO-T-001"]
    points = json.loads(client.get(reverse("assets:national_map")).content)["features"]
    assert [(p["properties"]["name"], p["properties"]["total"]) for p in points] == [("Bologna", 3)]


def test_import_through_the_web_with_the_column_mapping(
    client: Client, manager: Any, bologna_org: Any
) -> None:
    client.force_login(manager)
    with DESTINED.open("rb") as handle:
        response = client.post(
            reverse("assets:import_upload", args=[bologna_org.slug]), {"file": handle}
        )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    form = preview.context["form"]
    assert form.initial["col_code"] == "s_bene"
    assert form.initial["file_kind"] == "destined_real_estate"
    post = dict(form.initial)
    done = client.post(response["Location"], post)
    assert done.status_code == 302, done.context and done.context["error"]
    record = AssetImport.objects.get()
    assert (record.created, record.outside_scope, record.unmatched) == (7, 3, 2)
    report = client.get(done["Location"])
    assert b"BORGO PANIGALE" in report.content
    row = PendingRow.objects.get(code="I-BO-DEMO-008")
    client.post(reverse("assets:pending_resolve", args=[row.pk]))
    assert Asset.objects.get(code="I-BO-DEMO-008").comune == bologna_org.comune


def test_a_bad_value_in_the_web_import_saves_nothing_and_names_the_line(
    client: Client, manager: Any, bologna_org: Any, tmp_path: Any
) -> None:
    bad = tmp_path / "immobili.csv"
    text = DESTINED.read_text(encoding="utf-8").replace("14/03/2019", "31/02/2019")
    bad.write_text(text, encoding="utf-8")
    client.force_login(manager)
    with bad.open("rb") as handle:
        response = client.post(
            reverse("assets:import_upload", args=[bologna_org.slug]), {"file": handle}
        )
    preview = client.get(response["Location"])
    page = client.post(response["Location"], dict(preview.context["form"].initial))
    assert page.status_code == 200
    problems = page.context["problems"]
    assert [(p.line, p.field, p.value) for p in problems] == [(2, "decreto_data", "31/02/2019")]
    assert not Asset.objects.exists()
    assert not AssetImport.objects.exists()


def test_a_citizen_proposes_a_reuse_for_an_idle_asset(
    client: Client, registry: dict[str, Asset], manager: Any, clock: Any
) -> None:
    destined = registry["destined"]
    actions.do_record_stage(manager, destined, Stage.HANDED_OVER, dt.date(2021, 9, 1))
    url = reverse("assets:public_asset", args=[destined.code])
    assert client.get(url).context["accepting"], "idle for more than 12 months"
    mail.outbox.clear()
    response = client.post(
        url,
        {
            "title": "Orto di quartiere",
            "description": "Un orto condiviso con la scuola vicina.",
            "beneficiaries": "Famiglie del quartiere",
            "organisation_name": "",
            "contact_name": "Maria Bianchi",
            "contact_email": "maria@example.org",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    proposal = ReuseProposal.objects.get()
    assert proposal.asset == destined
    assert proposal.contact_email == "maria@example.org"
    assert [m.to for m in mail.outbox] == [[manager.email]]
    page = client.get(url).content.decode()
    assert "maria@example.org" not in page
    assert "Maria Bianchi" not in page
    granted_page = client.get(reverse("assets:public_asset", args=[registry["granted"].code]))
    assert not granted_page.context["accepting"], "an asset in use takes no proposals"
    assert b"proposal-form" not in granted_page.content
