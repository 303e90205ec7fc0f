"""Public API of the unsafe-product alerts: search and one alert by its number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from prossima.counterfeit import alert_queries
from prossima.counterfeit.models import (
    AlertSource,
    MeasuresKind,
    ProductAlert,
    ProductCategory,
    RiskLevel,
    RiskType,
)

alerts_router = Router()

MAX_LIMIT = 100


class AlertFilters(Schema):
    q: str = ""
    category: str = ""
    risk: str = ""
    level: str = ""
    brand: str = ""
    counterfeit: bool | None = None
    limit: int = 25
    offset: int = 0


class AlertOut(Schema):
    number: str
    source: str
    published_on: dt.date
    notifying_country: str
    product_name: str
    brand: str
    model: str
    category: str
    category_label: str
    origin_country: str
    counterfeit: bool
    risk_types: list[str]
    risk_labels: list[str]
    risk_level: str
    risk_level_label: str
    description: str
    measures: str
    measures_kind: str
    measures_kind_label: str
    published_by: str | None
    photo_url: str | None
    page_url: str
    is_illustrative: bool


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[AlertOut]


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


def alert_out(request: HttpRequest, alert: ProductAlert) -> dict[str, Any]:
    """Return an alert as the API gives it (labels in the request's language)."""
    return {
        "number": alert.number,
        "source": alert.source,
        "published_on": alert.published_on,
        "notifying_country": alert.notifying_country,
        "product_name": alert.product_name,
        "brand": alert.brand,
        "model": alert.model,
        "category": alert.category,
        "category_label": _label(ProductCategory, alert.category),
        "origin_country": alert.origin_country,
        "counterfeit": alert.counterfeit,
        "risk_types": list(alert.risk_types),
        "risk_labels": [_label(RiskType, r) for r in alert.risk_types],
        "risk_level": alert.risk_level,
        "risk_level_label": _label(RiskLevel, alert.risk_level),
        "description": alert.description,
        "measures": alert.measures,
        "measures_kind": alert.measures_kind,
        "measures_kind_label": _label(MeasuresKind, alert.measures_kind),
        "published_by": (
            alert.organisation.name
            if alert.source == AlertSource.LOCAL and alert.organisation is not None
            else None
        ),
        "photo_url": (
            request.build_absolute_uri(reverse("counterfeit:alert_photo", args=[alert.number]))
            if alert.photo
            else None
        ),
        "page_url": request.build_absolute_uri(reverse("counterfeit:alert", args=[alert.number])),
        "is_illustrative": alert.is_illustrative,
    }


@alerts_router.get(
    "/", auth=None, response=AlertPage, summary="Search the dangerous-product alerts"
)
def alert_list(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    """Return the alerts matching the filters, newest first.

    ``q`` searches product, brand, model, number and description; ``category``,
    ``risk`` and ``level`` take the codes listed in the schema of an alert.
    """
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    found = alert_queries.search_alerts(
        filters.q,
        filters.category,
        filters.risk,
        filters.level,
        filters.brand,
        filters.counterfeit,
    )
    return {
        "count": found.count(),
        "limit": limit,
        "offset": offset,
        "results": [alert_out(request, a) for a in found[offset : offset + limit]],
    }


@alerts_router.get(
    "/{path:number}", auth=None, response=AlertOut, summary="One alert by its number"
)
def alert_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    """Return one alert; its number may contain slashes (A12/00123/24)."""
    found = alert_queries.alert_by_number(number)
    if found is None:
        raise HttpError(404, f"No alert has number {number}.")
    return alert_out(request, found)
