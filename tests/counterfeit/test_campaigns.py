"""Awareness campaigns: the rules, who may record them, the import, before/after, the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, include, path, reverse

import prossima.counterfeit
from prossima.accounts.models import AuditEvent, Role
from prossima.config import urls as root_urls
from prossima.counterfeit import campaigns
from prossima.counterfeit import urls as counterfeit_urls
from prossima.counterfeit.campaign_urls import campaign_urlpatterns
from prossima.counterfeit.campaigns import (
    CampaignImportRefusedError,
    before_after,
    do_import_campaigns,
    do_record_campaign,
    do_update_campaign,
)
from prossima.counterfeit.models import (
    Audience,
    Campaign,
    Channel,
    Nature,
    Outcome,
    PlaceType,
    ProductCategory,
    QuantityUnit,
)
from prossima.counterfeit.seizures import do_record_seizure

# Until counterfeit/urls.py includes the campaign URLs, these tests serve them themselves.
if any(getattr(p, "name", None) == "campaigns" for p in counterfeit_urls.urlpatterns):
    urlpatterns: list[URLPattern | URLResolver] = list(root_urls.urlpatterns)
else:
    urlpatterns = [
        path(
            "counterfeit/",
            include(([*counterfeit_urls.urlpatterns, *campaign_urlpatterns], "counterfeit")),
        )
        if str(p.pattern) == "counterfeit/"
        else p
        for p in root_urls.urlpatterns
    ]

pytestmark = [pytest.mark.usefixtures("db", "seizure_today"), pytest.mark.urls(__name__)]

EXAMPLE = Path(prossima.counterfeit.__file__).resolve().parent / "data" / "campagne_esempio.csv"
TODAY = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def campaign_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Fix the campaigns' today at the seizure tests' today."""
    monkeypatch.setattr(campaigns, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def manager(make_user: Callable[..., Any], bologna_org: Any) -> Any:
    """A manager of the comune of Bologna."""
    return make_user(bologna_org, Role.MANAGER, username="manager_bo")


@pytest.fixture
def modena_manager(make_user: Callable[..., Any], modena_org: Any) -> Any:
    """A manager of the comune of Modena."""
    return make_user(modena_org, Role.MANAGER, username="manager_mo")


def fields(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "topic": "Giocattoli sicuri (test)",
        "description": "Come riconoscere i giocattoli sicuri.",
        "product_category": ProductCategory.TOYS,
        "audience": Audience.GENERAL,
        "channels": [Channel.SOCIAL, Channel.POSTERS],
        "starts_on": dt.date(2025, 6, 1),
        "ends_on": dt.date(2025, 6, 30),
        "people_reached": None,
        "reach_notes": "",
    }
    values.update(changes)
    return values


def as_user(client: Client, user: Any | None) -> Client:
    if user is not None:
        client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def seize(officer: Any, tenant: Any, on: dt.date, category: str, quantity: int) -> None:
    do_record_seizure(
        officer,
        tenant,
        seized_on=on,
        unit="Nucleo Commercio (test)",
        place_type=PlaceType.STREET,
        outcome=Outcome.DESTROYED,
        goods=[{"category": category, "quantity": quantity, "nature": Nature.COUNTERFEIT}],
    )


# --- Recording -------------------------------------------------------------------------


def test_manager_records_a_campaign_and_its_reach(manager: Any, bologna_org: Any) -> None:
    campaign = do_record_campaign(
        manager, bologna_org, **fields(channels=["social", "posters", "social"])
    )
    assert campaign.tenant == bologna_org
    assert campaign.created_by == manager
    assert campaign.channels == [Channel.POSTERS, Channel.SOCIAL]
    assert campaign.people_reached is None
    updated = do_update_campaign(
        manager, campaign, people_reached=4200, reach_notes="Visualizzazioni dei post"
    )
    assert updated.people_reached == 4200
    assert Campaign.objects.get().people_reached == 4200
    actions = list(
        AuditEvent.objects.filter(object_type="counterfeit.campaign").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted([AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": dt.date(2025, 5, 31)}, "ends_on"),
        ({"channels": []}, "channels"),
        ({"channels": ["social", "carrier_pigeon"]}, "channels"),
        ({"audience": "martians"}, "audience"),
        ({"people_reached": -1}, "people_reached"),
        ({"topic": "  "}, "topic"),
    ],
)
def test_invalid_campaign_is_refused_with_nothing_saved(
    manager: Any, bologna_org: Any, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        do_record_campaign(manager, bologna_org, **fields(**changes))
    assert field in exc.value.message_dict
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(object_type="counterfeit.campaign").exists()


def test_update_with_bad_dates_changes_nothing(manager: Any, bologna_org: Any) -> None:
    campaign = do_record_campaign(manager, bologna_org, **fields())
    with pytest.raises(ValidationError) as exc:
        do_update_campaign(manager, campaign, ends_on=dt.date(2025, 1, 1))
    assert "ends_on" in exc.value.message_dict
    assert Campaign.objects.get().ends_on == dt.date(2025, 6, 30)


def test_same_topic_and_start_is_refused(manager: Any, bologna_org: Any) -> None:
    do_record_campaign(manager, bologna_org, **fields())
    with pytest.raises(ValidationError) as exc:
        do_record_campaign(manager, bologna_org, **fields(description="again"))
    assert "topic" in exc.value.message_dict
    assert Campaign.objects.count() == 1


def test_manager_of_another_comune_is_refused(
    manager: Any, modena_manager: Any, officer: Any, bologna_org: Any
) -> None:
    with pytest.raises(PermissionDenied):
        do_record_campaign(modena_manager, bologna_org, **fields())
    # The police record seizures, not campaigns.
    with pytest.raises(PermissionDenied):
        do_record_campaign(officer, bologna_org, **fields())
    campaign = do_record_campaign(manager, bologna_org, **fields())
    with pytest.raises(PermissionDenied):
        do_update_campaign(modena_manager, campaign, people_reached=10)
    with pytest.raises(PermissionDenied):
        do_import_campaigns(modena_manager, bologna_org, EXAMPLE.read_bytes(), EXAMPLE.name)
    assert Campaign.objects.get().people_reached is None


# --- Import ----------------------------------------------------------------------------


def test_example_file_imports_once(manager: Any, bologna_org: Any) -> None:
    result = do_import_campaigns(manager, bologna_org, EXAMPLE.read_bytes(), EXAMPLE.name)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert Campaign.objects.filter(tenant=bologna_org).count() == 3
    assert all(c.topic.endswith("(esempio)") for c in Campaign.objects.all())
    toys = Campaign.objects.get(topic="Giocattoli sicuri a Natale (esempio)")
    assert toys.product_category == ProductCategory.TOYS
    assert toys.audience == Audience.GENERAL
    assert toys.channels == [Channel.POSTERS, Channel.SOCIAL, Channel.WEBSITE]
    assert (toys.starts_on, toys.ends_on) == (dt.date(2024, 12, 1), dt.date(2025, 1, 6))
    assert toys.people_reached == 12000
    assert Campaign.objects.get(topic__startswith="Cosmetici").people_reached is None
    again = do_import_campaigns(manager, bologna_org, EXAMPLE.read_bytes(), EXAMPLE.name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Campaign.objects.count() == 3


def test_english_headers_and_an_update(manager: Any, bologna_org: Any) -> None:
    do_import_campaigns(manager, bologna_org, EXAMPLE.read_bytes(), EXAMPLE.name)
    raw = (
        b"topic,audience,channels,starts_on,ends_on,people_reached\n"
        b"Cosmetici contraffatti online (esempio),online,Social media|Press,"
        b"2025-06-15,2025-07-31,3100\n"
    )
    result = do_import_campaigns(manager, bologna_org, raw, "reach.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    found = Campaign.objects.get(topic__startswith="Cosmetici")
    assert found.people_reached == 3100
    assert found.product_category == ProductCategory.COSMETICS  # no column: kept


def test_bad_row_names_line_column_and_accepted_values(manager: Any, bologna_org: Any) -> None:
    raw = (
        b"tema;pubblico;canali;inizio;fine\n"
        b"Buona (test);scuole;social;01/03/2025;31/03/2025\n"
        b"Cattiva (test);scuole;piccioni viaggiatori|social;01/03/2025;31/03/2025\n"
        b"Date al contrario (test);giovani;stampa;30/04/2025;01/04/2025\n"
    )
    with pytest.raises(CampaignImportRefusedError) as exc:
        do_import_campaigns(manager, bologna_org, raw, "campagne.csv")
    problems = exc.value.problems
    assert [(p.line, p.field) for p in problems] == [(3, "canali"), (4, "fine")]
    assert problems[0].value == "piccioni viaggiatori|social"
    assert "manifesti" in problems[0].reason
    assert "social" in problems[0].reason
    assert "2025-04-01" in problems[1].reason
    assert not Campaign.objects.exists()


# --- Before and after ------------------------------------------------------------------


def test_before_after_counts_known_seizures(
    manager: Any, officer: Any, bologna_org: Any, modena_officer: Any, modena_org: Any
) -> None:
    campaign = do_record_campaign(
        manager,
        bologna_org,
        **fields(starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2025, 6, 30)),
    )
    seize(officer, bologna_org, dt.date(2025, 3, 9), ProductCategory.TOYS, 10)  # first day before
    seize(officer, bologna_org, dt.date(2025, 3, 8), ProductCategory.TOYS, 99)  # too early
    seize(officer, bologna_org, dt.date(2025, 5, 31), ProductCategory.TOYS, 5)
    seize(officer, bologna_org, dt.date(2025, 5, 20), ProductCategory.FOOTWEAR, 7)
    seize(officer, bologna_org, dt.date(2025, 6, 15), ProductCategory.TOYS, 50)  # during
    seize(officer, bologna_org, dt.date(2025, 7, 1), ProductCategory.TOYS, 3)
    seize(officer, bologna_org, dt.date(2025, 9, 22), ProductCategory.TOYS, 4)  # last day after
    seize(officer, bologna_org, dt.date(2025, 9, 23), ProductCategory.TOYS, 99)  # too late
    seize(modena_officer, modena_org, dt.date(2025, 5, 30), ProductCategory.TOYS, 99)

    result = before_after(campaign)
    assert (result.before.date_from, result.before.date_to) == (
        dt.date(2025, 3, 9),
        dt.date(2025, 5, 31),
    )
    assert (result.before.operations, result.before.lines) == (2, 2)
    assert [(u, q) for u, _label, q in result.before.quantities] == [("pieces", Decimal(15))]
    assert result.after is not None
    assert result.weeks_after_passed == 12
    assert (result.after.date_from, result.after.date_to) == (
        dt.date(2025, 7, 1),
        dt.date(2025, 9, 22),
    )
    assert (result.after.operations, result.after.lines) == (2, 2)
    assert result.after.quantities[0][2] == Decimal(7)

    # Without a category, every seizure of the tenant counts.
    campaign.product_category = ""
    everything = before_after(campaign)
    assert everything.before.operations == 3
    assert [(u, q) for u, _label, q in everything.before.quantities] == [
        (QuantityUnit.PIECES, Decimal(22))
    ]


def test_after_counts_only_weeks_that_have_passed(manager: Any, bologna_org: Any) -> None:
    recent = do_record_campaign(
        manager,
        bologna_org,
        **fields(starts_on=dt.date(2025, 11, 1), ends_on=dt.date(2025, 12, 10)),
    )
    result = before_after(recent)
    assert result.weeks_after_passed == 2
    assert result.after is not None
    assert result.after.date_to == dt.date(2025, 12, 24)
    running = do_record_campaign(
        manager,
        bologna_org,
        **fields(starts_on=dt.date(2025, 12, 1), ends_on=dt.date(2026, 1, 31)),
    )
    assert before_after(running).after is None


# --- Pages -----------------------------------------------------------------------------


def test_public_list_and_filter(
    client: Client, manager: Any, modena_manager: Any, bologna_org: Any, modena_org: Any
) -> None:
    do_import_campaigns(manager, bologna_org, EXAMPLE.read_bytes(), EXAMPLE.name)
    do_record_campaign(modena_manager, modena_org, **fields(topic="Scarpe vere (test)"))
    as_user(client, None)
    page = client.get(reverse("counterfeit:campaigns"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="campaign-row"') == 4
    assert "Giocattoli sicuri a Natale (esempio)" in html
    assert "Scarpe vere (test)" in html
    assert "Comune di Modena" in html
    assert "Posters and leaflets, Social media, Website" in html
    assert 'data-testid="record-link"' not in html
    filtered = client.get(reverse("counterfeit:campaigns"), {"tenant": modena_org.slug})
    html = filtered.content.decode()
    assert html.count('data-testid="campaign-row"') == 1
    assert "Scarpe vere (test)" in html


def test_public_page_hides_seizure_counts_from_anonymous_users(
    client: Client, manager: Any, officer: Any, bologna_org: Any, association_analyst: Any
) -> None:
    campaign = do_record_campaign(manager, bologna_org, **fields(people_reached=321))
    seize(officer, bologna_org, dt.date(2025, 5, 31), ProductCategory.TOYS, 5)
    url = reverse("counterfeit:campaign", args=[campaign.pk])
    anonymous = as_user(client, None).get(url)
    assert anonymous.status_code == 200
    html = anonymous.content.decode()
    assert "Giocattoli sicuri (test)" in html
    assert 'data-testid="people-reached">321<' in html
    assert 'data-testid="before-after"' not in html
    assert "before-operations" not in html
    assert 'data-testid="edit-link"' not in html
    for user in (association_analyst, officer):
        client.logout()
        html = as_user(client, user).get(url).content.decode()
        assert 'data-testid="before-after"' in html
        assert 'data-testid="no-causal-claim"' in html
        assert 'data-testid="before-operations">1<' in html
    client.logout()
    html = as_user(client, manager).get(url).content.decode()
    assert 'data-testid="edit-link"' in html


def test_record_and_edit_pages(
    client: Client, manager: Any, modena_manager: Any, bologna_org: Any
) -> None:
    new_url = reverse("counterfeit:campaign_new", args=[bologna_org.slug])
    as_user(client, modena_manager)
    assert client.get(new_url).status_code == 404
    client.logout()
    as_user(client, manager)
    assert client.get(new_url).status_code == 200
    data = {
        "topic": "Borse vere (test)",
        "audience": Audience.TOURISTS,
        "starts_on": "2025-05-01",
        "ends_on": "2025-04-01",
    }
    refused = client.post(new_url, data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Choose at least one channel." in html
    assert "before it starts" in html
    assert not Campaign.objects.exists()
    data.update({"ends_on": "2025-05-31", "channels": [Channel.MARKETS, Channel.PRESS]})
    saved = client.post(new_url, data)
    campaign = Campaign.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == reverse("counterfeit:campaign", args=[campaign.pk])
    assert campaign.channels == [Channel.PRESS, Channel.MARKETS]
    edit_url = reverse("counterfeit:campaign_edit", args=[campaign.pk])
    form = client.get(edit_url)
    assert 'value="Borse vere (test)"' in form.content.decode()
    data.update({"people_reached": "640", "reach_notes": "Volantini consegnati"})
    assert client.post(edit_url, data).status_code == 302
    assert Campaign.objects.get().people_reached == 640
    client.logout()
    as_user(client, modena_manager)
    assert client.get(edit_url).status_code == 404


def test_import_page_counts_and_problems(client: Client, manager: Any, bologna_org: Any) -> None:
    url = reverse("counterfeit:campaign_import", args=[bologna_org.slug])
    assert client.get(url).status_code == 302  # to the login page
    as_user(client, manager)
    bad = b"tema;pubblico;canali;inizio;fine\nX (test);marziani;social;01/03/2025;31/03/2025\n"
    page = client.post(url, {"file": SimpleUploadedFile("bad.csv", bad, "text/csv")})
    html = page.content.decode()
    assert 'data-testid="problems"' in html
    assert "<td>2</td><td>pubblico</td><td>marziani</td>" in html
    assert not Campaign.objects.exists()
    upload = SimpleUploadedFile(EXAMPLE.name, EXAMPLE.read_bytes(), "text/csv")
    page = client.post(url, {"file": upload})
    html = page.content.decode()
    assert 'data-testid="created">3<' in html
    assert Campaign.objects.count() == 3
