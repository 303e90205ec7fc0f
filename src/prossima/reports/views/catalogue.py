"""Pages of the open-data catalogue: the list, the DCAT-AP_IT endpoint, indicator downloads."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from prossima.assets.dcat import LICENCE
from prossima.reports.indicators import BY_CODE, Indicator
from prossima.reports.queries import catalogue as queries

# Column names of the indicator downloads: the same in every language.
INDICATOR_COLUMNS = (
    "indicator",
    "istat_code",
    "comune",
    "year",
    "breakdown",
    "value",
    "numerator",
    "denominator",
)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """List the public datasets by kind, with their downloads and the DCAT endpoints."""
    entries = queries.datasets()
    return render(
        request,
        "reports/catalogue/index.html",
        {
            "groups": queries.grouped(entries),
            "count": len(entries),
            "licence_url": LICENCE,
            "licence_name": queries.LICENCE_NAME,
            "endpoints": [
                (fmt, label, reverse("reports:dcat", args=[fmt]))
                for fmt, label in (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))
            ],
            "dcat_url": request.build_absolute_uri(reverse("reports:dcat", args=["rdf"])),
        },
    )


@require_safe
def dcat(request: HttpRequest, fmt: str) -> HttpResponse:
    """Return the DCAT-AP_IT catalogue as Turtle, JSON-LD or RDF/XML."""
    if fmt not in queries.FORMATS:
        raise Http404
    text = queries.dcat_document(fmt, request.build_absolute_uri)
    response = HttpResponse(text, content_type=queries.FORMATS[fmt][1])
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _public_indicator_or_404(code: str) -> Indicator:
    indicator = BY_CODE.get(code)
    # A restricted indicator is not even said to exist.
    if indicator is None or indicator.public is not True:
        raise Http404
    return indicator


def _rows(code: str) -> list[tuple[Any, ...]]:
    return list(
        queries.publishable_values(code)
        .order_by("year", "comune__istat_code", "breakdown")
        .values_list(
            "comune__istat_code",
            "comune__name",
            "year",
            "breakdown",
            "value",
            "numerator",
            "denominator",
        )
    )


def _csv(indicator: Indicator) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    writer = csv.writer(out)
    writer.writerow(INDICATOR_COLUMNS)
    for row in _rows(indicator.code):
        writer.writerow([indicator.code, *("" if v is None else v for v in row)])
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


def _metadata(indicator: Indicator) -> dict[str, Any]:
    return {
        "indicator": indicator.code,
        "label": str(indicator.label),
        "unit": str(indicator.unit),
        "formula": str(indicator.formula),
        "source": str(indicator.source),
        "caveats": str(indicator.caveats),
        "licence": LICENCE,
    }


def _json(indicator: Indicator) -> HttpResponse:
    keys = INDICATOR_COLUMNS[1:]
    document = {
        **_metadata(indicator),
        "values": [dict(zip(keys, row, strict=True)) for row in _rows(indicator.code)],
    }
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )


def _geojson(request: HttpRequest, indicator: Indicator) -> HttpResponse:
    values = queries.publishable_values(indicator.code).filter(breakdown="")
    asked = request.GET.get("year", "")
    if asked:
        if not asked.isdigit():
            raise Http404
        year: int | None = int(asked)
    else:
        # One point per comune: the latest year unless another is asked for.
        year = values.order_by("-year").values_list("year", flat=True).first()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]}
            if lon is not None and lat is not None
            else None,
            "properties": {
                "istat_code": istat,
                "name": name,
                "year": year_,
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
            },
        }
        for istat, name, lon, lat, year_, value, numerator, denominator in values.filter(year=year)
        .order_by("comune__istat_code")
        .values_list(
            "comune__istat_code",
            "comune__name",
            "comune__centroid_lon",
            "comune__centroid_lat",
            "year",
            "value",
            "numerator",
            "denominator",
        )
    ]
    document = {
        "type": "FeatureCollection",
        **_metadata(indicator),
        "year": year,
        "features": features,
    }
    return HttpResponse(
        json.dumps(document, ensure_ascii=False),
        content_type="application/geo+json; charset=utf-8",
    )


@require_safe
def indicator_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """Download a public indicator's published values as CSV, JSON or GeoJSON (in Italian).

    Suppressed values are never in it; GeoJSON gives the totals of one year
    (``?year=``, else the latest) as one point per comune at its centroid.
    """
    indicator = _public_indicator_or_404(code)
    # Open data does not change with the reader's language.
    with translation.override("it"):
        if fmt == "csv":
            response = _csv(indicator)
        elif fmt == "json":
            response = _json(indicator)
        elif fmt == "geojson":
            response = _geojson(request, indicator)
        else:
            raise Http404
    response["Content-Disposition"] = f'attachment; filename="indicatore-{code}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
