"""Reads of the practices: full-text search with facets, similar places, work queues.

Search rules, the same on every database:

* every meaningful word of the search must appear (stemmed, in Italian or in
  English) in the practice's title, summary, labels or other text; the
  database's own full-text index finds them (SQLite FTS5 in the embedded
  default, PostgreSQL's GIN-indexed ``tsvector`` in production);
* results are ordered by relevance: each word scores 4 when it is in the
  title, else 2 in the summary or labels, else 1; ties go to the stronger
  evidence rating, then the most recently published, then the title;
* facets filter with OR inside one facet and AND between facets; each facet's
  counts ignore that facet's own filter, so more values can be ticked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.translation import get_language

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.incidents.taxonomy import DEFAULT_CATEGORIES
from prossima.practices.models import (
    EXTRA_PROBLEMS,
    RATING_ORDER,
    SIZE_CLASS_BOUNDS,
    Facet,
    InterventionType,
    Language,
    Practice,
    PracticeFacet,
    Rating,
    SizeClass,
    Status,
    TargetGroup,
    size_class_of,
)
from prossima.practices.text import query_alternatives

TITLE_WEIGHT, SUMMARY_WEIGHT, BODY_WEIGHT = 4, 2, 1
FACETS: tuple[str, ...] = tuple(Facet.values)


def published_practices() -> QuerySet[Practice]:
    """Return the practices anyone may read."""
    return Practice.objects.filter(status=Status.PUBLISHED, revision_of__isnull=True)


@lru_cache(maxsize=1)
def problem_labels() -> dict[str, tuple[str, str]]:
    """Return every problem code with its Italian and English label."""
    labels = {c.code: (c.label_it, c.label_en) for c in DEFAULT_CATEGORIES if c.code != "altro"}
    labels.update({code: (it, en) for code, it, en in EXTRA_PROBLEMS})
    return labels


def problem_label(code: str) -> str:
    """Return the label of a problem in the active language (the code if unknown)."""
    pair = problem_labels().get(code)
    if pair is None:
        return code
    return pair[1] if (get_language() or "it").startswith("en") else pair[0]


def facet_label(facet: str, value: str) -> str:
    """Return the label shown for one facet value."""
    if facet == Facet.PROBLEM:
        return problem_label(value)
    choices: dict[str, Any] = {
        Facet.TARGET: TargetGroup,
        Facet.INTERVENTION: InterventionType,
        Facet.RATING: Rating,
        Facet.SIZE: SizeClass,
        Facet.LANGUAGE: Language,
    }
    if facet in choices:
        try:
            return str(choices[facet](value).label)
        except ValueError:
            return value
    if facet == Facet.REGION:
        return _region_names().get(value, value)
    return value


@lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    """Return every region's name by ISTAT code (the twenty regions do not change)."""
    from prossima.territory.models import Region

    return dict(Region.objects.values_list("code", "name"))


def _fts5_query(alternatives: Sequence[Sequence[str]]) -> str:
    return " AND ".join("(" + " OR ".join(f'"{a}"' for a in alts) + ")" for alts in alternatives)


def _tsquery(alternatives: Sequence[Sequence[str]]) -> str:
    return " & ".join("(" + " | ".join(alts) + ")" for alts in alternatives)


def _matching_ids(alternatives: Sequence[Sequence[str]]) -> list[int]:
    """Return the ids of the practices (any status) whose text holds every word."""
    if connection.vendor == "postgresql":
        return _postgres_matches(_tsquery(alternatives))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM practices_practice_fts WHERE practices_practice_fts MATCH %s",
            [_fts5_query(alternatives)],
        )
        return [row[0] for row in cursor.fetchall()]


