"""Public API of the good practices: search with facets, and one practice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from prossima.practices import queries
from prossima.practices.models import Practice, Rating, Strength

router = Router()

MAX_LIMIT = 100


class PracticeFilters(Schema):
    q: str = ""
    problem: list[str] = Field(default_factory=list)
    target: list[str] = Field(default_factory=list)
    intervention: list[str] = Field(default_factory=list)
    rating: list[str] = Field(default_factory=list)
    region: list[str] = Field(default_factory=list)
    size: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    limit: int = 20
    offset: int = 0


class EmmieOut(Schema):
    dimension: str
    strength: str
    strength_label: str
    evidence: str


class LinkOut(Schema):
    title: str
    url: str


class PracticeOut(Schema):
    slug: str
    page_url: str
    title: str
    summary: str
    translated_title: str
    translated_summary: str
    language: str
    problems: list[str]
    target_groups: list[str]
    intervention_types: list[str]
    country: str
    place: str
    comune_istat: str | None
    region_istat: str | None
    size_class: str
    start_year: int | None
    rating: str
    rating_label: str
    emmie: list[EmmieOut]
    outcomes: str
    links: list[LinkOut]
    organisation: str
    version: int
    published_at: dt.datetime | None


class FacetValue(Schema):
    value: str
    label: str
    count: int
    selected: bool


class PracticePage(Schema):
    count: int
    limit: int
    offset: int
    results: list[PracticeOut]
    facets: dict[str, list[FacetValue]]


EMMIE = (
    ("effect", "effect", "effect_strength"),
    ("mechanism", "mechanism_evidence", "mechanism_strength"),
    ("moderators", "moderators", "moderators_strength"),
    ("implementation", "implementation_evidence", "implementation_strength"),
    ("economic_cost", "economic", "economic_strength"),
)


def practice_out(request: HttpRequest, p: Practice) -> dict[str, Any]:
    """Return a published practice as the API gives it (labels in the request's language)."""
    region = p.region or (p.comune.region if p.comune else None)
    return {
        "slug": p.slug,
        "page_url": request.build_absolute_uri(p.get_absolute_url()),
        "title": p.title,
        "summary": p.summary,
        "translated_title": p.translated_title,
        "translated_summary": p.translated_summary,
        "language": p.language,
        "problems": list(p.problems),
        "target_groups": list(p.target_groups),
        "intervention_types": list(p.intervention_types),
        "country": p.country,
        "place": p.place,
        "comune_istat": p.comune.istat_code if p.comune else None,
        "region_istat": region.code if region else None,
        "size_class": p.size_class,
        "start_year": p.start_year,
        "rating": p.rating,
        "rating_label": str(Rating(p.rating).label),
        "emmie": [
            {
                "dimension": name,
                "strength": getattr(p, strength),
                "strength_label": str(Strength(getattr(p, strength)).label),
                "evidence": getattr(p, text),
            }
            for name, text, strength in EMMIE
        ],
        "outcomes": p.outcomes,
        "links": [
            {"title": str(link.get("title", "")), "url": str(link.get("url", ""))}
            for link in p.links
        ],
        "organisation": p.organisation.name,
        "version": p.version,
        "published_at": p.published_at,
    }


@router.get("/", auth=None, response=PracticePage, summary="Search the good practices")
def practice_list(request: HttpRequest, filters: Query[PracticeFilters]) -> dict[str, Any]:
    """Return the published practices matching the search, best first, with facet counts.

    ``q`` is searched in Italian and English; facet parameters may repeat
    (``rating=effective&rating=promising``): values of one facet are OR-ed,
    facets are AND-ed. Problems are codes of the incident taxonomy.
    """
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    wanted = {facet: getattr(filters, facet) for facet in queries.FACETS}
    result = queries.search_practices(filters.q[:200], wanted)
    found = result.practices.select_related("organisation", "comune", "region", "comune__region")
    return {
        "count": result.total if result.total is not None else found.count(),
        "limit": limit,
        "offset": offset,
        "results": [practice_out(request, p) for p in found[offset : offset + limit]],
        "facets": {
            facet: [
                {"value": v, "label": label, "count": n, "selected": ticked}
                for v, label, n, ticked in values
            ]
            for facet, values in result.facets.items()
        },
    }


@router.get("/{slug}", auth=None, response=PracticeOut, summary="One published practice")
def practice_detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Return one published practice by its address."""
    found = (
        queries.published_practices()
        .select_related("organisation", "comune", "region", "comune__region")
        .filter(slug=slug)
        .first()
    )
    if found is None:
        raise HttpError(404, f"No published practice has address {slug}.")
    return practice_out(request, found)
