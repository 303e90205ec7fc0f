"""Public alert pages (search, alert, photo) in Italian and English, import page, forms, API."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from ninja.testing import TestClient
from PIL import Image

import prossima.counterfeit
from prossima.accounts.models import OrganisationKind, Role
from prossima.counterfeit import alerts
from prossima.counterfeit.alert_api import alerts_router
from prossima.counterfeit.alerts import do_create_local_alert, do_import_alerts
from prossima.counterfeit.models import AlertSource, ProductAlert

DATA = Path(prossima.counterfeit.__file__).resolve().parent / "data"
DEMO = DATA / "safety_gate_illustrativo.csv"
TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _setup(db: Any, fast_password_hashing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every test the database and a fixed today (every date of the file is earlier)."""
    monkeypatch.setattr(alerts, "today", lambda: TODAY)


@pytest.fixture
def imported() -> None:
    do_import_alerts(None, raw=DEMO.read_bytes(), filename=DEMO.name)


@pytest.fixture
def bo_comune(make_org: Callable[..., Any], bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna (alert pages)", comune=bologna)


@pytest.fixture
def mo_comune(make_org: Callable[..., Any], modena: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Modena (alert pages)", comune=modena)


@pytest.fixture
def bo_manager(make_user: Callable[..., Any], bo_comune: Any) -> Any:
    return make_user(bo_comune, Role.MANAGER, username="pages_manager_bo")


@pytest.fixture
def mo_manager(make_user: Callable[..., Any], mo_comune: Any) -> Any:
    return make_user(mo_comune, Role.MANAGER, username="pages_manager_mo")


@pytest.fixture
def assoc_manager(make_user: Callable[..., Any], make_org: Callable[..., Any]) -> Any:
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione (alert pages)")
    return make_user(association, Role.MANAGER, username="pages_manager_assoc")


def in_english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listed(html: str) -> list[str]:
    """Return the alert numbers linked from the result list, in order."""
    return [
        n.replace("%2F", "/")
        for n in re.findall(r'href="/counterfeit/alerts/([^"]+)/" class="fw-semibold"', html)
    ]


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


# --- Public search --------------------------------------------------------------------


@pytest.mark.usefixtures("imported")
def test_list_in_italian(client: Client) -> None:
    response = client.get(reverse("counterfeit:alerts"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="it">' in html
    assert html.count('data-testid="alert-item"') == 8
    # Newest first; dates in Italian.
    assert listed(html)[0] == "DEMO/00008/26"
    assert "settembre 2026" in html.lower()


@pytest.mark.usefixtures("imported")
def test_search_by_text_in_italian(client: Client) -> None:
    html = client.get(reverse("counterfeit:alerts"), {"q": "CARICABATTERIE"}).content.decode()
    assert listed(html) == ["DEMO/00002/26"]
    # Every word must match, in any of the searched fields (here the brand).
    html = client.get(reverse("counterfeit:alerts"), {"q": "fittizia lampada"}).content.decode()
    assert listed(html) == ["DEMO/00006/26"]
    html = client.get(reverse("counterfeit:alerts"), {"q": "nessunprodotto"}).content.decode()
    assert listed(html) == []
    assert 'data-testid="no-alerts"' in html


@pytest.mark.usefixtures("imported")
def test_filters_and_counts(client: Client) -> None:
    url = reverse("counterfeit:alerts")
    html = client.get(url, {"category": "toys"}).content.decode()
    assert listed(html) == ["DEMO/00001/26"]
    # The category counts ignore the category chosen, so the others stay visible.
    assert re.search(r'<option value="cosmetics">[^<]+\(1\)</option>', html)
    assert re.search(r'<option value="toys" selected>[^<]+\(1\)</option>', html)
    assert set(listed(client.get(url, {"risk": "choking"}).content.decode())) == {
        "DEMO/00001/26",
        "DEMO/00005/26",
    }
    assert set(listed(client.get(url, {"counterfeit": "yes"}).content.decode())) == {
        "DEMO/00004/26",
        "DEMO/00007/26",
    }
    html = client.get(url, {"level": "high", "brand": "fittizia"}).content.decode()
    assert listed(html) == ["DEMO/00006/26"]
    # The level counts follow the other filters (brand "fittizia": one serious, one high).
    assert re.search(r'<option value="serious">[^<]+\(1\)</option>', html)
    assert re.search(r'<option value="medium">[^<]+\(0\)</option>', html)


@pytest.mark.usefixtures("imported")
def test_search_in_english(client: Client, english: Any) -> None:
    html = in_english(client).get(reverse("counterfeit:alerts"), {"category": "cosmetics"})
    text = html.content.decode()
    assert '<html lang="en">' in text
    assert listed(text) == ["DEMO/00003/26"]
    assert "1 alert" in text
    assert "Cosmetics" in text
    assert "March 17, 2026" in text or "Mar. 17, 2026" in text
    text = client.get(reverse("counterfeit:alerts"), {"q": "casco"}).content.decode()
    assert listed(text) == ["DEMO/00008/26"]


def test_list_is_paginated(client: Client) -> None:
    rows = [
        f"DEMO/{n:05d}/26,01/03/2026,Italy,Prodotto {n},Marca Esempio,,Toys,,No,Choking,Low,"
        "Testo.,,"
        for n in range(1, 31)
    ]
    header = DEMO.read_text(encoding="utf-8").split("\n", 1)[0]
    do_import_alerts(None, raw="\n".join([header, *rows]).encode(), filename="many.csv")
    url = reverse("counterfeit:alerts")
    first = client.get(url, {"category": "toys"}).content.decode()
    assert first.count('data-testid="alert-item"') == 25
    assert "30" in first
    assert "category=toys&amp;page=2" in first
    second = client.get(url, {"category": "toys", "page": 2}).content.decode()
    assert second.count('data-testid="alert-item"') == 5


# --- One alert ------------------------------------------------------------------------


@pytest.mark.usefixtures("imported")
def test_alert_page(client: Client) -> None:
    url = reverse("counterfeit:alert", args=["DEMO/00002/26"])
    assert url == "/counterfeit/alerts/DEMO/00002/26/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Caricabatterie USB di esempio" in html
    for part in ("what", "danger", "what-to-do", "measures", "source", "illustrative"):
        assert f'data-testid="{part}"' in html
    assert "L&#x27;isolamento tra le parti sotto tensione" in html
    assert "Richiamo presso i consumatori (esempio)" in html
    assert "03 febbraio 2026" in html.lower()
    report_url = f"{reverse('incidents:report_new')}?category=commercio-abusivo"
    assert f'href="{report_url}"' in html
    assert 'data-testid="report-link"' in html
    # The report form opens on the category of illegal street trade.
    form = client.get(report_url).context["form"]
    assert form.initial["category"].code == "commercio-abusivo"
    assert 'data-testid="alert-photo"' not in html
    assert client.get(reverse("counterfeit:alert", args=["DEMO/99999/26"])).status_code == 404
    photo = client.get(reverse("counterfeit:alert_photo", args=["DEMO/00002/26"]))
    assert photo.status_code == 404


@pytest.mark.usefixtures("imported")
def test_alert_page_in_english(client: Client, english: Any) -> None:
    html = in_english(client).get(reverse("counterfeit:alert", args=["DEMO/00004/26"]))
    text = html.content.decode()
    assert "What the product is" in text
    assert "What the danger is" in text
    assert "What to do if you have it" in text
    assert "Stop using it" in text
    assert "contact" in text.lower()
    assert "Report a suspicious product or seller" in text
    assert "Strangulation" in text
    assert "Cords, straps or ribbons" in text
    assert "This product is a counterfeit" in text
    assert "Alert DEMO/00004/26 of the EU Safety Gate, notified by Italy" in text
    assert "Ordered by an authority" in text


def test_local_alert_page_with_photo(client: Client, bo_manager: Any, bo_comune: Any) -> None:
    local = do_create_local_alert(
        bo_manager,
        bo_comune,
        photo=SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"),
        product_name="Accendino di esempio",
        category="other",
        risk_types=["fire", "burns"],
        risk_level="serious",
        description="La fiamma non si spegne.",
    )
    html = client.get(reverse("counterfeit:alert", args=[local.number])).content.decode()
    assert bo_comune.name in html
    report_url = reverse("incidents:report_new")
    assert f'href="{report_url}?category=commercio-abusivo&amp;comune=037006"' in html
    assert 'data-testid="alert-photo"' in html
    assert 'data-testid="edit-alert"' not in html  # anonymous
    photo = client.get(reverse("counterfeit:alert_photo", args=[local.number]))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(photo.streaming_content))) as served:
        assert served.size == (20, 10)


# --- Import page ----------------------------------------------------------------------


def test_import_page_permissions(client: Client, bo_manager: Any) -> None:
    url = reverse("counterfeit:alert_import")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(bo_manager)
    assert client.get(url).status_code == 403


def test_import_page(client: Client, assoc_manager: Any) -> None:
    client.force_login(assoc_manager)
    url = reverse("counterfeit:alert_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile(DEMO.name, DEMO.read_bytes(), content_type="text/csv")
    html = client.post(url, {"file": upload}).content.decode()
    assert 'data-testid="import-result"' in html
    assert ProductAlert.objects.count() == 8
    # A problem: the table of problems, and nothing saved.
    bad = DEMO.read_text(encoding="utf-8").replace(",Toys,", ",Astronavi,")
    bad = bad.replace("DEMO/00001/26", "DEMO/00009/26")
    upload = SimpleUploadedFile("bad.csv", bad.encode(), content_type="text/csv")
    html = client.post(url, {"file": upload}).content.decode()
    assert 'data-testid="problems"' in html
    assert "Astronavi" in html
    assert "Product category" in html
    assert not ProductAlert.objects.filter(number="DEMO/00009/26").exists()
    upload = SimpleUploadedFile("alerts.xlsx", b"PK...", content_type="application/zip")
    html = client.post(url, {"file": upload}).content.decode()
    assert "alerts.xlsx" in html
    assert ProductAlert.objects.count() == 8


def test_list_shows_actions_to_those_who_may(
    client: Client, assoc_manager: Any, bo_manager: Any, bo_comune: Any
) -> None:
    url = reverse("counterfeit:alerts")
    assert 'data-testid="alert-actions"' not in client.get(url).content.decode()
    client.force_login(assoc_manager)
    assert 'data-testid="import-link"' in client.get(url).content.decode()
    client.force_login(bo_manager)
    html = client.get(reverse("counterfeit:alerts")).content.decode()
    assert reverse("counterfeit:alert_new", args=[bo_comune.slug]) in html


# --- Local-alert form -----------------------------------------------------------------


def form_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "published_on": "2026-11-20",
        "product_name": "Monopattino di esempio",
        "brand": "Marca Esempio",
        "model": "M-1",
        "category": "sports",
        "origin_country": "",
        "risk_types": ["injuries"],
        "risk_level": "high",
        "description": "Il manubrio si stacca.",
        "measures": "Sequestro.",
        "measures_kind": "compulsory",
    }
    data.update(extra)
    return data


def test_local_alert_form(client: Client, bo_manager: Any, mo_manager: Any, bo_comune: Any) -> None:
    url = reverse("counterfeit:alert_new", args=[bo_comune.slug])
    assert url == f"/counterfeit/alerts/new/{bo_comune.slug}/"
    client.force_login(mo_manager)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data()).status_code == 404
    assert ProductAlert.objects.count() == 0
    client.force_login(bo_manager)
    assert client.get(url).status_code == 200
    data = form_data(photo=SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"))
    response = client.post(url, data)
    alert = ProductAlert.objects.get()
    assert alert.number == "LOC-037006-2026-1"
    assert response.status_code == 302
    assert response["Location"] == reverse("counterfeit:alert", args=[alert.number])
    assert (alert.source, alert.organisation, alert.risk_types) == (
        AlertSource.LOCAL,
        bo_comune,
        ["injuries"],
    )
    assert alert.photo
    # Errors are shown on the form, nothing is saved.
    response = client.post(url, form_data(risk_types=[], published_on="2027-01-01"))
    assert response.status_code == 200
    assert ProductAlert.objects.count() == 1


def test_local_alert_edit(client: Client, bo_manager: Any, mo_manager: Any, bo_comune: Any) -> None:
    local = do_create_local_alert(
        bo_manager,
        bo_comune,
        product_name="Giostrina di esempio",
        category="toys",
        risk_types=["choking"],
        risk_level="medium",
        description="Parti piccole.",
    )
    url = reverse("counterfeit:alert_edit", args=[local.number])
    client.force_login(mo_manager)
    assert client.get(url).status_code == 404
    client.force_login(bo_manager)
    page = client.get(reverse("counterfeit:alert", args=[local.number])).content.decode()
    assert 'data-testid="edit-alert"' in page
    data = form_data(product_name="Giostrina di esempio", risk_level="serious")
    assert client.post(url, data).status_code == 302
    local.refresh_from_db()
    assert local.risk_level == "serious"
    assert local.category == "sports"


@pytest.mark.usefixtures("imported")
def test_imported_alerts_have_no_edit_page(client: Client, bo_manager: Any) -> None:
    client.force_login(bo_manager)
    url = reverse("counterfeit:alert_edit", args=["DEMO/00001/26"])
    assert client.get(url).status_code == 404


# --- API ------------------------------------------------------------------------------


@pytest.mark.usefixtures("imported")
def test_api_list_and_detail() -> None:
    api = TestClient(alerts_router)
    body = api.get("/?q=caricabatterie").json()
    assert body["count"] == 1
    assert body["results"][0]["number"] == "DEMO/00002/26"
    assert body["results"][0]["risk_types"] == ["electric_shock", "fire"]
    assert api.get("/?category=toys").json()["count"] == 1
    assert api.get("/?counterfeit=true").json()["count"] == 2
    assert api.get("/?risk=choking&level=serious").json()["count"] == 2
    assert api.get("/?brand=esempio&limit=2").json()["count"] == 6
    assert len(api.get("/?brand=esempio&limit=2").json()["results"]) == 2
    assert api.get("/?risk=unknown").json()["count"] == 0
    detail = api.get("/DEMO/00005/26")
    assert detail.status_code == 200
    alert = detail.json()
    assert alert["product_name"].startswith("Ciuccio di esempio")
    assert alert["category"] == "childcare"
    assert alert["risk_level"] == "serious"
    assert alert["is_illustrative"] is True
    assert alert["page_url"].endswith("/counterfeit/alerts/DEMO/00005/26/")
    assert alert["photo_url"] is None
    assert api.get("/DEMO/99999/26").status_code == 404
