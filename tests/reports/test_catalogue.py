"""The open-data catalogue: DCAT-AP_IT in every serialisation, the page, indicator downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF

from prossima.accounts.models import OrganisationKind, Role
from prossima.analytics.models import AnalysisRun, RunKind
from prossima.assets.models import Asset, AssetKind, Stage
from prossima.counterfeit.models import AlertSource, ProductAlert
from prossima.incidents.actions import do_create_dataset
from prossima.practices.actions import (
    REVIEW_CHECKLIST,
    do_create_practice,
    do_review_practice,
    do_submit_practice,
)
from prossima.practices.models import Decision
from prossima.reports.indicators import BY_CODE
from prossima.reports.models import IndicatorValue
from prossima.reports.queries import catalogue

# Open namespaces: pytest's collection trips over rdflib's closed DCAT and XSD ones.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority"
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
BASE = "http://testserver"
PUBLIC, RESTRICTED = "reports_rate", "incidents_rate"
MODENA = "036023"
CONTENT_TYPES = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
}


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


@pytest.fixture
def world(
    make_org: Callable[..., Any], make_user: Callable[..., Any], bologna: Any, modena: Any
) -> dict[str, Any]:
    """Build a small world: assets in two comuni, a published map, a practice, alerts, values."""
    assert BY_CODE[PUBLIC].public is True
    assert BY_CODE[RESTRICTED].public is False
    org = make_org(
        OrganisationKind.COMUNE,
        "Comune di Bologna",
        comune=bologna,
        ipa_code="c_a944",
        website="https://www.comune.bologna.it/",
    )
    # Assets: Bologna (with its organisation and IPA code), Modena (no organisation).
    for code, comune, stage in (
        ("I-BO-1", bologna, Stage.DESTINED),
        ("I-BO-2", bologna, Stage.HANDED_OVER),
        ("I-BO-3", bologna, Stage.SEIZED),
        ("I-MO-1", modena, Stage.HANDED_OVER),
    ):
        Asset.objects.create(
            code=code,
            kind=AssetKind.REAL_ESTATE,
            comune=comune,
            stage=stage,
            address="Via di prova 1",
            is_illustrative=True,
        )
    # A published hotspot map of Bologna and an unpublished run (not in the catalogue).
    dataset = do_create_dataset(None, org, name="Interventi PL")
    layer = {"type": "FeatureCollection", "features": []}
    now = timezone.now()
    for version, published in ((1, now), (2, None)):
        AnalysisRun.objects.create(
            tenant=org,
            dataset=dataset,
            kind=RunKind.HOTSPOTS,
            version=version,
            dataset_version=1,
            finished_at=now,
            published_at=published,
            public_min_count=5 if published else None,
            public_layer=json.dumps(layer) if published else "",
        )
    # A published practice, through the review workflow.
    writer = make_user(org, Role.ANALYST, username="writer_bo")
    institute = make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto di ricerca")
    reviewer = make_user(institute, Role.RESEARCHER, username="reviewer")
    practice = do_create_practice(
        writer,
        org,
        title="Pratica di prova",
        summary="Una pratica scritta per i test.",
        problems=["danneggiamento"],
        intervention_types=["situational"],
        links=[{"title": "Fonte", "url": "https://example.org/fonte"}],
        effect="Nessuna valutazione dell'effetto.",
        rating="insufficient",
    )
    do_submit_practice(writer, practice)
    do_review_practice(
        reviewer, practice, Decision.PUBLISHED, {k: True for k, _label in REVIEW_CHECKLIST}
    )
    # Three alerts.
    for n in range(3):
        ProductAlert.objects.create(
            number=f"A12/0000{n}/24",
            source=AlertSource.SAFETY_GATE,
            published_on=dt.date(2024, 3, 1 + n),
            notifying_country="Italy",
            product_name=f"Giocattolo {n}",
            category="toys",
            risk_types=["choking"],
            risk_level="serious",
            description="Parti piccole.",
            is_illustrative=True,
        )
    # Stored indicators: a public one (one value suppressed), a restricted one.
    for comune, indicator, year, value, suppressed in (
        (bologna, PUBLIC, 2023, 12.5, False),
        (bologna, PUBLIC, 2024, 14.0, False),
        (modena, PUBLIC, 2024, 0.4, True),
        (bologna, RESTRICTED, 2024, 33.3, False),
    ):
        IndicatorValue.objects.create(
            comune=comune,
            indicator=indicator,
            year=year,
            value=value,
            numerator=value * 39,
            denominator=39.0,
            suppressed=suppressed,
        )
    return {"org": org, "bologna": bologna, "modena": modena}


def fetch_graph(fmt: str) -> Graph:
    response = Client().get(f"/reports/catalogue.{fmt}")
    assert response.status_code == 200
    content_type, rdf_format = CONTENT_TYPES[fmt]
    assert response["Content-Type"].split(";")[0] == content_type
    graph = Graph()
    graph.parse(data=response.content.decode(), format=rdf_format, publicID=BASE)
    return graph


def datasets_of(graph: Graph) -> dict[str, URIRef]:
    """Return the catalogue's datasets by their dct:identifier."""
    (node,) = set(graph.subjects(RDF.type, DCAT.Catalog))
    found = {}
    for dataset in graph.objects(node, DCAT.dataset):
        assert isinstance(dataset, URIRef)
        found[str(graph.value(dataset, DCTERMS.identifier))] = dataset
    return found


