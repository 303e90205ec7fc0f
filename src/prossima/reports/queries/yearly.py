"""The yearly urban-security report of a comune, built from stored data only.

Everything in it is read from the database: the stored indicator values (with
the peer bands computed from them) and the platform's records of the year.
Running it again on the same data gives the same report; the report states
when its indicators were computed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from prossima.reports.charts import band_chart_svg, bars_svg, comune_map_svg
from prossima.reports.indicators import BY_CODE, GROUPS, Indicator, year_range
from prossima.reports.models import IndicatorValue
from prossima.reports.queries.indicators import (
    Band,
    Point,
    is_own_staff,
    may_see,
    peer_band,
    series,
    size_label,
)
from prossima.territory.models import Comune

# The sections of the report, in order, with their indicators.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("context", ("residents_65",)),
    ("incidents", ("incidents_rate", "incidents_top5", "incidents_gini", "incidents_trend")),
    ("reports", ("reports_rate", "reports_resolved", "reports_days")),
    ("policing", ("patrol_delivery",)),
    ("assets", ("assets_total", "assets_in_reuse")),
    ("counterfeit", ("seizures_rate",)),
    ("participation", ("consultations", "participants_rate")),
    ("practices", ("practices",)),
)


@dataclass
class IndicatorBlock:
    """One indicator in the report: this year's value, its band, the chart of the years."""

    indicator: Indicator
    point: Point | None
    band: Band | None
    chart: SafeString
    position: str  # "below", "within", "above" the band, or ""


@dataclass
class Section:
    """A part of the report: indicators, an extra chart, and facts of the year."""

    code: str
    title: str
    blocks: list[IndicatorBlock] = field(default_factory=list)
    charts: list[SafeString] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    restricted: bool = False


@dataclass
class YearlyReport:
    """The whole report."""

    comune: Comune
    year: int
    size_label: str
    computed_at: dt.datetime | None
    sections: list[Section]
    own: bool
    map: str = ""


