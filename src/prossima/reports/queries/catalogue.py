"""The open-data catalogue: every public dataset of the platform, in DCAT-AP_IT.

DCAT-AP_IT is the Italian profile of DCAT-AP that dati.gov.it and the CKAN
portals of regions and comuni harvest (``ckanext-dcatapit``). The catalogue
lists the public datasets the platform already serves:

* each comune's list of confiscated assets (the same dataset, identifier and
  address as ``assets.dcat``, so both descriptions name one thing);
* the aggregated incident layer each tenant published (cells with at least
  the public minimum count);
* every public indicator with publishable values (never a restricted one,
  never a suppressed value);
* the product-safety alerts;
* the catalogue of good practices.

Reading happens in two steps. :func:`datasets` describes each dataset as
plain data with a handful of grouped queries (no query per dataset); those
descriptions feed both the HTML page and :func:`build_graph`, which makes the
rdflib graph. Serialising a full territory takes seconds, so
:func:`dcat_document` caches each serialisation under a digest of the
descriptions: any change to what is published changes the key, and nothing
has to remember to clear the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from rdflib.term import Node

from prossima.assets.dcat import CONTEXT, EU, LICENCE
from prossima.reports.indicators import GROUPS, INDICATORS, Indicator

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
LOCN = Namespace(CONTEXT["locn"])
VCARD = Namespace(CONTEXT["vcard"])
THEME = f"{EU}/data-theme/"
FREQUENCY = f"{EU}/frequency/"
FILE_TYPE = f"{EU}/file-type/"
LANGUAGE = f"{EU}/language/"
COUNTRY = f"{EU}/country/"
IANA = "https://www.iana.org/assignments/media-types/"
LICENCE_NAME = "CC BY 4.0"
LICENCE_TYPE = URIRef("http://purl.org/adms/licencetype/Attribution")

# The serialisations the DCAT endpoint offers: rdflib format and content type.
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}
# File types of the distributions: EU file-type code and IANA media type.
FILE_TYPES: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "geojson": ("GEOJSON", "application/geo+json"),
    "html": ("HTML", "text/html"),
}
# Bump when the shape of the graph changes, so that cached documents are rebuilt.
GRAPH_VERSION = 1
CACHE_SECONDS = 24 * 3600


class Kind:
    """The kinds of dataset, in the order the catalogue page shows them."""

    ASSETS = "assets"
    HOTSPOTS = "hotspots"
    INDICATORS = "indicators"
    ALERTS = "alerts"
    PRACTICES = "practices"


KINDS: dict[str, Promise] = {
    Kind.ASSETS: _("Confiscated assets transferred to the comuni"),
    Kind.HOTSPOTS: _("Aggregated incident maps"),
    Kind.INDICATORS: _("Indicators of the comuni"),
    Kind.ALERTS: _("Dangerous-product alerts"),
    Kind.PRACTICES: _("Good practices"),
}

# EU data themes per indicator group; every indicator also gets REGI
# (regions and cities), as each value belongs to one comune.
GROUP_THEMES: dict[str, tuple[str, ...]] = {
    "context": ("SOCI",),
    "incidents": ("JUST",),
    "reports": ("GOVE",),
    "policing": ("JUST",),
    "assets": ("JUST", "GOVE"),
    "counterfeit": ("JUST",),
    "participation": ("GOVE", "SOCI"),
    "practices": ("JUST", "SOCI"),
}


@dataclass(frozen=True)
class Text:
    """One text in Italian and in English (the same when it is not translated yet)."""

    it: str
    en: str

    def fill(self, **params: Text | str | int) -> Text:
        """Return the text with its placeholders filled, each language with its own values."""
        return Text(
            self.it % {k: v.it if isinstance(v, Text) else v for k, v in params.items()},
            self.en % {k: v.en if isinstance(v, Text) else v for k, v in params.items()},
        )

    def __str__(self) -> str:
        return self.en if (translation.get_language() or "").startswith("en") else self.it


def joined(*parts: Text) -> Text:
    """Return the texts one after the other, as sentences of one paragraph."""
    return Text(" ".join(p.it for p in parts), " ".join(p.en for p in parts))


def texts(message: Promise | str) -> Text:
    """Return a translatable message in Italian and in English."""
    with translation.override("it"):
        it = str(message)
    with translation.override("en"):
        en = str(message)
    return Text(it, en)


@dataclass(frozen=True)
class Agent:
    """Who publishes or holds a dataset (``dcatapit:Agent``)."""

    key: str
    name: str
    # IPA code when known; for a comune without one, its ISTAT code (as assets.dcat).
    identifier: str
    website: str = ""


@dataclass(frozen=True)
class Place:
    """Where a dataset is about: a comune (ISTAT code), a country, or a named place."""

    name: str
    istat_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class Distribution:
    """One way of getting a dataset: a file, or a page or API to query."""

    fmt: str
    access_path: str
    # Empty when the address is a page or a paged API rather than the whole file.
    download_path: str = ""
    note: Text | None = None

    @property
    def label(self) -> str:
        """Return the name of the file type as people write it (CSV, JSON, GeoJSON, HTML)."""
        return "GeoJSON" if self.fmt == "geojson" else FILE_TYPES[self.fmt][0]

    @property
    def href(self) -> str:
        """Return where a person gets it: the file when there is one, else the page or API."""
        return self.download_path or self.access_path


@dataclass(frozen=True)
class Entry:
    """One public dataset, as the catalogue describes it."""

    kind: str
    local_id: str
    identifier: str
    page: str
    title: Text
    description: Text
    themes: tuple[str, ...]
    frequency: str
    modified: dt.date
    publisher: Agent
    holder: Agent
    spatial: Place
    keywords: tuple[Text, ...] = ()
    distributions: tuple[Distribution, ...] = ()
    # First and last year covered, when the data are by year.
    years: tuple[int, int] | None = None
    # How many rows it holds (assets listed, values, alerts, practices), when counted.
    records: int | None = None


def platform_agent() -> Agent:
    """Return the platform as an agent: the catalogue's publisher (settings.PROSSIMA)."""
    config = settings.PROSSIMA
    name = str(config.get("CATALOGUE_PUBLISHER") or "Prossima")
    return Agent("platform", name, str(config.get("CATALOGUE_PUBLISHER_IPA") or ""))


