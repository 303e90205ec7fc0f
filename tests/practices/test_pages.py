"""The practice pages, exports and API, through the Django test client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from prossima.accounts.models import OrganisationKind, Role
from prossima.practices.actions import REVIEW_CHECKLIST, do_create_practice, do_load_seed_practices
from prossima.practices.models import Practice, Status
from tests.practices.conftest import practice_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(institute: Any) -> int:
    return do_load_seed_practices(institute)


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_search_page_in_italian_and_english(seeded: int) -> None:
    client = client_for()
    italian = client.get(reverse("practices:index"), {"q": "furti in abitazione"})
    assert italian.status_code == 200
    assert "Kirkholt" in italian.content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(reverse("practices:index"), {"q": "burglary"})
    page = english.content.decode()
    assert "Kirkholt" in page
    assert "Protecting recently burgled homes" in page, "English visitors see the English title"
    assert "Evidence rating" in page, "facets are labelled in English"


def test_rating_facet_filters_the_list(seeded: int) -> None:
    response = client_for().get(reverse("practices:index"), {"rating": "insufficient"})
    found = response.context["page"].object_list
    assert found
    assert {p.rating for p in found} == {"insufficient"}
    assert (
        response.context["page"].paginator.count
        == Practice.objects.filter(rating="insufficient").count()
    )


def test_public_page_shows_the_emmie_profile(seeded: int) -> None:
    response = client_for().get(
        reverse("practices:detail", args=["kirkholt-prevenzione-furti-ripetuti"])
    )
    page = response.content.decode()
    assert response.status_code == 200
    for dimension in ("Effetto", "Meccanismo", "Moderatori", "Attuazione", "Costo economico"):
        assert dimension in page
    assert "Forrester" in page, "the outcomes cite their source"
    assert 'data-testid="edit-practice"' not in page


def test_drafts_are_hidden_from_everyone_but_authors_and_reviewers(
    writer: Any,
    reviewer: Any,
    bologna_org: Any,
    make_user: Callable[..., Any],
    make_org: Any,
    modena: Any,
) -> None:
    draft = do_create_practice(writer, bologna_org, **practice_fields(title="Bozza riservata"))
    url = reverse("practices:detail", args=[draft.slug])
    outsider = make_user(
        make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena), Role.MANAGER
    )
    assert client_for().get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(writer).get(url).status_code == 200
    assert client_for(reviewer).get(url).status_code == 200
    for name in ("print", "pdf"):
        assert client_for().get(reverse(f"practices:{name}", args=[draft.slug])).status_code == 404
    api = client_for().get(f"/api/practices/{draft.slug}")
    assert api.status_code == 404
    assert client_for().get("/api/practices/").json()["count"] == 0


def test_write_submit_review_publish_through_the_pages(
    writer: Any, reviewer: Any, bologna: Any
) -> None:
    author = client_for(writer)
    form = author.get(reverse("practices:new"))
    assert form.status_code == 200
    response = author.post(
        reverse("practices:new"),
        {
            "language": "it",
            "title": "Custodi sociali nei condomini",
            "summary": "Portieri sociali nelle case popolari contro furti e isolamento.",
            "problems": ["furto-abitazione", "insicurezza-percepita"],
            "target_groups": ["elderly"],
            "intervention_types": ["social", "participation"],
            "country": "it",
            "comune": "Bologna",
            "links": "Delibera | https://example.org/delibera\nhttps://example.org/scheda",
            "effect": "Non ancora valutato.",
            "effect_strength": "none",
            "mechanism_strength": "none",
            "moderators_strength": "none",
            "implementation_strength": "none",
            "economic_strength": "none",
            "rating": "insufficient",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    practice = Practice.objects.get(title="Custodi sociali nei condomini")
    assert practice.comune == bologna
    assert practice.country == "IT"
    assert practice.links[1] == {
        "title": "https://example.org/scheda",
        "url": "https://example.org/scheda",
    }
    author.post(reverse("practices:submit", args=[practice.slug]))
    assert Practice.objects.get(pk=practice.pk).status == Status.SUBMITTED
    queue = client_for(reviewer).get(reverse("practices:queue"))
    assert practice.title in queue.content.decode()
    refused = client_for(reviewer).post(
        reverse("practices:review", args=[practice.slug]),
        {"decision": "published", "checklist": ["sources"]},
    )
    assert refused.status_code == 200
    assert "checklist" in refused.context["form"].errors, "the missing items are named"
    client_for(reviewer).post(
        reverse("practices:review", args=[practice.slug]),
        {"decision": "published", "checklist": [key for key, _ in REVIEW_CHECKLIST]},
    )
    assert Practice.objects.get(pk=practice.pk).is_public
    public = client_for().get(reverse("practices:index"), {"q": "custodi"})
    assert practice.title in public.content.decode()


def test_form_errors_name_the_line(writer: Any) -> None:
    response = client_for(writer).post(
        reverse("practices:new"),
        {
            "language": "it",
            "title": "X",
            "summary": "Y",
            "country": "Italia",
            "comune": "Nessunluogo",
            "links": "ok | https://example.org\nsolo testo",
            "rating": "insufficient",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Riga 2" in page
    assert "Nessunluogo" in page
    assert not Practice.objects.exists()


def _require_pango() -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the Pango library is missing on this machine
        if os.environ.get("PROSSIMA_REQUIRE_BROWSER"):
            pytest.fail(f"WeasyPrint cannot load Pango: {exc}")
        pytest.skip(f"WeasyPrint cannot load Pango (install libpango-1.0-0): {exc}")


def test_pdf_and_printable_page(seeded: int) -> None:
    _require_pango()
    slug = "cancelli-vicoli-liverpool"
    printable = client_for().get(reverse("practices:print", args=[slug]))
    assert printable.status_code == 200
    assert "Liverpool" in printable.content.decode()
    pdf = client_for().get(reverse("practices:pdf", args=[slug]))
    assert pdf.status_code == 200, pdf.content[:300]
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 10_000


def test_catalogue_exports_only_published(seeded: int, writer: Any, bologna_org: Any) -> None:
    do_create_practice(writer, bologna_org, **practice_fields(title="Non pubblicata"))
    response = client_for().get(reverse("practices:catalogue_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == seeded
    assert "Non pubblicata" not in response.content.decode()
    kirkholt = next(r for r in rows if r["slug"] == "kirkholt-prevenzione-furti-ripetuti")
    assert kirkholt["rating"] == "effective"
    assert "furto-abitazione" in kirkholt["problems"]
    data = json.loads(client_for().get(reverse("practices:catalogue_json")).content)
    assert len(data["practices"]) == seeded
    assert data["practices"][0]["url"].startswith("http://testserver/practices/")


def test_api_search_with_facets(seeded: int) -> None:
    body = (
        client_for()
        .get("/api/practices/", {"q": "burglary", "rating": ["effective", "promising"]})
        .json()
    )
    assert body["count"] >= 3
    assert all(r["rating"] in ("effective", "promising") for r in body["results"])
    ratings = {f["value"]: f for f in body["facets"]["rating"]}
    assert ratings["effective"]["selected"] is True
    one = client_for().get("/api/practices/kirkholt-prevenzione-furti-ripetuti").json()
    assert [e["dimension"] for e in one["emmie"]] == [
        "effect",
        "mechanism",
        "moderators",
        "implementation",
        "economic_cost",
    ]


def test_like_mine_ranks_by_size_region_and_problems(
    publish: Callable[..., Practice], bologna: Any, modena: Any
) -> None:
    near = publish(title="Pratica di Modena", comune=modena, problems=["furto-abitazione"])
    far = publish(title="Pratica lontana", country="GB", population=4_000, problems=["rapina"])
    response = client_for().get(
        reverse("practices:like_mine"), {"comune": bologna.istat_code, "problems": ["rapina"]}
    )
    results = response.context["results"]
    titles = [s.practice.title for s in results]
    # Modena (186,000 residents): next size class and same region as Bologna (1 + 1);
    # the small English town: only the chosen problem (3 × 1.0).
    assert set(titles) == {near.title, far.title}
    scores = {s.practice.title: s.score for s in results}
    assert scores == {near.title: 2.0, far.title: 3.0}
    assert titles[0] == far.title


def test_linked_project_impact_shows_once_published(
    publish: Callable[..., Practice], bologna_org: Any, writer: Any
) -> None:
    from prossima.interventions.models import Evaluation, Project

    project = Project.objects.create(
        tenant=bologna_org,
        title="Portici illuminati",
        kind="requalification",
        area="{}",
        start_date=dt.date(2024, 1, 1),
    )
    Evaluation.objects.create(
        project=project,
        control_area="{}",
        verdict="Riduzione significativa",
        chart_svg="<svg></svg>",
    )
    practice = publish(title="Portici", project=project)
    url = reverse("practices:detail", args=[practice.slug])
    assert 'data-testid="impact"' not in client_for().get(url).content.decode()
    Project.objects.filter(pk=project.pk).update(published=True)
    page = client_for().get(url).content.decode()
    assert 'data-testid="impact"' in page
    assert "Riduzione significativa" in page


def test_a_version_page_shows_what_changed(
    publish: Callable[..., Practice], writer: Any, reviewer: Any, make_user: Any
) -> None:
    from prossima.practices.actions import (
        do_review_practice,
        do_start_revision,
        do_submit_practice,
        do_update_practice,
    )
    from tests.practices.conftest import ALL_TICKED

    practice = publish(title="Portierato sociale", summary="Custodi nei condomini.")
    revision = do_start_revision(writer, practice)
    do_update_practice(writer, revision, summary="Custodi sociali nei condomini popolari.")
    do_submit_practice(writer, revision)
    do_review_practice(reviewer, revision, "published", ALL_TICKED)
    last = practice.versions.order_by("-number").first()
    assert last is not None
    page = client_for().get(reverse("practices:version", args=[practice.slug, last.number]))
    rows = page.context["changes"]
    assert [(str(label), old, new) for label, old, new in rows] == [
        (
            str(Practice._meta.get_field("summary").verbose_name),
            "Custodi nei condomini.",
            "Custodi sociali nei condomini popolari.",
        )
    ]


def test_practice_page_speaks_the_visitors_language(seeded: int) -> None:
    url = reverse("practices:detail", args=["kirkholt-prevenzione-furti-ripetuti"])
    italian = client_for().get(url).content.decode()
    assert "Valutazioni con un termine di confronto" in italian
    client = client_for()
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    assert "Evaluations with a comparison consistently found the intended effect." in english
    assert "Protecting recently burgled homes" in english
    assert "What the evidence says (EMMIE)" in english
