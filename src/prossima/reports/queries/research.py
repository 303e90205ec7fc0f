"""Reads of the research extracts: who sees which request, and the extract itself.

An extract is built from the stored aggregates (``IndicatorValue``) and from
nothing else, and applies the disclosure-control rules of
``docs/disclosure-control.md``. The rules are numbered there (R1–R7) and
the code below names them by number, so a reviewer can follow each one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from prossima.accounts.permissions import memberships_of
from prossima.reports.actions.indicators import COUNTED_DENOMINATORS, is_small, min_count
from prossima.reports.indicators import BY_CODE, Indicator
from prossima.reports.models import IndicatorValue, Level, RequestStatus, ResearchRequest

# R5: released counts are multiples of this (base-5 rounding).
ROUNDING_BASE = 5
# R5: values carry this many significant digits.
SIGNIFICANT_DIGITS = 4
# R3: a median of fewer comuni than this describes a handful of places.
MIN_GROUP_COMUNI = 3

# Why a cell is withheld. Kept inside the program: the files say only
# "suppressed", so a primary cell cannot be told from its complement (R4).
PRIMARY = "primary"
SECONDARY = "secondary"
FEW_COMUNI = "few_comuni"

SUM = "sum"
MEDIAN = "median"
OWN = "comune"

COLUMNS: tuple[str, ...] = (
    "level",
    "code",
    "name",
    "indicator",
    "breakdown",
    "year",
    "value",
    "numerator",
    "denominator",
    "comuni",
    "method",
    "suppressed",
)


def is_protected(indicator: Indicator) -> bool:
    """Return whether an indicator rests on counts of events or people (R2, R4, R5)."""
    return indicator.counts or indicator.code in COUNTED_DENOMINATORS


def round_count(count: float | None, threshold: int | None = None) -> int | None:
    """Return a released count: the nearest multiple of five, never below the threshold.

    Halves go up. A count that reached the threshold is never released as
    a smaller number: with a threshold of 7, a count of 7 would otherwise be
    published as 5, under the threshold; it is published as 10 instead.
    """
    if count is None:
        return None
    rounded = int(ROUNDING_BASE * ((count + ROUNDING_BASE / 2) // ROUNDING_BASE))
    k = min_count() if threshold is None else threshold
    if count >= k > 0:
        floor = ROUNDING_BASE * math.ceil(k / ROUNDING_BASE)
        rounded = max(rounded, floor)
    return rounded


def significant(value: float | None) -> float | None:
    """Return a value with four significant digits."""
    if value is None:
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


@dataclass
class Cell:
    """One row of an extract: an area, an indicator, a breakdown and a year.

    ``numerator`` and ``denominator`` hold the exact stored parts while the
    extract is built and the released parts once it is finished (see
    ``release``); a withheld cell releases nothing but its flag.
    """

    level: str
    code: str
    name: str
    indicator: str
    breakdown: str
    year: int
    numerator: float | None
    denominator: float | None
    # The province of a comune, the region of a province: the group of R4.
    parent: str = ""
    comuni: int | None = None
    method: str = OWN
    value: float | None = None
    suppressed: bool = False
    reason: str = ""

    @property
    def definition(self) -> Indicator:
        """Return the indicator of the cell."""
        return BY_CODE[self.indicator]

    @property
    def count(self) -> float | None:
        """Return the exact count the cell protects: the numerator, or a counted denominator."""
        if self.definition.counts:
            return self.numerator
        return self.denominator

    def withhold(self, reason: str) -> None:
        """Mark the cell withheld, keeping the first reason."""
        if not self.suppressed:
            self.suppressed = True
            self.reason = reason

    def _released_parts(self) -> tuple[float | None, float | None]:
        indicator = self.definition
        numerator = round_count(self.numerator) if indicator.counts else self.numerator
        counted = indicator.code in COUNTED_DENOMINATORS
        denominator = round_count(self.denominator) if counted else self.denominator
        return numerator, denominator

    def released_value(self) -> float | None:
        """Return the value as released: from the released parts, to 4 significant digits.

        Not from the exact parts: the denominators are public populations, so a
        value from exact counts would give the exact count back and undo R5.
        """
        if self.method == MEDIAN:
            return significant(self.value)
        return significant(self.definition.value(*self._released_parts()))

    def release(self) -> None:
        """Replace the exact parts with what may be released (R2, R3, R5)."""
        indicator = self.definition
        if self.suppressed:
            self.value = self.numerator = self.denominator = None
        elif self.method == MEDIAN:
            self.value = self.released_value()
            self.numerator = self.denominator = None
        else:
            self.value = self.released_value()
            numerator, denominator = self._released_parts()
            self.numerator = numerator
            if indicator.value_of is not None and indicator.code not in COUNTED_DENOMINATORS:
                # With value_of, an uncounted denominator slot holds the statistic itself.
                self.denominator = None
            elif denominator is not None and indicator.code not in COUNTED_DENOMINATORS:
                self.denominator = round(denominator, 6)
            else:
                self.denominator = denominator

    def as_row(self) -> dict[str, Any]:
        """Return the cell as a row of the files (after ``release``)."""
        return {
            "level": self.level,
            "code": self.code,
            "name": self.name,
            "indicator": self.indicator,
            "breakdown": self.breakdown,
            "year": self.year,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "comuni": self.comuni,
            "method": self.method,
            "suppressed": self.suppressed,
        }


@dataclass
class Extract:
    """The cells of an approved request, with what a reader needs to trust them."""

    request: ResearchRequest
    cells: list[Cell] = field(default_factory=list)
    threshold: int = 5
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def withheld(self) -> int:
        """Return how many cells are withheld."""
        return sum(1 for c in self.cells if c.suppressed)

    def rows(self) -> list[dict[str, Any]]:
        """Return the rows of the files."""
        return [c.as_row() for c in self.cells]


def _comune_cells(request: ResearchRequest) -> list[Cell]:
    """Return one cell per stored value the request covers, with its exact parts (R1)."""
    found = IndicatorValue.objects.filter(indicator__in=request.indicators, year__in=request.years)
    if request.region_id is not None:
        found = found.filter(comune__region_id=request.region_id)
    cells = []
    for row in found.values_list(
        "comune__istat_code",
        "comune__name",
        "comune__province__code",
        "indicator",
        "breakdown",
        "year",
        "numerator",
        "denominator",
        "suppressed",
    ).order_by():
        code, name, province, indicator, breakdown, year, numerator, denominator, stored = row
        cell = Cell(
            Level.COMUNE,
            code,
            name,
            indicator,
            breakdown,
            year,
            numerator,
            denominator,
            parent=province,
        )
        # R2, with today's threshold; a value stored as suppressed under a
        # higher threshold stays withheld.
        if stored or is_small(cell.definition, numerator, denominator):
            cell.withhold(PRIMARY)
        cells.append(cell)
    return cells


def _complement_once(cells: Iterable[Cell], group_of: Callable[[Cell], Hashable]) -> int:
    """Withhold one more cell in every group with exactly one withheld cell; return how many."""
    groups: dict[Hashable, list[Cell]] = defaultdict(list)
    for cell in cells:
        if is_protected(cell.definition) and cell.method != MEDIAN:
            groups[group_of(cell)].append(cell)
    added = 0
    for members in groups.values():
        if sum(1 for c in members if c.suppressed) != 1:
            continue
        # A zero as the complement would protect nothing: the sum of the two
        # would then be the small count itself.
        candidates = [c for c in members if not c.suppressed and (c.count or 0) > 0]
        if not candidates:
            continue
        smallest = min(candidates, key=lambda c: (c.count or 0, c.code, c.breakdown))
        smallest.withhold(SECONDARY)
        added += 1
    return added


def complement(cells: list[Cell], across_areas: bool) -> None:
    """Apply R4: no group whose total is released elsewhere has a single withheld cell.

    Two kinds of group: the areas of one parent (comuni of a province,
    provinces of a region) for one indicator, breakdown and year; and the
    breakdowns (categories) of one area, indicator and year, whose total is
    the row without a breakdown. Repeated until nothing changes, since a
    complement in one kind of group can leave a single withheld cell in the other.
    """

    def by_parent(c: Cell) -> Hashable:
        return (c.parent, c.indicator, c.breakdown, c.year)

    def by_breakdown(c: Cell) -> Hashable:
        return (c.code, c.indicator, c.year)

    while True:
        added = _complement_once((c for c in cells if c.breakdown), by_breakdown)
        if across_areas:
            added += _complement_once(cells, by_parent)
        if not added:
            return


def _aggregate(
    comuni: list[Cell], level: str, area_of: Callable[[str], tuple[str, str, str]]
) -> list[Cell]:
    """Return province or region cells from the comune cells (R3).

    ``comuni`` are the comune cells after R2 and R4, still with their exact
    parts; ``area_of`` maps a comune code to (area code, area name, parent code).
    """
    groups: dict[tuple[str, str, str, int], list[Cell]] = defaultdict(list)
    for cell in comuni:
        area = area_of(cell.code)[0]
        groups[(area, cell.indicator, cell.breakdown, cell.year)].append(cell)
    cells = []
    for (area, code, breakdown, year), members in groups.items():
        _code, name, parent = area_of(members[0].code)
        indicator = BY_CODE[code]
        if indicator.value_of is None:
            numerators = [c.numerator for c in members if c.numerator is not None]
            denominators = [c.denominator for c in members if c.denominator is not None]
            cell = Cell(
                level,
                area,
                name,
                code,
                breakdown,
                year,
                sum(numerators) if numerators else None,
                sum(denominators) if denominators else None,
                parent=parent,
                comuni=len(members),
                method=SUM,
            )
            if is_small(indicator, cell.numerator, cell.denominator):
                cell.withhold(PRIMARY)
        else:
            # Not additive: the median of the comuni whose own cells are released.
            values = [c for c in members if not c.suppressed and c.value is not None]
            cell = Cell(
                level,
                area,
                name,
                code,
                breakdown,
                year,
                None,
                None,
                parent=parent,
                comuni=len(values),
                method=MEDIAN,
            )
            if len(values) < MIN_GROUP_COMUNI:
                cell.withhold(FEW_COMUNI)
            else:
                cell.value = statistics.median(c.value for c in values if c.value is not None)
        cells.append(cell)
    return cells


def _areas(level: str, codes: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """Return, per comune code, the (code, name, parent code) of its province or region."""
    from prossima.territory.models import Comune

    found = Comune.objects.filter(istat_code__in=list(codes))
    if level == Level.PROVINCE:
        rows = found.values_list(
            "istat_code", "province__code", "province__name", "province__region__code"
        )
    else:
        rows = found.values_list("istat_code", "region__code", "region__name", "region__code")
    # Regions get no parent: no national total is published to difference against.
    top = level == Level.REGION
    return {code: (area, name, "" if top else parent) for code, area, name, parent in rows}


def build_extract(request: ResearchRequest) -> Extract:
    """Build the extract of a request, applying the disclosure-control rules R1–R6.

    Comune cells are always built first, with R2 and R4, because the
    medians of R3 are taken over the comuni whose own cells would be released.
    """
    comuni = _comune_cells(request)
    complement(comuni, across_areas=True)
    if request.level == Level.COMUNE:
        cells = comuni
    else:
        for cell in comuni:
            # Medians are of the values the comune extract would release; sums
            # use the exact parts, rounded once at the end.
            if cell.definition.value_of is not None:
                cell.value = cell.released_value()
        areas = _areas(request.level, {c.code for c in comuni})
        cells = _aggregate(comuni, request.level, lambda code: areas[code])
        # R4 one level up: provinces of a region (no national total is published).
        complement(cells, across_areas=request.level == Level.PROVINCE)
    for cell in cells:
        cell.release()
    cells.sort(key=lambda c: (c.indicator, c.breakdown, c.year, c.code))
    return Extract(request, cells, threshold=min_count())


# --- The files ----------------------------------------------------------------------------


def rules_text(threshold: int) -> list[dict[str, str]]:
    """Return the disclosure-control rules as they apply to an extract, in the active language."""
    k = {"k": threshold, "k1": threshold - 1, "base": ROUNDING_BASE, "groups": MIN_GROUP_COMUNI}
    return [
        {
            "rule": "R1",
            "text": _(
                "Only aggregates: each row is one comune, province or region, one "
                "indicator, one breakdown and one year. No record-level data."
            ),
        },
        {
            "rule": "R2",
            "text": _(
                "A cell whose count of events or people is between 1 and %(k1)s is "
                "withheld: value and counts blank, suppressed true."
            )
            % k,
        },
        {
            "rule": "R3",
            "text": _(
                "Province and region rows sum the counts of their comuni and recompute "
                "the ratio. Indicators that cannot be summed (medians, Gini, changes) are "
                "given as the median of the released comuni, withheld when fewer than "
                "%(groups)s comuni contribute."
            )
            % k,
        },
        {
            "rule": "R4",
            "text": _(
                "Where a province (or the categories of an area) would have exactly one "
                "withheld cell, the smallest other non-zero cell is withheld too, so the "
                "withheld count cannot be recovered from a total."
            ),
        },
        {
            "rule": "R5",
            "text": _(
                "Released counts are rounded to the nearest multiple of %(base)s; values "
                "are computed from the rounded counts and given to 4 significant digits."
            )
            % k,
        },
        {
            "rule": "R6",
            "text": _(
                "Indicators from police data are released under the same rules; the "
                "purpose of the request is recorded with it."
            ),
        },
        {
            "rule": "R7",
            "text": _(
                "This file names the request, who approved it and when; the CSV holds "
                "the same rows without this description."
            ),
        },
    ]


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def extract_json(extract: Extract) -> dict[str, Any]:
    """Return the extract with its metadata (R7) as a JSON-ready dictionary."""
    request = extract.request
    return {
        "request": {
            "id": request.pk,
            "title": request.title,
            "purpose": request.purpose,
            "organisation": request.organisation.name,
            "requested_by": _person(request.requester),
            "requested_at": request.created_at.isoformat(),
            "indicators": list(request.indicators),
            "years": list(request.years),
            "level": request.level,
            "region": request.region.code if request.region is not None else None,
        },
        "approval": {
            "approved_by": _person(request.decided_by),
            "approved_at": request.decided_at.isoformat() if request.decided_at else None,
            "downloads_until": request.expires_on.isoformat() if request.expires_on else None,
            "note": request.decision_note,
        },
        "generated_at": extract.generated_at.isoformat(),
        "disclosure_control": {
            "threshold": extract.threshold,
            "rounding_base": ROUNDING_BASE,
            "significant_digits": SIGNIFICANT_DIGITS,
            "min_comuni_for_medians": MIN_GROUP_COMUNI,
            "rules": rules_text(extract.threshold),
        },
        "indicators": [
            {
                "code": code,
                "label": str(BY_CODE[code].label),
                "unit": str(BY_CODE[code].unit),
                "restricted": not BY_CODE[code].public,
            }
            for code in request.indicators
            if code in BY_CODE
        ],
        "columns": list(COLUMNS),
        "rows": extract.rows(),
    }


def extract_csv(extract: Extract) -> str:
    """Return the rows of the extract as CSV: data columns and the suppressed flag only."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in extract.rows():
        writer.writerow(
            {
                **{k: "" if v is None else v for k, v in row.items()},
                "suppressed": "true" if row["suppressed"] else "false",
            }
        )
    return out.getvalue()