def platform_prefix() -> str:
    """Return the prefix of the platform's dataset identifiers (IPA code, else its name)."""
    agent = platform_agent()
    return agent.identifier or slugify(agent.name) or "prossima"


def _date(moment: dt.datetime | dt.date | None) -> dt.date:
    if moment is None:
        return timezone.localdate()
    if isinstance(moment, dt.datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def _file_distributions(paths: Iterable[tuple[str, str]], page: str) -> tuple[Distribution, ...]:
    return tuple(Distribution(fmt, page, path) for fmt, path in paths)


# --- The datasets --------------------------------------------------------------------------


def _asset_entries() -> list[Entry]:
    from prossima.accounts.models import Organisation, OrganisationKind
    from prossima.assets.models import Asset, Concession
    from prossima.assets.queries import LISTED_STAGES

    listed = Q(stage__in=LISTED_STAGES)
    # The comuni assets.dcat.catalog lists: those with any asset in the registry.
    rows = (
        Asset.objects.order_by()
        .values("comune_id", "comune__istat_code", "comune__name")
        .annotate(
            listed=Count("pk", filter=listed),
            changed=Max("updated_at", filter=listed),
            touched=Max("updated_at"),
        )
        .order_by("comune__istat_code")
    )
    granted = dict(
        Concession.objects.filter(asset__stage__in=LISTED_STAGES)
        .order_by()
        .values_list("asset__comune_id")
        .annotate(m=Max("created_at"))
        .values_list("asset__comune_id", "m")
    )
    # The comune's own (non-demo) organisation publishes its list, as in assets.dcat.
    organisations: dict[int, tuple[str, str, str, str]] = {}
    for comune_id, name, ipa, website, slug in (
        Organisation.objects.filter(
            kind=OrganisationKind.COMUNE, is_demo=False, comune__isnull=False
        )
        .order_by("pk")
        .values_list("comune_id", "name", "ipa_code", "website", "slug")
    ):
        organisations.setdefault(comune_id, (name, ipa, website, slug))
    title = texts(_("Confiscated assets transferred to %(name)s"))
    description = texts(
        _(
            "The list every comune publishes under art. 48 c.3 lett. c of D.Lgs. 159/2011: "
            "what each asset is, its destination and use and, when granted to a third "
            "party, the holder and the act, subject and duration of the concession. "
            "Nothing else is published."
        )
    )
    keywords = (
        texts(_("confiscated assets")),
        texts(_("social reuse")),
        Text("D.Lgs. 159/2011", "D.Lgs. 159/2011"),
    )
    entries = []
    for row in rows:
        comune_id, istat, name = row["comune_id"], row["comune__istat_code"], row["comune__name"]
        found = organisations.get(comune_id)
        if found is not None:
            org_name, ipa, website, slug = found
            agent = Agent(f"org-{slug}", org_name, ipa or istat, website)
        else:
            agent = Agent(f"comune-{istat}", f"Comune di {name}", istat)
        moments = [m for m in (row["changed"], granted.get(comune_id)) if m is not None]
        page = reverse("assets:public_comune", args=[istat])
        entries.append(
            Entry(
                kind=Kind.ASSETS,
                local_id="beni-confiscati",
                identifier=f"{agent.identifier}:beni-confiscati",
                page=page,
                title=title.fill(name=name),
                description=description,
                themes=("GOVE", "JUST"),
                # The law asks for a monthly update of the list.
                frequency="MONTHLY",
                modified=_date(max(moments) if moments else row["touched"]),
                publisher=agent,
                holder=agent,
                spatial=Place(name, istat_code=istat),
                keywords=keywords,
                distributions=_file_distributions(
                    (
                        (fmt, reverse("assets:public_download", args=[istat, fmt]))
                        for fmt in ("csv", "json", "geojson")
                    ),
                    page,
                ),
                records=row["listed"],
            )
        )
    return entries


def _hotspot_entries() -> list[Entry]:
    from prossima.accounts.models import OrganisationKind
    from prossima.analytics.models import AnalysisRun, RunKind

    # The public page shows each tenant's latest published hotspot run.
    runs = (
        AnalysisRun.objects.filter(
            kind=RunKind.HOTSPOTS,
            published_at__isnull=False,
            tenant__kind__in=[OrganisationKind.COMUNE, OrganisationKind.PARTNER_CITY],
        )
        .order_by("published_at", "pk")
        .values(
            "tenant__slug",
            "tenant__name",
            "tenant__ipa_code",
            "tenant__website",
            "tenant__city",
            "tenant__country",
            "tenant__comune__istat_code",
            "tenant__comune__name",
            "dataset__name",
            "dataset__attribution",
            "published_at",
            "public_min_count",
        )
    )
    latest: dict[str, dict[str, Any]] = {}
    for published in runs:
        latest[published["tenant__slug"]] = dict(published)
    title = texts(_("Public map of %(name)s"))
    description = texts(
        _(
            "Where incidents concentrate, in cells of the same size: only cells with at "
            "least %(k)s incidents are shown, with their count and whether they are a "
            "statistically significant hot spot. No single incident, no exact time and "
            "nothing of the smaller cells is published."
        )
    )
    source = texts(_("Source: %(source)s"))
    keywords = (texts(_("hot spots")), texts(_("urban security")), texts(_("incidents")))
    minimum = int(settings.PROSSIMA["PUBLIC_MIN_COUNT"])
    entries = []
    for slug, run in sorted(latest.items()):
        istat = run["tenant__comune__istat_code"] or ""
        agent = Agent(
            f"org-{slug}",
            run["tenant__name"],
            run["tenant__ipa_code"] or istat,
            run["tenant__website"],
        )
        prefix = agent.identifier or platform_prefix()
        if istat:
            place = Place(run["tenant__comune__name"], istat_code=istat)
        else:
            place = Place(run["tenant__city"] or run["tenant__name"])
        text = description.fill(k=run["public_min_count"] or minimum)
        attribution = " – ".join(
            part for part in (run["dataset__name"], run["dataset__attribution"]) if part
        )
        if attribution:
            text = joined(text, source.fill(source=attribution.rstrip(".") + "."))
        page = reverse("analytics:public", args=[slug])
        entries.append(
            Entry(
                kind=Kind.HOTSPOTS,
                local_id=f"hotspot-{slug}",
                identifier=f"{prefix}:hotspot-{slug}",
                page=page,
                title=title.fill(name=run["tenant__name"]),
                description=text,
                themes=("JUST", "REGI"),
                # A new layer appears when the tenant publishes another run.
                frequency="IRREG",
                modified=_date(run["published_at"]),
                publisher=agent,
                holder=agent,
                spatial=place,
                keywords=keywords,
                distributions=(
                    Distribution("geojson", page, reverse("analytics:public_layer", args=[slug])),
                ),
            )
        )
    return entries


def public_indicators() -> list[Indicator]:
    """Return the indicators anyone may see: the only ones the catalogue may publish."""
    return [i for i in INDICATORS if i.public is True]


def publishable_values(code: str) -> Any:
    """Return the stored values of an indicator that may be published (none if restricted).

    Only values of public indicators, never suppressed, never empty.
    """
    from prossima.reports.models import IndicatorValue

    if code not in {i.code for i in public_indicators()}:
        return IndicatorValue.objects.none()
    return IndicatorValue.objects.filter(indicator=code, suppressed=False, value__isnull=False)


def _indicator_entries(platform: Agent) -> list[Entry]:
    from prossima.reports.models import IndicatorValue

    public = {i.code: i for i in public_indicators()}
    stats = {
        row["indicator"]: row
        for row in IndicatorValue.objects.filter(
            indicator__in=list(public), suppressed=False, value__isnull=False
        )
        .order_by()
        .values("indicator")
        .annotate(
            n=Count("pk"),
            first=Min("year"),
            last=Max("year"),
            changed=Max("computed_at"),
            comuni=Count("comune", distinct=True),
        )
    }
    prefix = platform_prefix()
    about = texts(
        _(
            "Values per comune and year, computed by the platform from its own data. "
            "Values resting on too few events or people are not published."
        )
    )
    unit = texts(_("Unit: %(unit)s."))
    formula = texts(_("Formula: %(formula)s"))
    source = texts(_("Source: %(source)s"))
    caveats = texts(_("Caveats: %(caveats)s"))
    keywords = (texts(_("indicators")), texts(_("comuni")), texts(_("urban security")))
    entries = []
    for code, indicator in public.items():
        row = stats.get(code)
        if row is None:
            continue
        label = texts(indicator.label)
        description = joined(
            about,
            unit.fill(unit=texts(indicator.unit)),
            formula.fill(formula=texts(indicator.formula)),
            source.fill(source=texts(indicator.source)),
            caveats.fill(caveats=texts(indicator.caveats)),
        )
        page = reverse("reports:indicator", args=[code])
        entries.append(
            Entry(
                kind=Kind.INDICATORS,
                local_id=f"indicatore-{code}",
                identifier=f"{prefix}:indicatore-{code}",
                page=page,
                title=label,
                description=description,
                themes=(*GROUP_THEMES.get(indicator.group, ()), "REGI"),
                # Indicators are computed for calendar years.
                frequency="ANNUAL",
                modified=_date(row["changed"]),
                publisher=platform,
                holder=platform,
                spatial=Place("Italia", country="ITA"),
                keywords=(*keywords, texts(GROUPS.get(indicator.group, indicator.group))),
                distributions=_file_distributions(
                    (
                        (fmt, reverse("reports:indicator_data", args=[code, fmt]))
                        for fmt in ("csv", "json", "geojson")
                    ),
                    page,
                ),
                years=(row["first"], row["last"]),
                records=row["n"],
            )
        )
    return entries


def _alert_entries(platform: Agent) -> list[Entry]:
    from prossima.counterfeit.models import ProductAlert

    found = ProductAlert.objects.order_by().aggregate(
        n=Count("pk"),
        changed=Max("updated_at"),
        first=Min("published_on"),
        last=Max("published_on"),
    )
    if not found["n"]:
        return []
    page = reverse("counterfeit:alerts")
    return [
        Entry(
            kind=Kind.ALERTS,
            local_id="allerte-prodotti-pericolosi",
            identifier=f"{platform_prefix()}:allerte-prodotti-pericolosi",
            page=page,
            title=texts(_("Dangerous-product alerts")),
            description=texts(
                _(
                    "Alerts on dangerous and counterfeit products: the alerts of the EU "
                    "Safety Gate and the local alerts of the comuni, with the product, its "
                    "risks and the measures taken."
                )
            ),
            themes=("JUST", "HEAL", "ECON"),
            # Imported from the Safety Gate and issued by comuni as they come.
            frequency="IRREG",
            modified=_date(found["changed"]),
            publisher=platform,
            holder=platform,
            spatial=Place("Italia", country="ITA"),
            keywords=(
                texts(_("product safety")),
                texts(_("counterfeiting")),
                Text("Safety Gate", "Safety Gate"),
            ),
            # No file export exists: the public list and its paged JSON API.
            distributions=(
                Distribution("html", page, note=texts(_("Searchable list of the alerts."))),
                Distribution(
                    "json",
                    reverse("api:alert_list"),
                    note=texts(_("Search API: up to 100 alerts per request, newest first.")),
                ),
            ),
            years=(found["first"].year, found["last"].year),
            records=found["n"],
        )
    ]


def _practice_entries(platform: Agent) -> list[Entry]:
    from prossima.practices.queries import published_practices

    found = published_practices().order_by().aggregate(n=Count("pk"), changed=Max("updated_at"))
    if not found["n"]:
        return []
    page = reverse("practices:index")
    return [
        Entry(
            kind=Kind.PRACTICES,
            local_id="buone-pratiche",
            identifier=f"{platform_prefix()}:buone-pratiche",
            page=page,
            title=texts(_("Good practices")),
            description=texts(
                _(
                    "Reviewed practices of urban security and crime prevention: the problem, "
                    "the intervention, where and when, and how strong the evidence of their "
                    "effect is."
                )
            ),
            themes=("JUST", "SOCI", "GOVE"),
            # A practice appears whenever a review publishes it.
            frequency="IRREG",
            modified=_date(found["changed"]),
            publisher=platform,
            holder=platform,
            spatial=Place("Italia", country="ITA"),
            keywords=(
                texts(_("good practices")),
                texts(_("crime prevention")),
                texts(_("urban security")),
            ),
            distributions=_file_distributions(
                (
                    ("csv", reverse("practices:catalogue_csv")),
                    ("json", reverse("practices:catalogue_json")),
                ),
                page,
            ),
            records=found["n"],
        )
    ]


def datasets() -> list[Entry]:
    """Describe every public dataset, in the order of KINDS (a handful of queries)."""
    platform = platform_agent()
    return [
        *_asset_entries(),
        *_hotspot_entries(),
        *_indicator_entries(platform),
        *_alert_entries(platform),
        *_practice_entries(platform),
    ]


def grouped(entries: Iterable[Entry]) -> list[tuple[str, str, list[Entry]]]:
    """Return the datasets by kind: (kind, its name, its datasets), kinds without none left out."""
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    return [(kind, str(label), by_kind[kind]) for kind, label in KINDS.items() if kind in by_kind]


# --- The graph ---------------------------------------------------------------------------


def _texts_of(node: Node, predicate: URIRef, text: Text, graph: Graph) -> None:
    # A text not translated yet is one literal without a language, not English
    # labelled as Italian.
    if text.it == text.en:
        graph.add((node, predicate, Literal(text.it)))
    else:
        graph.add((node, predicate, Literal(text.it, lang="it")))
        graph.add((node, predicate, Literal(text.en, lang="en")))


class _Builder:
    """Adds the catalogue to a graph; shared nodes (agents, licence) are added once."""

    def __init__(self, absolute: Callable[[str], str]) -> None:
        self.absolute = absolute
        self.graph = Graph()
        for prefix, namespace in CONTEXT.items():
            self.graph.bind(prefix, Namespace(namespace))
        self.home = URIRef(absolute(reverse("reports:catalogue")))
        self.site = absolute("/")
        self.agents: dict[str, URIRef] = {}
        self.contacts: dict[str, URIRef] = {}
        self.licence = URIRef(LICENCE)
        g = self.graph
        g.add((self.licence, RDF.type, DCTERMS.LicenseDocument))
        g.add((self.licence, RDF.type, DCATAPIT.LicenseDocument))
        g.add((self.licence, FOAF.name, Literal(LICENCE_NAME)))
        g.add((self.licence, DCTERMS.type, LICENCE_TYPE))

    def uri(self, path: str) -> URIRef:
        return URIRef(self.absolute(path))

    def agent(self, agent: Agent) -> URIRef:
        node = self.agents.get(agent.key)
        if node is None:
            g = self.graph
            node = URIRef(f"{self.home}#agent-{agent.key}")
            g.add((node, RDF.type, FOAF.Agent))
            g.add((node, RDF.type, DCATAPIT.Agent))
            g.add((node, FOAF.name, Literal(agent.name)))
            if agent.identifier:
                g.add((node, DCTERMS.identifier, Literal(agent.identifier)))
            self.agents[agent.key] = node
        return node

    def contact(self, agent: Agent) -> URIRef:
        node = self.contacts.get(agent.key)
        if node is None:
            g = self.graph
            node = URIRef(f"{self.home}#contact-{agent.key}")
            g.add((node, RDF.type, VCARD.Organization))
            g.add((node, RDF.type, DCATAPIT.Organization))
            g.add((node, VCARD.fn, Literal(agent.name)))
            website = agent.website or (self.site if agent.key == "platform" else "")
            if website:
                g.add((node, VCARD.hasURL, URIRef(website)))
            self.contacts[agent.key] = node
        return node

    def catalogue(self, entries: list[Entry], publisher: Agent) -> URIRef:
        g, node = self.graph, self.home
        g.add((node, RDF.type, DCAT.Catalog))
        g.add((node, RDF.type, DCATAPIT.Catalog))
        _texts_of(
            node, DCTERMS.title, texts(_("Open data of %(name)s")).fill(name=publisher.name), g
        )
        _texts_of(
            node,
            DCTERMS.description,
            texts(
                _(
                    "The public datasets of the urban-security cooperation platform: "
                    "confiscated assets of the comuni, aggregated incident maps, "
                    "indicators, dangerous-product alerts and good practices."
                )
            ),
            g,
        )
        g.add((node, DCTERMS.publisher, self.agent(publisher)))
        modified = max((e.modified for e in entries), default=timezone.localdate())
        g.add((node, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
        g.add((node, FOAF.homepage, node))
        g.add((node, DCTERMS.language, URIRef(f"{LANGUAGE}ITA")))
        g.add((node, DCTERMS.language, URIRef(f"{LANGUAGE}ENG")))
        g.add((node, DCAT.themeTaxonomy, URIRef(f"{EU}/data-theme")))
        for entry in entries:
            g.add((node, DCAT.dataset, self.dataset(entry)))
        return node

    def dataset(self, entry: Entry) -> URIRef:
        g = self.graph
        node = self.uri(entry.page)
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, RDF.type, DCATAPIT.Dataset))
        g.add((node, DCTERMS.identifier, Literal(entry.identifier)))
        _texts_of(node, DCTERMS.title, entry.title, g)
        _texts_of(node, DCTERMS.description, entry.description, g)
        for theme in entry.themes:
            g.add((node, DCAT.theme, URIRef(f"{THEME}{theme}")))
        for keyword in entry.keywords:
            _texts_of(node, DCAT.keyword, keyword, g)
        g.add((node, DCTERMS.publisher, self.agent(entry.publisher)))
        g.add((node, DCTERMS.rightsHolder, self.agent(entry.holder)))
        g.add((node, DCAT.contactPoint, self.contact(entry.publisher)))
        g.add((node, DCTERMS.modified, Literal(entry.modified, datatype=XSD.date)))
        g.add((node, DCTERMS.accrualPeriodicity, URIRef(f"{FREQUENCY}{entry.frequency}")))
        g.add((node, DCTERMS.language, URIRef(f"{LANGUAGE}ITA")))
        g.add((node, DCAT.landingPage, node))
        g.add((node, DCTERMS.spatial, self.place(entry.spatial)))
        if entry.years is not None:
            period = BNode()
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            g.add(
                (period, DCAT.startDate, Literal(dt.date(entry.years[0], 1, 1), datatype=XSD.date))
            )
            g.add(
                (period, DCAT.endDate, Literal(dt.date(entry.years[1], 12, 31), datatype=XSD.date))
            )
            g.add((node, DCTERMS.temporal, period))
        for distribution in entry.distributions:
            g.add((node, DCAT.distribution, self.distribution(node, entry, distribution)))
        return node

    def place(self, place: Place) -> Node:
        if place.country:
            return URIRef(f"{COUNTRY}{place.country}")
        g, node = self.graph, BNode()
        g.add((node, RDF.type, DCTERMS.Location))
        g.add((node, LOCN.geographicalName, Literal(place.name)))
        if place.istat_code:
            g.add((node, DCATAPIT.geographicalIdentifier, Literal(place.istat_code)))
        return node

    def distribution(self, dataset: URIRef, entry: Entry, distribution: Distribution) -> URIRef:
        g = self.graph
        node = URIRef(f"{dataset}#distribution-{distribution.fmt}")
        code, media = FILE_TYPES[distribution.fmt]
        label = distribution.label
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, RDF.type, DCATAPIT.Distribution))
        _texts_of(
            node,
            DCTERMS.title,
            Text(f"{entry.title.it} ({label})", f"{entry.title.en} ({label})"),
            g,
        )
        if distribution.note is not None:
            _texts_of(node, DCTERMS.description, distribution.note, g)
        g.add((node, DCAT.accessURL, self.uri(distribution.access_path)))
        if distribution.download_path:
            g.add((node, DCAT.downloadURL, self.uri(distribution.download_path)))
        g.add((node, DCTERMS.format, URIRef(f"{FILE_TYPE}{code}")))
        g.add((node, DCAT.mediaType, URIRef(f"{IANA}{media}")))
        g.add((node, DCTERMS.license, self.licence))
        g.add((node, DCTERMS.modified, Literal(entry.modified, datatype=XSD.date)))
        return node