def _map(comune: Comune, year: int) -> SafeString:
    """Return the comune with the year's published citizen reports and its listed assets.

    Only what is public already: reports at their blurred public place, never
    those of sensitive categories; assets on the comune's public list.
    """
    import json

    from prossima.assets.models import Asset
    from prossima.assets.queries import LISTED_STAGES
    from prossima.incidents.models import CitizenReport, ModerationState

    shape = comune.boundary_simplified or comune.boundary
    if not shape:
        return SafeString("")
    start, end = year_range(year)
    reports = CitizenReport.objects.filter(
        comune=comune,
        moderation_state=ModerationState.PUBLISHED,
        category__sensitive=False,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("public_lon", "public_lat")
    assets = Asset.objects.filter(
        comune=comune, stage__in=LISTED_STAGES, lon__isnull=False, lat__isnull=False
    ).values_list("lon", "lat")
    return comune_map_svg(
        json.loads(shape),
        [
            (_("Published citizen reports (place within about 100 m)"), "#0066cc", list(reports)),
            (_("Confiscated assets on the public list"), "#d1344c", list(assets)),  # type: ignore[arg-type]
        ],
        _("Map of %(name)s") % {"name": comune.name},
        f"map-{comune.istat_code}-{year}",
    )


def _position(point: Point | None, band: Band | None) -> str:
    if point is None or point.value is None or band is None:
        return ""
    if point.value < band.p25:
        return "below"
    if point.value > band.p75:
        return "above"
    return "within"


def indicator_block(
    comune: Comune, indicator: Indicator, year: int | None, own: bool
) -> IndicatorBlock | None:
    """Return a comune's indicator with its peer band and chart, for ``year`` or the latest."""
    points = series(comune, indicator.code, own)
    if not points:
        return None
    year = points[-1].year if year is None else year
    bands: dict[int, Band] = {}
    for p in points:
        band = peer_band(comune, indicator.code, p.year)
        if band is not None:
            bands[p.year] = band
    this = next((p for p in points if p.year == year), None)
    chart = band_chart_svg(
        points, bands, str(indicator.label), f"chart-{indicator.code}-{comune.istat_code}"
    )
    return IndicatorBlock(indicator, this, bands.get(year), chart, _position(this, bands.get(year)))


def _reports_section(section: Section, comune: Comune, year: int) -> None:
    from prossima.incidents.models import CitizenReport

    start, end = year_range(year)
    found = CitizenReport.objects.filter(comune=comune, created_at__gte=start, created_at__lt=end)
    by_month = Counter(d.month for d in found.values_list("created_at", flat=True))
    if by_month:
        months = [dt.date(year, m, 1) for m in range(1, 13)]
        from django.utils.formats import date_format

        section.charts.append(
            bars_svg(
                [(date_format(m, "F"), float(by_month.get(m.month, 0))) for m in months],
                _("Citizen reports submitted per month"),
                f"chart-reports-month-{comune.istat_code}",
            )
        )
    english = translation.get_language() == "en"
    label = "category__label_en" if english else "category__label_it"
    by_category = found.values_list(label).annotate(n=Count("pk")).order_by("-n")[:8]
    rows = [(str(name), float(n)) for name, n in by_category]
    if rows:
        section.charts.append(
            bars_svg(
                rows, _("Citizen reports by category"), f"chart-reports-cat-{comune.istat_code}"
            )
        )


def _assets_section(section: Section, comune: Comune, year: int) -> None:
    from prossima.assets.models import Asset, Stage

    counts = dict(
        Asset.objects.filter(comune=comune, created_at__date__lte=dt.date(year, 12, 31))
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    rows = [(str(label), float(counts.get(value, 0))) for value, label in Stage.choices]
    if any(v for _l, v in rows):
        section.charts.append(
            bars_svg(rows, _("Confiscated assets by stage"), f"chart-assets-{comune.istat_code}")
        )


def _participation_section(section: Section, comune: Comune, year: int) -> None:
    from prossima.dialogue.models import (
        COUNTED_PLEDGES,
        Consultation,
        ContentState,
        Meeting,
        MeetingState,
        Pledge,
        PledgeKind,
        Proposal,
    )

    start, end = year_range(year)
    consultations = Consultation.objects.filter(
        comune=comune,
        published=True,
        phases__starts_on__lte=dt.date(year, 12, 31),
        phases__ends_on__gte=dt.date(year, 1, 1),
    ).distinct()
    proposals = Proposal.objects.filter(
        consultation__comune=comune,
        state=ContentState.PUBLISHED,
        created_at__gte=start,
        created_at__lt=end,
    )
    answers = Counter(proposals.values_list("answer", flat=True))
    pledged = Pledge.objects.filter(
        Q(proposal__consultation__comune=comune) | Q(project__tenant__comune=comune),
        state__in=COUNTED_PLEDGES,
        created_at__gte=start,
        created_at__lt=end,
    )
    funding = pledged.filter(kind=PledgeKind.FUNDING).aggregate(s=Sum("amount_eur"))["s"]
    hours = pledged.filter(kind=PledgeKind.VOLUNTEERING).aggregate(s=Sum("hours"))["s"]
    meetings = Meeting.objects.filter(
        consultation__comune=comune,
        published=True,
        state=MeetingState.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).count()
    section.facts += [
        (_("Consultations"), ", ".join(c.title for c in consultations) or "–"),
        (_("Proposals published"), str(proposals.count())),
        (_("Proposals accepted"), str(answers.get("accepted", 0))),
        (_("Proposals rejected"), str(answers.get("rejected", 0))),
        (_("Public meetings"), str(meetings)),
        (
            _("Funding pledged and accepted"),
            f"€ {Decimal(funding or 0):,.2f}".replace(",", "\u2009"),
        ),
        (_("Volunteer hours pledged and accepted"), str(hours or 0)),
    ]


def _incidents_section(section: Section, comune: Comune, year: int, own: bool) -> None:
    from prossima.incidents.models import Category

    rows = IndicatorValue.objects.filter(
        comune=comune, indicator="incidents_rate", year=year
    ).exclude(breakdown="")
    if not own:
        rows = rows.filter(suppressed=False)
    label = "label_en" if translation.get_language() == "en" else "label_it"
    # Categories are per tenant with shared codes; any tenant's label names the code.
    names = dict(Category.objects.values_list("code", label))
    bars = sorted(
        ((str(names.get(r.breakdown, r.breakdown)), float(r.value or 0)) for r in rows),
        key=lambda r: -r[1],
    )[:10]
    if bars:
        section.charts.append(
            bars_svg(
                bars,
                _("Incidents per 1,000 residents by category"),
                f"chart-incidents-cat-{comune.istat_code}",
                counts=False,
            )
        )


def _practices_section(section: Section, comune: Comune, year: int) -> None:
    from prossima.practices.models import Practice, Status

    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    for practice in Practice.objects.filter(
        comune=comune, status=Status.PUBLISHED, published_at__lt=end
    ).order_by("title"):
        section.facts.append((str(practice.get_rating_display()), practice.title))


def yearly_report(comune: Comune, year: int, user: Any) -> YearlyReport:
    """Return the yearly report of a comune as the user may see it."""
    own = is_own_staff(user, comune)
    sections = []
    for code, indicator_codes in SECTIONS:
        indicators = [BY_CODE[c] for c in indicator_codes]
        restricted = not all(i.public for i in indicators)
        if restricted and not any(may_see(user, i, comune) for i in indicators):
            continue
        section = Section(code, str(GROUPS[code]), restricted=restricted)
        for indicator in indicators:
            if may_see(user, indicator, comune):
                block = indicator_block(comune, indicator, year, own)
                if block is not None:
                    section.blocks.append(block)
        if code == "reports":
            _reports_section(section, comune, year)
        elif code == "assets":
            _assets_section(section, comune, year)
        elif code == "participation":
            _participation_section(section, comune, year)
        elif code == "incidents" and section.blocks:
            _incidents_section(section, comune, year, own)
        elif code == "practices":
            _practices_section(section, comune, year)
        sections.append(section)
    computed = IndicatorValue.objects.filter(comune=comune).aggregate(t=Max("computed_at"))["t"]
    return YearlyReport(
        comune, year, size_label(comune), computed, sections, own, _map(comune, year)
    )
