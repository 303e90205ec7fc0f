"""Writes of the reports app: computing and storing the indicators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from prossima.reports.indicators import BY_CODE, INDICATORS, Indicator
from prossima.reports.models import IndicatorValue

# Shares whose denominator is itself a count of events or people: a small
# denominator discloses as much as a small numerator.
COUNTED_DENOMINATORS = frozenset({"reports_resolved", "incidents_trend"})


def min_count() -> int:
    """Return the smallest count the platform publishes (PROSSIMA_PUBLIC_MIN_COUNT)."""
    return int(settings.PROSSIMA["PUBLIC_MIN_COUNT"])


def is_small(indicator: Indicator, numerator: float | None, denominator: float | None) -> bool:
    """Return whether a value rests on a count between 1 and the threshold (exclusive)."""
    k = min_count()
    if indicator.counts and numerator is not None and 0 < numerator < k:
        return True
    return (
        indicator.code in COUNTED_DENOMINATORS and denominator is not None and 0 < denominator < k
    )


@dataclass
class ComputeResult:
    """What a computation stored: values per indicator, and how many were suppressed."""

    year: int
    stored: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)


def do_compute_indicators(year: int, codes: Iterable[str] | None = None) -> ComputeResult:
    """Compute the indicators of a year for every comune and replace the stored values.

    Each indicator is replaced in its own transaction: all its values for the
    year or none, so a reader never sees half a map.
    """
    chosen = [BY_CODE[c] for c in codes] if codes is not None else list(INDICATORS)
    result = ComputeResult(year)
    for indicator in chosen:
        rows = [
            IndicatorValue(
                comune_id=comune,
                indicator=indicator.code,
                breakdown=breakdown,
                year=year,
                numerator=numerator,
                denominator=denominator,
                value=indicator.value(numerator, denominator),
                suppressed=is_small(indicator, numerator, denominator),
            )
            for comune, breakdown, numerator, denominator in indicator.compute(year)
        ]
        with transaction.atomic():
            IndicatorValue.objects.filter(indicator=indicator.code, year=year).delete()
            IndicatorValue.objects.bulk_create(rows, batch_size=2000)
        result.stored[indicator.code] = len(rows)
        result.suppressed[indicator.code] = sum(1 for r in rows if r.suppressed)
    _forget_maps()
    return result


def _forget_maps() -> None:
    from django.core.cache import cache

    from prossima.reports.queries.indicators import MAP_CACHE_VERSION_KEY

    cache.set(MAP_CACHE_VERSION_KEY, (cache.get(MAP_CACHE_VERSION_KEY) or 0) + 1, None)