def build_graph(entries: list[Entry], absolute: Callable[[str], str]) -> Graph:
    """Return the DCAT-AP_IT catalogue of ``entries``; ``absolute`` makes a path a full URL."""
    builder = _Builder(absolute)
    builder.catalogue(entries, platform_agent())
    return builder.graph


def catalogue_graph(absolute: Callable[[str], str]) -> Graph:
    """Return the DCAT-AP_IT catalogue of every public dataset as an rdflib graph."""
    return build_graph(datasets(), absolute)


def dcat_document(fmt: str, absolute: Callable[[str], str]) -> str:
    """Return the catalogue serialised as ``fmt`` (a key of FORMATS), cached until it changes."""
    rdf_format, _content_type = FORMATS[fmt]
    entries = datasets()
    digest = hashlib.sha256(
        repr((GRAPH_VERSION, fmt, absolute("/"), platform_agent(), entries)).encode()
    ).hexdigest()
    key = f"reports:dcat:{digest}"
    found = cache.get(key)
    if found is not None:
        return str(found)
    graph = build_graph(entries, absolute)
    if rdf_format == "json-ld":
        text = graph.serialize(format=rdf_format, context=CONTEXT, indent=1)
    else:
        text = graph.serialize(format=rdf_format)
    cache.set(key, text, CACHE_SECONDS)
    return text