def expected_identifiers() -> set[str]:
    return {
        "c_a944:beni-confiscati",
        f"{MODENA}:beni-confiscati",
        "c_a944:hotspot-comune-di-bologna",
        f"prossima:indicatore-{PUBLIC}",
        "prossima:allerte-prodotti-pericolosi",
        "prossima:buone-pratiche",
    }


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_every_serialisation_parses_to_the_same_catalogue(world: dict[str, Any], fmt: str) -> None:
    graph = fetch_graph(fmt)
    (node,) = set(graph.subjects(RDF.type, DCAT.Catalog))
    assert node == URIRef(f"{BASE}/reports/catalogue/")
    assert (node, RDF.type, DCATAPIT.Catalog) in graph
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.modified, FOAF.homepage):
        assert graph.value(node, predicate) is not None, predicate
    assert (node, DCTERMS.language, URIRef(f"{EU}/language/ITA")) in graph
    publisher = graph.value(node, DCTERMS.publisher)
    assert (publisher, RDF.type, DCATAPIT.Agent) in graph
    assert str(graph.value(publisher, FOAF.name)) == "Prossima"
    assert set(datasets_of(graph)) == expected_identifiers()
    # Harvesters may ask for the headers first.
    head = Client().head(f"/reports/catalogue.{fmt}")
    assert head.status_code == 200
    assert head["Content-Type"].split(";")[0] == CONTENT_TYPES[fmt][0]


def test_the_serialisations_hold_the_same_triples(world: dict[str, Any]) -> None:
    from rdflib.compare import isomorphic

    turtle, jsonld, xml = (fetch_graph(f) for f in ("ttl", "jsonld", "rdf"))
    assert len(turtle) == len(jsonld) == len(xml) > 100
    assert isomorphic(turtle, jsonld)
    assert isomorphic(turtle, xml)


def test_every_dataset_has_the_dcat_ap_it_properties(world: dict[str, Any]) -> None:
    graph = fetch_graph("ttl")
    datasets = datasets_of(graph)
    assert len(datasets) == 6
    for identifier, node in datasets.items():
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert (node, RDF.type, DCATAPIT.Dataset) in graph
        for predicate in (
            DCTERMS.title,
            DCTERMS.description,
            DCTERMS.modified,
            DCTERMS.accrualPeriodicity,
            DCTERMS.language,
            DCTERMS.spatial,
            DCAT.contactPoint,
            DCAT.keyword,
            DCAT.landingPage,
        ):
            assert graph.value(node, predicate) is not None, (identifier, predicate)
        modified = graph.value(node, DCTERMS.modified)
        assert isinstance(modified, Literal)
        assert modified.datatype == XSD.date
        assert str(graph.value(node, DCTERMS.accrualPeriodicity)).startswith(f"{EU}/frequency/")
        themes = list(graph.objects(node, DCAT.theme))
        assert themes
        assert all(str(t).startswith(f"{EU}/data-theme/") for t in themes)
        # Titles: either one literal, or one per language with both languages.
        languages = {t.language for t in graph.objects(node, DCTERMS.title)}  # type: ignore[attr-defined]
        assert languages in ({None}, {"it", "en"}), identifier
        for predicate in (DCTERMS.publisher, DCTERMS.rightsHolder):
            agent = graph.value(node, predicate)
            assert (agent, RDF.type, DCATAPIT.Agent) in graph
            assert graph.value(agent, FOAF.name) is not None
        contact = graph.value(node, DCAT.contactPoint)
        assert (contact, RDF.type, VCARD.Organization) in graph
        assert graph.value(contact, VCARD.fn) is not None
        distributions = list(graph.objects(node, DCAT.distribution))
        assert distributions, identifier
        for distribution in distributions:
            assert (distribution, RDF.type, DCAT.Distribution) in graph
            assert (distribution, RDF.type, DCATAPIT.Distribution) in graph
            assert graph.value(distribution, DCAT.accessURL) is not None
            assert str(graph.value(distribution, DCTERMS.format)).startswith(f"{EU}/file-type/")
            assert graph.value(distribution, DCAT.mediaType) is not None
            assert graph.value(distribution, DCTERMS.license) == CC_BY
        downloads = [graph.value(d, DCAT.downloadURL) for d in distributions]
        # Only the alerts have no file export: their page and their search API.
        if identifier == "prossima:allerte-prodotti-pericolosi":
            assert downloads == [None, None]
        else:
            assert all(downloads), identifier
    assert (CC_BY, RDF.type, DCATAPIT.LicenseDocument) in graph