def _matching(
    practices: QuerySet[Practice], alternatives: Sequence[Sequence[str]], ids: list[int]
) -> QuerySet[Practice]:
    """Return ``practices`` narrowed to those whose text holds every word (``ids``)."""
    if connection.vendor == "postgresql":
        # "= ANY" of one array parameter is a hashed lookup per row.
        return practices.alias(matched=_AnyOf(F("pk"), _IdArray(ids))).filter(matched=True)
    # One JSON parameter: SQLite limits the number of parameters, and reading the
    # ids back with json_each is faster than asking the full-text index again.
    return practices.filter(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)]))


class _IdArray(Expression):
    """Pass a list of ids as one array parameter (PostgreSQL), with no per-item work."""

    output_field = BigIntegerField()

    def __init__(self, ids: list[int]) -> None:
        super().__init__()
        self.ids = ids

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s::bigint[]", [self.ids]


class _AnyOf(Func):
    """Write ``column = ANY(array)`` (PostgreSQL)."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def _postgres_matches(tsquery: str) -> list[int]:
    """Return the ids matching a tsquery, read once per search from the GIN index.

    The planner does not price reading each row's large (TOASTed) tsvector, so
    for broad searches it prefers a sequential scan that is five times slower
    than the index (benchmarks/README.md); the ids are then reused by the page,
    the count and the facets.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT id FROM practices_practice "
            "WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)",
            [tsquery],
        )
        return [row[0] for row in cursor.fetchall()]


def _contains_any(field: str, stems: Sequence[str]) -> Any:
    """Return a condition true when the padded ``field`` holds one of ``stems`` as a word.

    ``StrIndex`` is INSTR on SQLite and STRPOS on PostgreSQL: a plain substring
    search, several times faster than LIKE on thousands of rows.
    """
    condition: Any = None
    for stem in stems:
        found = GreaterThan(StrIndex(field, Value(f" {stem} ")), 0)
        condition = found if condition is None else Q(condition) | Q(found)
    return condition


def _relevance(alternatives: Sequence[Sequence[str]]) -> Any:
    total: Any = Value(0)
    for alts in alternatives:
        total = total + Case(
            When(_contains_any("terms_title", alts), then=Value(TITLE_WEIGHT)),
            When(_contains_any("terms_summary", alts), then=Value(SUMMARY_WEIGHT)),
            default=Value(BODY_WEIGHT),
            output_field=IntegerField(),
        )
    return total


def _rating_order() -> Case:
    return Case(
        *[When(rating=code, then=Value(rank)) for code, rank in RATING_ORDER.items()],
        default=Value(len(RATING_ORDER)),
        output_field=IntegerField(),
    )


def _with_facets(
    practices: QuerySet[Practice], filters: Mapping[str, Iterable[str]]
) -> QuerySet[Practice]:
    for facet, values in filters.items():
        wanted = [v for v in values if v]
        if not wanted:
            continue
        practices = practices.filter(
            pk__in=PracticeFacet.objects.filter(facet=facet, value__in=wanted).values("practice_id")
        )
    return practices


@dataclass
class SearchResult:
    """What a search found: the ordered practices, their number and the facet counts."""

    practices: QuerySet[Practice]
    query_words: list[list[str]]
    facets: dict[str, list[tuple[str, str, int, bool]]] = field(default_factory=dict)
    total: int | None = None


def search_practices(
    q: str = "",
    filters: Mapping[str, Iterable[str]] | None = None,
    *,
    base: QuerySet[Practice] | None = None,
    with_facets: bool = True,
) -> SearchResult:
    """Return the practices matching ``q`` and the facet ``filters``, best first.

    ``filters`` maps a facet (see :class:`~prossima.practices.models.Facet`)
    to the values wanted. ``base`` defaults to the published practices; facet
    counts and the total (from :func:`public_facet_index`) are given for them
    only, as no page counts facets of drafts.
    """
    cleaned = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
    filters = {k: vs for k, vs in cleaned.items() if vs}
    practices = base if base is not None else published_practices()
    alternatives = query_alternatives(q or "")
    ids: list[int] | None = None
    if alternatives:
        ids = _matching_ids(alternatives)
        practices = _matching(practices, alternatives, ids)
    practices = _with_facets(practices, filters)
    practices = practices.annotate(
        relevance=_relevance(alternatives), rating_rank=_rating_order()
    ).order_by("-relevance", "rating_rank", "-published_at", "title", "id")
    result = SearchResult(practices=practices, query_words=alternatives)
    if with_facets and base is None:
        result.facets, result.total = _counted_in_memory(ids, filters)
    return result


