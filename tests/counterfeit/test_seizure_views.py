"""The seizure pages: who sees what, the record form with its lines, the import, the dashboard."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import prossima.counterfeit
from prossima.counterfeit import seizure_queries as queries
from prossima.counterfeit.models import (
    Nature,
    Outcome,
    PlaceType,
    ProductCategory,
    SeizedGoods,
    Seizure,
)
from prossima.counterfeit.seizures import do_import_seizures

pytestmark = pytest.mark.usefixtures("db", "seizure_today")

EXAMPLE = Path(prossima.counterfeit.__file__).resolve().parent / "data" / "sequestri_esempio.csv"
ADDRESS = "Via dell&#x27;Indipendenza (esempio)"
PERIOD = "?date_from=2025-01-01&date_to=2025-12-31"


@pytest.fixture
def example(officer: Any, bologna_org: Any) -> Any:
    """The example file imported for Bologna."""
    do_import_seizures(officer, bologna_org, raw=EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    return bologna_org


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def first_seizure() -> Seizure:
    return Seizure.objects.get(reference="ESEMPIO-2025-001")


def urls(slug: str, pk: int) -> list[str]:
    """Return every page with seizure details of a tenant."""
    return [
        reverse("counterfeit:seizures", args=[slug]),
        reverse("counterfeit:seizure_new", args=[slug]),
        reverse("counterfeit:seizure_import", args=[slug]),
        reverse("counterfeit:seizure", args=[slug, pk]),
        reverse("counterfeit:seizure_edit", args=[slug, pk]),
        reverse("counterfeit:seizure_hotspots", args=[slug]),
    ]


# --- Who sees what ------------------------------------------------------------------------


def test_officer_of_the_tenant_sees_details(client: Client, officer: Any, example: Any) -> None:
    as_user(client, officer)
    seizure = first_seizure()
    page = client.get(reverse("counterfeit:seizures", args=[example.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="seizures"' in html
    assert ADDRESS in html
    assert html.count(f'href="/counterfeit/seizures/{example.slug}/') >= 6
    detail = client.get(reverse("counterfeit:seizure", args=[example.slug, seizure.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert ADDRESS in html
    assert "MarcaEsempio Lusso" in html
    assert 'id="seizure-points"' in html
    assert "counterfeit/seizures.js" in html
    dashboard = client.get(reverse("counterfeit:dashboard", args=[example.slug]) + PERIOD)
    html = dashboard.content.decode()
    assert dashboard.status_code == 200
    assert 'data-testid="seizure-map"' in html
    assert 'id="seizure-points"' in html
    points = json.loads(re.search(r'id="seizure-points"[^>]*>(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert len(points) == 5


def test_officer_of_another_comune_gets_404(
    client: Client, modena_officer: Any, example: Any
) -> None:
    as_user(client, modena_officer)
    for url in [
        *urls(example.slug, first_seizure().pk),
        reverse("counterfeit:dashboard", args=[example.slug]),
    ]:
        assert client.get(url).status_code == 404, url


def test_seizure_of_another_tenant_is_not_found_under_mine(
    client: Client, modena_officer: Any, modena_org: Any, example: Any
) -> None:
    as_user(client, modena_officer)
    url = reverse("counterfeit:seizure", args=[modena_org.slug, first_seizure().pk])
    assert client.get(url).status_code == 404


def test_association_sees_totals_only(
    client: Client, association_analyst: Any, example: Any
) -> None:
    as_user(client, association_analyst)
    for url in urls(example.slug, first_seizure().pk):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("counterfeit:dashboard", args=[example.slug]) + PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="totals-only"' in html
    assert 'data-testid="by-category"' in html
    assert "MarcaEsempio Lusso" in html
    assert 'data-testid="overall-operations">6<' in html
    # No points, no addresses, no references, no links to the operations.
    assert "seizure-points" not in html
    assert "seizure-map" not in html
    for seizure in Seizure.objects.all():
        assert seizure.reference not in html
        assert not seizure.address or seizure.address.replace("'", "&#x27;") not in html
        assert f"/{seizure.pk}/" not in html
    assert "11.3455" not in html
    assert "44.499" not in html


def test_association_overview_lists_each_tenant(
    client: Client, association_analyst: Any, example: Any, modena_officer: Any, modena_org: Any
) -> None:
    text = (
        "riferimento;data;reparto;luogo;esito;categoria;quantita;natura\n"
        "MO-1;10/01/2025;Nucleo;negozio;distrutto;giocattoli;5;contraffatto\n"
    )
    do_import_seizures(modena_officer, modena_org, raw=text.encode(), filename="mo.csv")
    as_user(client, association_analyst)
    page = client.get(reverse("counterfeit:seizure_totals") + PERIOD)
    html = page.content.decode()
    assert page.status_code == 200
    assert example.name in html
    assert modena_org.name in html
    assert reverse("counterfeit:dashboard", args=[modena_org.slug]) in html
    assert ADDRESS not in html


def test_officer_overview_lists_only_their_tenant(
    client: Client, officer: Any, example: Any, modena_officer: Any, modena_org: Any
) -> None:
    text = (
        "riferimento;data;reparto;luogo;esito;categoria;quantita;natura\n"
        "MO-1;10/01/2025;Nucleo;negozio;distrutto;giocattoli;5;contraffatto\n"
    )
    do_import_seizures(modena_officer, modena_org, raw=text.encode(), filename="mo.csv")
    html = as_user(client, officer).get(reverse("counterfeit:seizure_totals")).content.decode()
    assert example.name in html
    assert modena_org.name not in html


def test_people_without_a_role_get_404(client: Client, citizen: Any, example: Any) -> None:
    as_user(client, citizen)
    for url in [
        *urls(example.slug, first_seizure().pk),
        reverse("counterfeit:dashboard", args=[example.slug]),
    ]:
        assert client.get(url).status_code == 404, url


def test_anonymous_people_are_asked_to_log_in(client: Client, example: Any) -> None:
    page = client.get(reverse("counterfeit:dashboard", args=[example.slug]))
    assert page.status_code == 302
    assert "login" in page["Location"]


def test_index_links_the_tenants_pages(client: Client, officer: Any, example: Any) -> None:
    html = as_user(client, officer).get(reverse("counterfeit:index")).content.decode()
    assert reverse("counterfeit:seizures", args=[example.slug]) in html
    assert reverse("counterfeit:dashboard", args=[example.slug]) in html


# --- Record and edit ----------------------------------------------------------------------


def form_data(
    lines: list[dict[str, str]], total: int = 5, initial: int = 0, **fields: str
) -> dict[str, str]:
    """Return the record form's POST: an operation and ``total`` lines, blank after ``lines``."""
    data = {
        "reference": "FORM-1",
        "seized_on": "2025-06-01",
        "unit": "Nucleo Commercio",
        "place_type": PlaceType.STREET,
        "comune": "Bologna",
        "address": "Piazza Maggiore",
        "lat": "44.4939",
        "lon": "11.3426",
        "outcome": Outcome.DESTROYED,
        "notes": "",
        "goods-TOTAL_FORMS": str(total),
        "goods-INITIAL_FORMS": str(initial),
        "goods-MIN_NUM_FORMS": "0",
        "goods-MAX_NUM_FORMS": "200",
    }
    data.update(fields)
    for i in range(total):
        line = lines[i] if i < len(lines) else {}
        data[f"goods-{i}-category"] = line.get("category", "")
        data[f"goods-{i}-brand"] = line.get("brand", "")
        data[f"goods-{i}-quantity"] = line.get("quantity", "")
        data[f"goods-{i}-quantity_unit"] = line.get("quantity_unit", "pieces")
        data[f"goods-{i}-genuine_unit_value"] = line.get("genuine_unit_value", "")
        data[f"goods-{i}-nature"] = line.get("nature", "")
        data[f"goods-{i}-alert"] = line.get("alert", "")
        if line.get("health_risk"):
            data[f"goods-{i}-health_risk"] = "on"
        if line.get("DELETE"):
            data[f"goods-{i}-DELETE"] = "on"
    return data


