"""Reads of the unsafe-product alerts: the public search and its filter counts.

Text search is a case-insensitive ``icontains`` on each word, so it behaves the
same on SQLite and PostgreSQL; the few thousand alerts a year of the Safety
Gate need no full-text index.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from prossima.counterfeit.models import ProductAlert, ProductCategory, RiskLevel, RiskType

SEARCHED_FIELDS = ("number", "product_name", "brand", "model", "description")
MAX_WORDS = 8


def _words(q: str) -> list[str]:
    return [w for w in q.split() if w][:MAX_WORDS]


def _yes_no(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "si", "sì"):
        return True
    if text in ("no", "false", "0"):
        return False
    return None


def search_alerts(
    q: str = "",
    category: str = "",
    risk: str = "",
    level: str = "",
    brand: str = "",
    counterfeit: Any = None,
    *,
    queryset: QuerySet[ProductAlert] | None = None,
) -> QuerySet[ProductAlert]:
    """Return the alerts matching every given filter, newest first.

    ``q``: every word must appear in the number, product, brand, model or
    description. ``brand`` is matched in part, without regard to case.
    ``counterfeit``: True/False, or "yes"/"no"; empty for either. Unknown
    category, risk or level values match nothing.
    """
    alerts = queryset if queryset is not None else ProductAlert.objects.all()
    for word in _words(q or ""):
        match = Q()
        for name in SEARCHED_FIELDS:
            match |= Q(**{f"{name}__icontains": word})
        alerts = alerts.filter(match)
    if category:
        alerts = alerts.filter(category=category)
    if risk:
        if risk not in RiskType.values:
            return alerts.none()
        # risk_types is a JSON list of codes; a quoted code matches one element
        # only (no code is part of another once quoted), on SQLite and PostgreSQL.
        alerts = alerts.filter(risk_types__icontains=f'"{risk}"')
    if level:
        alerts = alerts.filter(risk_level=level)
    if brand and brand.strip():
        alerts = alerts.filter(brand__icontains=brand.strip())
    wanted = _yes_no(counterfeit)
    if wanted is not None:
        alerts = alerts.filter(counterfeit=wanted)
    return alerts.select_related("organisation").order_by("-published_on", "number")


def facets(**filters: Any) -> dict[str, list[tuple[str, str, int]]]:
    """Return, for category and risk level, each value with its label and alert count.

    Each facet counts the alerts matching every *other* filter, so that the
    numbers say what choosing that value would give.
    """
    by_category = (
        search_alerts(**{**filters, "category": ""})
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
    )
    by_level = (
        search_alerts(**{**filters, "level": ""})
        .order_by()
        .values("risk_level")
        .annotate(n=Count("pk"))
    )
    categories = {row["category"]: row["n"] for row in by_category}
    levels = {row["risk_level"]: row["n"] for row in by_level}
    return {
        "category": [
            (value, str(label), categories.get(value, 0))
            for value, label in ProductCategory.choices
        ],
        "level": [(value, str(label), levels.get(value, 0)) for value, label in RiskLevel.choices],
    }


def alert_by_number(number: str) -> ProductAlert | None:
    """Return the alert with this number, if any."""
    return ProductAlert.objects.select_related("organisation").filter(number=number).first()