_FACET_INDEX: dict[str, Any] = {"stamp": None, "values": {}}


@dataclass(frozen=True)
class _Facets:
    """One published practice's facet values, as pairs and by facet."""

    pairs: tuple[tuple[str, str], ...]
    by_facet: dict[str, frozenset[str]]


def public_facet_index() -> dict[int, _Facets]:
    """Return, for each published practice, its facet values (kept in memory).

    Counting facets of thousands of matches in SQL reads tens of thousands of
    rows per search; the values of every published practice fit in a few
    megabytes and are reread only when a published practice changes (a stamp of
    count, last id and last change is checked on each call).
    """
    stamp = tuple(
        published_practices()
        .aggregate(n=Count("id"), top=Max("id"), changed=Max("updated_at"))
        .values()
    )
    if _FACET_INDEX["stamp"] != stamp:
        values: dict[int, dict[str, set[str]]] = {
            pid: {} for pid in published_practices().values_list("pk", flat=True)
        }
        rows = PracticeFacet.objects.filter(practice_id__in=published_practices().values("pk"))
        for practice_id, facet, value in rows.values_list("practice_id", "facet", "value"):
            values.setdefault(practice_id, {}).setdefault(facet, set()).add(value)
        index = {
            pid: _Facets(
                pairs=tuple((facet, v) for facet, vs in by_facet.items() for v in sorted(vs)),
                by_facet={facet: frozenset(vs) for facet, vs in by_facet.items()},
            )
            for pid, by_facet in values.items()
        }
        _FACET_INDEX.update(stamp=stamp, values=index)
    return _FACET_INDEX["values"]


def _counted_in_memory(
    ids: list[int] | None, filters: Mapping[str, Iterable[str]]
) -> tuple[dict[str, list[tuple[str, str, int, bool]]], int]:
    """Return the facet counts and the number of results, as :func:`facet_counts` does."""
    index = public_facet_index()
    candidates = list(index) if ids is None else [i for i in ids if i in index]
    wanted = {facet: set(values) for facet, values in filters.items() if values}
    counted: Counter[tuple[str, str]] = Counter()
    total = 0
    if not wanted:
        total = len(candidates)
        counted.update(chain.from_iterable(index[pid].pairs for pid in candidates))
    else:
        for pid in candidates:
            entry = index[pid]
            failing = [
                f for f, vs in wanted.items() if not (entry.by_facet.get(f, frozenset()) & vs)
            ]
            if not failing:
                total += 1
                counted.update(entry.pairs)
            elif len(failing) == 1:
                # Fails only its own facet's filter: it counts for that facet alone.
                facet = failing[0]
                counted.update((facet, v) for v in entry.by_facet.get(facet, ()))
    raw: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for (facet, value), n in counted.items():
        raw.setdefault(facet, {})[value] = n
    return _facet_entries(raw, filters), total