def test_agents_carry_ipa_or_istat_codes(world: dict[str, Any]) -> None:
    graph = fetch_graph("ttl")
    datasets = datasets_of(graph)
    bologna = graph.value(datasets["c_a944:beni-confiscati"], DCTERMS.publisher)
    assert str(graph.value(bologna, DCTERMS.identifier)) == "c_a944"
    assert str(graph.value(bologna, FOAF.name)) == "Comune di Bologna"
    assert graph.value(datasets["c_a944:hotspot-comune-di-bologna"], DCTERMS.publisher) == bologna
    modena = graph.value(datasets[f"{MODENA}:beni-confiscati"], DCTERMS.rightsHolder)
    assert str(graph.value(modena, DCTERMS.identifier)) == MODENA
    assert str(graph.value(modena, FOAF.name)) == "Comune di Modena"
    spatial = graph.value(datasets[f"{MODENA}:beni-confiscati"], DCTERMS.spatial)
    assert str(graph.value(spatial, DCATAPIT.geographicalIdentifier)) == MODENA
    contact = graph.value(datasets["c_a944:beni-confiscati"], DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasURL) == URIRef("https://www.comune.bologna.it/")


def test_downloads_and_frequencies_point_where_the_data_is(world: dict[str, Any]) -> None:
    graph = fetch_graph("ttl")
    datasets = datasets_of(graph)

    def downloads(identifier: str) -> set[str]:
        node = datasets[identifier]
        return {
            str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(node, DCAT.distribution)
        }

    def frequency(identifier: str) -> str:
        return str(graph.value(datasets[identifier], DCTERMS.accrualPeriodicity)).rsplit("/")[-1]

    assert downloads("c_a944:beni-confiscati") == {
        f"{BASE}/assets/comuni/037006/assets.{f}" for f in ("csv", "json", "geojson")
    }
    assert downloads("c_a944:hotspot-comune-di-bologna") == {
        f"{BASE}/analytics/comune-di-bologna/public/hotspots.json"
    }
    assert downloads(f"prossima:indicatore-{PUBLIC}") == {
        f"{BASE}/reports/data/indicators/{PUBLIC}.{f}" for f in ("csv", "json", "geojson")
    }
    assert downloads("prossima:buone-pratiche") == {
        f"{BASE}/practices/catalogue.csv",
        f"{BASE}/practices/catalogue.json",
    }
    assert frequency("c_a944:beni-confiscati") == "MONTHLY"
    assert frequency(f"prossima:indicatore-{PUBLIC}") == "ANNUAL"
    assert frequency("prossima:buone-pratiche") == "IRREG"
    indicator = datasets[f"prossima:indicatore-{PUBLIC}"]
    period = graph.value(indicator, DCTERMS.temporal)
    # The suppressed value is not counted in the years either.
    assert str(graph.value(period, DCAT.startDate)) == "2023-01-01"
    assert str(graph.value(period, DCAT.endDate)) == "2024-12-31"
    # Every advertised download answers.
    client = Client()
    for identifier in expected_identifiers() - {"prossima:allerte-prodotti-pericolosi"}:
        for url in downloads(identifier):
            assert client.get(url.removeprefix(BASE)).status_code == 200, url


def test_restricted_indicators_and_suppressed_values_never_appear(world: dict[str, Any]) -> None:
    for fmt in ("ttl", "jsonld", "rdf"):
        text = Client().get(f"/reports/catalogue.{fmt}").content.decode()
        assert RESTRICTED not in text
    client = Client()
    for fmt in ("csv", "json", "geojson"):
        assert client.get(f"/reports/data/indicators/{RESTRICTED}.{fmt}").status_code == 404
        body = client.get(f"/reports/data/indicators/{PUBLIC}.{fmt}").content.decode()
        assert MODENA not in body
        assert "0.4" not in body
    assert client.get(f"/reports/data/indicators/{PUBLIC}.xlsx").status_code == 404
    assert client.get("/reports/data/indicators/no_such_thing.csv").status_code == 404
    assert client.get("/reports/catalogue.n3").status_code == 404
    page = client.get("/reports/catalogue/").content.decode()
    assert RESTRICTED not in page


def test_indicator_csv(world: dict[str, Any]) -> None:
    response = Client().get(f"/reports/data/indicators/{PUBLIC}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="indicatore-{PUBLIC}.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "indicator",
            "istat_code",
            "comune",
            "year",
            "breakdown",
            "value",
            "numerator",
            "denominator",
        ],
        [PUBLIC, "037006", "Bologna", "2023", "", "12.5", "487.5", "39.0"],
        [PUBLIC, "037006", "Bologna", "2024", "", "14.0", "546.0", "39.0"],
    ]


