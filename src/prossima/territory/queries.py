"""Named reads of the territory: search, point lookup, population summaries."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from prossima.territory.geometry import ComuneLocator, normalise_name
from prossima.territory.models import Comune, Population

LIST_FIELDS = (
    "id",
    "istat_code",
    "cadastral_code",
    "name",
    "population",
    "area_km2",
    "province__abbreviation",
    "province__name",
    "region__name",
    "centroid_lon",
    "centroid_lat",
)


def comuni_light() -> QuerySet[Comune]:
    """Return comuni without their (large) boundary fields."""
    return Comune.objects.select_related("province", "region").defer(
        "boundary", "boundary_simplified"
    )


def search_comuni(text: str, limit: int = 20) -> QuerySet[Comune]:
    """Return comuni matching a name or an ISTAT/cadastral code, best matches first.

    Exact names and codes come first, then names that start with the text,
    then names that contain it; ties go to the larger population.
    """
    text = text.strip()
    if not text:
        return comuni_light().none()
    needle = normalise_name(text)
    if text.isdigit():
        return (
            comuni_light()
            .filter(Q(istat_code=text.zfill(6)) | Q(istat_code__startswith=text))
            .order_by("istat_code")[:limit]
        )
    rank = Case(
        When(Q(search_name=needle) | Q(cadastral_code__iexact=text), then=Value(0)),
        When(search_name__startswith=needle, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        comuni_light()
        .filter(Q(search_name__contains=needle) | Q(cadastral_code__iexact=text))
        .annotate(rank=rank)
        .order_by("rank", "-population", "name")[:limit]
    )


def comune_by_code(istat_code: str) -> Comune | None:
    """Return the comune with this ISTAT code (leading zeros optional), or None."""
    code = istat_code.strip()
    if not code.isdigit() or len(code) > 6:
        return None
    return (
        Comune.objects.select_related("province", "region").filter(istat_code=code.zfill(6)).first()
    )


def comune_locator_for_bbox(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> ComuneLocator:
    """Return a locator over the comuni whose bounding box meets the given one."""
    rows = Comune.objects.filter(
        min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
    ).values_list("istat_code", "boundary")
    codes, geoms = [], []
    for code, text in rows:
        codes.append(code)
        geoms.append(shapely.from_geojson(text))
    return ComuneLocator(codes, geoms)


def comune_at(lon: float, lat: float) -> Comune | None:
    """Return the comune containing the point, using the indexed bounding boxes first."""
    candidates = list(
        Comune.objects.filter(
            min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
        ).only("id", "istat_code", "name", "boundary")
    )
    point = shapely.Point(lon, lat)
    for comune in candidates:
        if shapely.from_geojson(comune.boundary).covers(point):
            return comune_by_code(comune.istat_code)
    return None


@dataclass
class PopulationSummary:
    """Headline population figures and the pyramid of a comune."""

    year: int
    total: int
    males_total: int
    females_total: int
    minors_share: float | None
    aged_65_plus_share: float | None
    aged_80_plus_share: float | None
    old_age_dependency: float | None
    pyramid: list[dict[str, int | str]]  # five-year bands, youngest first


def population_summary(comune: Comune) -> PopulationSummary | None:
    """Return the population summary and five-year pyramid of a comune, if loaded."""
    try:
        pop: Population = comune.population_detail
    except Population.DoesNotExist:
        return None
    bands: list[dict[str, int | str]] = []
    for start in range(0, 100, 5):
        label = f"{start}–{start + 4}" if start < 95 else "95+"
        stop = start + 5 if start < 95 else len(pop.males)
        bands.append(
            {
                "band": label,
                "males": int(sum(pop.males[start:stop])),
                "females": int(sum(pop.females[start:stop])),
            }
        )
    return PopulationSummary(
        year=pop.year,
        total=pop.total,
        males_total=int(sum(pop.males)),
        females_total=int(sum(pop.females)),
        minors_share=pop.share(pop.minors),
        aged_65_plus_share=pop.share(pop.aged_65_plus),
        aged_80_plus_share=pop.share(pop.aged_80_plus),
        old_age_dependency=pop.old_age_dependency(),
        pyramid=bands,
    )


def find_comune(text: str) -> tuple[Comune | None, str]:
    """Return the comune with this ISTAT code or exact name, or None with the reason."""
    text = text.strip()
    if text.isdigit():
        comune = comune_by_code(text)
        if comune is None:
            return None, _("no comune has ISTAT code %(code)s") % {"code": text}
        return comune, ""
    matches = list(
        Comune.objects.select_related("province").filter(search_name=normalise_name(text))[:5]
    )
    if not matches:
        return None, _("no comune is called “%(name)s”; give its ISTAT code") % {"name": text}
    if len(matches) > 1:
        return None, _("%(count)s comuni are called “%(name)s”: give the ISTAT code of one") % {
            "count": len(matches),
            "name": text,
        }
    return matches[0], ""