def _facet_entries(
    raw: Mapping[str, Mapping[str, int]], filters: Mapping[str, Iterable[str]]
) -> dict[str, list[tuple[str, str, int, bool]]]:
    counts: dict[str, list[tuple[str, str, int, bool]]] = {}
    for facet in FACETS:
        ticked = set(filters.get(facet, ()))
        found = raw.get(facet, {})
        entries = [
            (value, facet_label(facet, value), n, value in ticked)
            for value, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        # A ticked value with no result stays visible so it can be unticked.
        for value in sorted(ticked - set(found)):
            entries.append((value, facet_label(facet, value), 0, True))
        counts[facet] = entries
    return counts


def practices_of(organisation_ids: Iterable[int]) -> QuerySet[Practice]:
    """Return the practices written by these organisations, newest change first."""
    return (
        Practice.objects.filter(organisation_id__in=list(organisation_ids))
        .select_related("organisation", "revision_of")
        .order_by("-updated_at")
    )


def review_queue() -> QuerySet[Practice]:
    """Return the practices waiting for a reviewer, oldest submission first."""
    return (
        Practice.objects.filter(status=Status.SUBMITTED)
        .select_related("organisation", "submitted_by", "revision_of")
        .order_by("submitted_at", "id")
    )


# --- "Practices from comuni like mine" ------------------------------------------

SIZE_ORDER = [code for _bound, code in SIZE_CLASS_BOUNDS] + [SizeClass.OVER_250K]


@dataclass
class Profile:
    """What makes a comune like another: its size, region and mix of problems."""

    size_class: str
    region_code: str
    problem_shares: dict[str, float]
    source: str  # "incidents" when the shares come from the tenant's data, else "chosen"


def incident_profile(tenant: Organisation, months: int = 12) -> dict[str, float]:
    """Return each incident category's share of the tenant's incidents in the last months.

    The shares are computed from the tenant's restricted data; callers show them
    only to people who may see the tenant's aggregates.
    """
    from django.db.models import Max

    from prossima.incidents.models import Incident

    incidents = Incident.objects.filter(tenant=tenant)
    latest = incidents.aggregate(last=Max("occurred_from"))["last"]
    if latest is None:
        return {}
    from datetime import timedelta

    recent = incidents.filter(occurred_from__gt=latest - timedelta(days=30 * months))
    rows = recent.values("category__code").annotate(n=Count("id"))
    total = sum(r["n"] for r in rows)
    if not total:
        return {}
    return {r["category__code"]: r["n"] / total for r in rows if r["category__code"]}


@dataclass
class Similar:
    """A practice with how similar its place is, and why."""

    practice: Practice
    score: float
    reasons: list[tuple[str, Any]]


def profile_for(user: Any, comune: Any, chosen: Sequence[str] = ()) -> Profile:
    """Return what makes ``comune`` what it is, for finding practices from places like it.

    The problems are those ``chosen``, equally weighted; without a choice, the
    shares of the comune's incidents when ``user`` may see its aggregates.
    """
    shares: dict[str, float] = {code: 1 / len(chosen) for code in chosen}
    source = "chosen"
    if not shares:
        source = "incidents"
        for tenant in Organisation.objects.filter(comune=comune, kind=OrganisationKind.COMUNE):
            if user.has_perm("prossima.view_aggregates", tenant):
                shares = incident_profile(tenant)
                break
    return Profile(
        size_class=size_class_of(comune.population),
        region_code=comune.region.code,
        problem_shares=shares,
        source=source if shares else "none",
    )


def similar_practices(profile: Profile, limit: int = 20) -> list[Similar]:
    """Return published practices ranked by how much their place resembles ``profile``.

    Score: 2 for the same population class (1 for the next class), 1 for the
    same region, plus 3 × the share of the comune's problems the practice
    addresses. Only practices with some similarity are returned.
    """
    from django.utils.translation import gettext_lazy as _

    wanted_rank = SIZE_ORDER.index(profile.size_class) if profile.size_class in SIZE_ORDER else -9
    ranked: list[Similar] = []
    # Only practices sharing something with the profile can score: find them by facet.
    near_sizes = [
        code for i, code in enumerate(SIZE_ORDER) if wanted_rank >= 0 and abs(i - wanted_rank) <= 1
    ]
    shared = (
        Q(facet=Facet.SIZE, value__in=near_sizes)
        | Q(facet=Facet.REGION, value=profile.region_code or "-")
        | Q(facet=Facet.PROBLEM, value__in=[c for c, v in profile.problem_shares.items() if v > 0])
    )
    practices = (
        published_practices()
        .filter(pk__in=PracticeFacet.objects.filter(shared).values("practice_id"))
        .select_related("comune", "region", "comune__region")
    )
    for practice in practices:
        score = 0.0
        reasons: list[tuple[str, Any]] = []
        size = practice.size_class
        if size and size in SIZE_ORDER:
            gap = abs(SIZE_ORDER.index(size) - wanted_rank)
            if gap == 0:
                score += 2
                reasons.append(("size", _("same population class")))
            elif gap == 1:
                score += 1
                reasons.append(("size", _("next population class")))
        region = practice.region or (practice.comune.region if practice.comune else None)
        if region is not None and profile.region_code and region.code == profile.region_code:
            score += 1
            reasons.append(("region", _("same region")))
        share = sum(profile.problem_shares.get(code, 0.0) for code in practice.problems)
        if share > 0:
            score += 3 * share
            for code in practice.problems:
                if code in profile.problem_shares:
                    reasons.append(("problem", problem_label(code)))
        if score > 0:
            ranked.append(Similar(practice, round(score, 3), reasons))
    ranked.sort(
        key=lambda s: (
            -s.score,
            RATING_ORDER.get(s.practice.rating, 9),
            s.practice.title,
        )
    )
    return ranked[:limit]


def snapshot_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> list[tuple[Any, Any, Any]]:
    """Return (field label, before, after) for each content field that differs.

    With no ``before`` (a first version), every field that holds something.
    """
    from prossima.practices.actions import CONTENT_FIELDS

    changes = []
    for name in CONTENT_FIELDS:
        old = before.get(name) if before is not None else None
        new = after.get(name)
        if (before is None and new not in (None, "", [])) or (before is not None and old != new):
            label = getattr(Practice._meta.get_field(name), "verbose_name", name)
            changes.append((label, old, new))
    return changes


# --- Catalogue ---------------------------------------------------------------------

CATALOGUE_COLUMNS: tuple[str, ...] = (
    "slug",
    "url",
    "title",
    "translated_title",
    "language",
    "summary",
    "translated_summary",
    "problems",
    "target_groups",
    "intervention_types",
    "country",
    "place",
    "comune_istat",
    "region_istat",
    "size_class",
    "area_type",
    "start_year",
    "duration",
    "rating",
    "effect_strength",
    "mechanism_strength",
    "moderators_strength",
    "implementation_strength",
    "economic_strength",
    "organisation",
    "version",
    "published_at",
    "links",
)


def catalogue_rows(request: Any = None) -> list[dict[str, Any]]:
    """Return every published practice as a row of :data:`CATALOGUE_COLUMNS`.

    Lists hold codes (problems are codes of the incident taxonomy); ``url`` is
    absolute when a request is given.
    """
    rows = []
    practices = published_practices().select_related(
        "organisation", "comune", "region", "comune__region"
    )
    for p in practices.order_by("slug"):
        url = p.get_absolute_url()
        region = p.region or (p.comune.region if p.comune else None)
        rows.append(
            {
                "slug": p.slug,
                "url": request.build_absolute_uri(url) if request is not None else url,
                "title": p.title,
                "translated_title": p.translated_title,
                "language": p.language,
                "summary": p.summary,
                "translated_summary": p.translated_summary,
                "problems": list(p.problems),
                "target_groups": list(p.target_groups),
                "intervention_types": list(p.intervention_types),
                "country": p.country,
                "place": p.place,
                "comune_istat": p.comune.istat_code if p.comune else "",
                "region_istat": region.code if region else "",
                "size_class": p.size_class,
                "area_type": p.area_type,
                "start_year": p.start_year,
                "duration": p.duration,
                "rating": p.rating,
                "effect_strength": p.effect_strength,
                "mechanism_strength": p.mechanism_strength,
                "moderators_strength": p.moderators_strength,
                "implementation_strength": p.implementation_strength,
                "economic_strength": p.economic_strength,
                "organisation": p.organisation.name,
                "version": p.version,
                "published_at": p.published_at.isoformat() if p.published_at else "",
                "links": list(p.links),
            }
        )
    return rows