def test_indicator_json(world: dict[str, Any]) -> None:
    response = Client().get(f"/reports/data/indicators/{PUBLIC}.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    doc = json.loads(response.content)
    assert doc["indicator"] == PUBLIC
    assert doc["licence"] == str(CC_BY)
    assert doc["values"] == [
        {
            "istat_code": "037006",
            "comune": "Bologna",
            "year": year,
            "breakdown": "",
            "value": value,
            "numerator": value * 39,
            "denominator": 39.0,
        }
        for year, value in ((2023, 12.5), (2024, 14.0))
    ]


def test_indicator_geojson(world: dict[str, Any]) -> None:
    client = Client()
    response = client.get(f"/reports/data/indicators/{PUBLIC}.geojson")
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    doc = json.loads(response.content)
    assert doc["type"] == "FeatureCollection"
    assert doc["year"] == 2024
    (feature,) = doc["features"]
    bologna = world["bologna"]
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [bologna.centroid_lon, bologna.centroid_lat],
    }
    assert feature["properties"] == {
        "istat_code": "037006",
        "name": "Bologna",
        "year": 2024,
        "value": 14.0,
        "numerator": 546.0,
        "denominator": 39.0,
    }
    older = json.loads(client.get(f"/reports/data/indicators/{PUBLIC}.geojson?year=2023").content)
    assert [f["properties"]["value"] for f in older["features"]] == [12.5]
    assert client.get(f"/reports/data/indicators/{PUBLIC}.geojson?year=x").status_code == 404


def test_page_lists_the_datasets_by_kind(world: dict[str, Any]) -> None:
    response = Client().get("/reports/catalogue/")
    assert response.status_code == 200
    page = response.content.decode()
    sections = page.split('data-testid="catalogue-')[1:]
    assert [(s.split('"')[0], s.count('data-testid="dataset"')) for s in sections] == [
        ("assets", 2),
        ("hotspots", 1),
        ("indicators", 1),
        ("alerts", 1),
        ("practices", 1),
    ]
    for identifier in expected_identifiers():
        assert f'data-identifier="{identifier}"' in page
    # Texts follow the reader's language (the page is Italian by default).
    assert "Beni confiscati trasferiti al comune di Bologna" in page
    reader = Client()
    reader.cookies["django_language"] = "en"
    english = reader.get("/reports/catalogue/").content.decode()
    assert "Confiscated assets transferred to Bologna" in english
    assert "ckanext-dcatapit" in page
    assert "http://testserver/reports/catalogue.rdf" in page
    for fmt in ("ttl", "jsonld", "rdf"):
        assert f'href="/reports/catalogue.{fmt}"' in page
    assert f'href="/reports/data/indicators/{PUBLIC}.geojson"' in page
    assert 'href="/assets/comuni/036023/assets.csv"' in page
    assert 'href="/api/counterfeit/alerts/"' in page
    assert "https://creativecommons.org/licenses/by/4.0/" in page
    assert "Comune di Bologna" in page


def test_empty_platform_still_has_a_valid_catalogue() -> None:
    graph = fetch_graph("ttl")
    assert datasets_of(graph) == {}
    page = Client().get("/reports/catalogue/").content.decode()
    assert 'data-testid="catalogue-empty"' in page


def test_serialisations_are_cached_until_something_changes(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    cache.clear()
    first = catalogue.dcat_document("ttl", lambda path: f"{BASE}{path}")
    # A second request rebuilds nothing: the handful of reads, then the cache.
    with django_assert_max_num_queries(10):
        assert catalogue.dcat_document("ttl", lambda path: f"{BASE}{path}") == first
    ProductAlert.objects.all().delete()
    changed = catalogue.dcat_document("ttl", lambda path: f"{BASE}{path}")
    assert "allerte-prodotti-pericolosi" in first
    assert "allerte-prodotti-pericolosi" not in changed


def test_publisher_comes_from_settings(world: dict[str, Any], settings: Any) -> None:
    settings.PROSSIMA = {
        **settings.PROSSIMA,
        "CATALOGUE_PUBLISHER": "Associazione dei comuni",
        "CATALOGUE_PUBLISHER_IPA": "assoc_1",
    }
    graph = fetch_graph("jsonld")
    datasets = datasets_of(graph)
    assert "assoc_1:buone-pratiche" in datasets
    publisher = graph.value(datasets["assoc_1:buone-pratiche"], DCTERMS.publisher)
    assert str(graph.value(publisher, FOAF.name)) == "Associazione dei comuni"
    assert str(graph.value(publisher, DCTERMS.identifier)) == "assoc_1"