# --- Requests -----------------------------------------------------------------------------


def _requests() -> QuerySet[ResearchRequest]:
    return ResearchRequest.objects.select_related(
        "requester", "organisation", "region", "decided_by"
    )


def visible_requests(user: Any) -> QuerySet[ResearchRequest]:
    """Return the requests the user may see: own and organisations'; all for deciders."""
    if not getattr(user, "is_authenticated", False):
        return ResearchRequest.objects.none()
    if user.has_perm("reports.decide_extract"):
        return _requests()
    organisations = {m.organisation_id for m in memberships_of(user)}
    return _requests().filter(Q(requester=user) | Q(organisation_id__in=organisations))


def decision_queue(user: Any) -> QuerySet[ResearchRequest]:
    """Return the submitted requests the user may decide on, oldest first (never their own)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("reports.decide_extract"):
        return ResearchRequest.objects.none()
    return (
        _requests()
        .filter(status=RequestStatus.SUBMITTED)
        .exclude(requester=user)
        .order_by("created_at")
    )


def is_downloadable(request: ResearchRequest, today: dt.date | None = None) -> bool:
    """Return whether the extract of a request may be downloaded today."""
    today = today or timezone.localdate()
    return request.status == RequestStatus.APPROVED and (
        request.expires_on is None or today <= request.expires_on
    )


def restricted_codes(codes: Iterable[str]) -> list[str]:
    """Return the indicators among ``codes`` computed from restricted (police) data."""
    return [c for c in codes if c in BY_CODE and not BY_CODE[c].public]


def site_url(path: str) -> str:
    """Return an absolute address on the platform."""
    return str(settings.PROSSIMA["SITE_URL"]) + path