BAGS = {
    "category": ProductCategory.LEATHER,
    "brand": "MarcaEsempio",
    "quantity": "20",
    "genuine_unit_value": "300",
    "nature": Nature.COUNTERFEIT,
}
TOYS = {
    "category": ProductCategory.TOYS,
    "quantity": "150",
    "nature": Nature.BOTH,
    "health_risk": "on",
}


def test_record_form_offers_empty_lines(client: Client, officer: Any, bologna_org: Any) -> None:
    page = as_user(client, officer).get(reverse("counterfeit:seizure_new", args=[bologna_org.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="goods-line"') == 5
    assert 'name="goods-TOTAL_FORMS"' in html
    assert 'value="Bologna"' in html  # the tenant's comune


def test_record_form_saves_the_lines_written(
    client: Client, officer: Any, bologna_org: Any
) -> None:
    as_user(client, officer)
    # The second line is written after a blank one: blank lines are ignored wherever they are.
    data = form_data([BAGS, {}, TOYS])
    page = client.post(reverse("counterfeit:seizure_new", args=[bologna_org.slug]), data)
    seizure = Seizure.objects.get(reference="FORM-1")
    assert page.status_code == 302
    assert page["Location"] == reverse("counterfeit:seizure", args=[bologna_org.slug, seizure.pk])
    assert seizure.recorded_by == officer
    lines = list(seizure.goods.order_by("pk"))
    assert [(g.category, g.quantity, g.health_risk) for g in lines] == [
        (ProductCategory.LEATHER, Decimal("20"), False),
        (ProductCategory.TOYS, Decimal("150"), True),
    ]


def test_record_form_without_lines_saves_nothing(
    client: Client, officer: Any, bologna_org: Any
) -> None:
    as_user(client, officer)
    page = client.post(reverse("counterfeit:seizure_new", args=[bologna_org.slug]), form_data([]))
    assert page.status_code == 200
    assert 'data-testid="form-errors"' in page.content.decode()
    assert "at least one line" in page.content.decode()
    assert not Seizure.objects.exists()


def test_record_form_shows_the_line_in_error(
    client: Client, officer: Any, bologna_org: Any
) -> None:
    as_user(client, officer)
    data = form_data([BAGS, {**TOYS, "quantity": "-4"}])
    page = client.post(reverse("counterfeit:seizure_new", args=[bologna_org.slug]), data)
    html = page.content.decode()
    assert page.status_code == 200
    assert "The quantity must be more than zero." in html
    assert not Seizure.objects.exists()
    assert not SeizedGoods.objects.exists()


def test_record_form_refuses_a_point_outside_the_comune(
    client: Client, officer: Any, bologna_org: Any
) -> None:
    as_user(client, officer)
    data = form_data([BAGS], lat="44.6471", lon="10.9254")
    page = client.post(reverse("counterfeit:seizure_new", args=[bologna_org.slug]), data)
    assert "outside the comune of Bologna" in page.content.decode()
    assert not Seizure.objects.exists()


def test_edit_form_changes_and_removes_lines(client: Client, officer: Any, example: Any) -> None:
    as_user(client, officer)
    seizure = first_seizure()
    url = reverse("counterfeit:seizure_edit", args=[example.slug, seizure.pk])
    page = client.get(url)
    html = page.content.decode()
    assert html.count('data-testid="goods-line"') == 2 + 2
    assert 'value="ESEMPIO-2025-001"' in html
    lines = [
        {
            "category": "leather_goods",
            "brand": "MarcaEsempio Lusso",
            "quantity": "30",
            "genuine_unit_value": "450",
            "nature": "counterfeit",
        },
        {"category": "leather_goods", "quantity": "40", "nature": "counterfeit", "DELETE": "on"},
    ]
    data = form_data(
        lines,
        total=4,
        initial=2,
        reference="ESEMPIO-2025-001",
        seized_on="2025-03-14",
        lat="44.4990",
        lon="11.3455",
        outcome=Outcome.EVIDENCE,
    )
    page = client.post(url, data)
    assert page.status_code == 302
    seizure.refresh_from_db()
    assert seizure.outcome == Outcome.EVIDENCE
    assert [g.quantity for g in seizure.goods.all()] == [Decimal("30")]


def test_association_cannot_post_a_seizure(
    client: Client, association_analyst: Any, bologna_org: Any
) -> None:
    as_user(client, association_analyst)
    page = client.post(
        reverse("counterfeit:seizure_new", args=[bologna_org.slug]), form_data([BAGS])
    )
    assert page.status_code == 404
    assert not Seizure.objects.exists()


# --- Import ---------------------------------------------------------------------------------


def upload(text: str | bytes, name: str = "sequestri.csv") -> SimpleUploadedFile:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, raw, content_type="text/csv")


def test_import_page_shows_counts(client: Client, officer: Any, bologna_org: Any) -> None:
    as_user(client, officer)
    url = reverse("counterfeit:seizure_import", args=[bologna_org.slug])
    assert client.get(url).status_code == 200
    page = client.post(url, {"file": upload(EXAMPLE.read_bytes())})
    html = page.content.decode()
    assert 'data-testid="import-result"' in html
    assert re.search(r'data-testid="created">6<', html)
    assert Seizure.objects.count() == 6
    again = client.post(url, {"file": upload(EXAMPLE.read_bytes())}).content.decode()
    assert re.search(r'data-testid="unchanged">6<', again)
    assert Seizure.objects.count() == 6


def test_import_page_lists_problems_and_saves_nothing(
    client: Client, officer: Any, bologna_org: Any
) -> None:
    as_user(client, officer)
    bad = EXAMPLE.read_text(encoding="utf-8").replace(";60;paia;", ";sessanta;paia;")
    page = client.post(
        reverse("counterfeit:seizure_import", args=[bologna_org.slug]), {"file": upload(bad)}
    )
    html = page.content.decode()
    assert 'data-testid="problems"' in html
    assert "<td>4</td><td>quantita</td><td>sessanta</td>" in html
    assert not Seizure.objects.exists()


def test_import_page_check_only(client: Client, officer: Any, bologna_org: Any) -> None:
    as_user(client, officer)
    page = client.post(
        reverse("counterfeit:seizure_import", args=[bologna_org.slug]),
        {"file": upload(EXAMPLE.read_bytes()), "dry_run": "on"},
    )
    assert re.search(r'data-testid="created">6<', page.content.decode())
    assert not Seizure.objects.exists()


def test_import_page_refuses_other_files(client: Client, officer: Any, bologna_org: Any) -> None:
    as_user(client, officer)
    page = client.post(
        reverse("counterfeit:seizure_import", args=[bologna_org.slug]),
        {"file": upload(b"%PDF-1.4", "verbale.pdf")},
    )
    assert page.status_code == 200
    assert "CSV" in page.content.decode()
    assert not Seizure.objects.exists()


# --- Dashboard and hot spots -----------------------------------------------------------------


def test_dashboard_totals(client: Client, officer: Any, example: Any) -> None:
    html = (
        as_user(client, officer)
        .get(reverse("counterfeit:dashboard", args=[example.slug]) + PERIOD)
        .content.decode()
    )
    for testid in ("by-category", "by-brand", "by-place", "by-month"):
        assert f'data-testid="{testid}"' in html
    assert 'data-key="2025-04"' in html
    assert 'data-key="leather_goods"' in html
    assert "88,550" in html or "88.550" in html


def test_dashboard_default_period_is_the_last_twelve_months(
    client: Client, officer: Any, example: Any
) -> None:
    html = (
        as_user(client, officer)
        .get(reverse("counterfeit:dashboard", args=[example.slug]))
        .content.decode()
    )
    # Today is 31/12/2025 in these tests: the period starts on 1/1/2025.
    assert 'value="2025-01-01"' in html
    assert 'value="2025-12-31"' in html
    assert 'data-testid="overall-operations">6<' in html


def street(tenant: Any, comune: Any, count: int) -> None:
    Seizure.objects.bulk_create(
        Seizure(
            tenant=tenant,
            reference=f"S-{i}",
            seized_on=dt.date(2025, 7, 1 + i % 28),
            unit="Nucleo",
            comune=comune,
            place_type=PlaceType.STREET,
            lon=11.3426 + (i % 4) * 0.0005,
            lat=44.4939 + (i % 3) * 0.0004,
            outcome=Outcome.DESTROYED,
        )
        for i in range(count)
    )


def test_dashboard_says_too_few_street_seizures(
    client: Client, officer: Any, example: Any, bologna: Any
) -> None:
    street(example, bologna, 20)  # with the 2 of the example file: 22
    html = (
        as_user(client, officer)
        .get(reverse("counterfeit:dashboard", args=[example.slug]) + PERIOD)
        .content.decode()
    )
    assert "Too few street seizures to analyse" in html
    assert 'data-hotspots-url=""' in html
    layer = client.get(reverse("counterfeit:seizure_hotspots", args=[example.slug]) + PERIOD).json()
    assert layer["enough"] is False
    assert layer["cells"] is None
    assert layer["count"] == 22
    assert layer["message"]


def test_dashboard_shows_hotspots_with_enough_street_seizures(
    client: Client, officer: Any, example: Any, bologna: Any
) -> None:
    street(example, bologna, queries.MIN_STREET_SEIZURES)
    html = (
        as_user(client, officer)
        .get(reverse("counterfeit:dashboard", args=[example.slug]) + PERIOD)
        .content.decode()
    )
    found = re.search(r'data-hotspots-url="([^"]+)"', html)
    assert found is not None
    assert 'data-testid="hotspots-legend"' in html
    layer = client.get(found.group(1).replace("&amp;", "&")).json()
    assert layer["enough"] is True
    assert layer["count"] == 32
    assert layer["cells"]["type"] == "FeatureCollection"
    assert sum(f["properties"]["count"] for f in layer["cells"]["features"]) == 32


def test_record_form_links_an_incident_of_the_tenant_only(
    client: Client, officer: Any, bologna_org: Any, modena_org: Any
) -> None:
    from django.utils import timezone

    from prossima.incidents.actions import do_create_dataset
    from prossima.incidents.models import Incident

    def incident(tenant: Any, fingerprint: str) -> Incident:
        dataset = do_create_dataset(None, tenant, name=f"Polizia locale {fingerprint}")
        return Incident.objects.create(
            tenant=tenant, dataset=dataset, source_category="Commercio abusivo",
            occurred_from=timezone.now(), time_resolution="day", lon=11.34, lat=44.49,
            source_kind="police_record", fingerprint=fingerprint,
        )  # fmt: skip

    own, other = incident(bologna_org, "own"), incident(modena_org, "other")
    as_user(client, officer)
    url = reverse("counterfeit:seizure_new", args=[bologna_org.slug])
    refused = client.post(url, form_data([BAGS], incident=str(other.pk)))
    assert refused.status_code == 200
    assert not Seizure.objects.exists()
    missing = client.post(url, form_data([BAGS], incident="999999"))
    assert missing.status_code == 200
    assert not Seizure.objects.exists()
    client.post(url, form_data([BAGS], incident=str(own.pk)))
    assert Seizure.objects.get().incident == own
