"""Pages of the indicators: definitions, national maps, a comune's comparison, yearly report."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent
from prossima.reports.indicators import BY_CODE, GROUPS, INDICATORS, Indicator
from prossima.reports.queries import indicators as queries
from prossima.reports.queries.yearly import indicator_block, yearly_report
from prossima.territory.models import Comune
from prossima.territory.queries import comune_by_code, find_comune
from prossima.web.pdf import pdf_response


def _indicator_or_404(code: str) -> Indicator:
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise Http404
    return indicator


def _comune_or_404(istat_code: str) -> Comune:
    comune = comune_by_code(istat_code)
    if comune is None:
        raise Http404
    return comune


def _groups(user: Any) -> list[tuple[str, list[tuple[Indicator, bool]]]]:
    """Return the indicators by group, each with whether the user sees its national map."""
    grouped: dict[str, list[tuple[Indicator, bool]]] = {}
    for indicator in INDICATORS:
        grouped.setdefault(indicator.group, []).append(
            (indicator, queries.may_see(user, indicator))
        )
    return [(str(GROUPS[g]), grouped[g]) for g in GROUPS if g in grouped]


def index(request: HttpRequest) -> HttpResponse:
    """List the indicators and find a comune to compare."""
    asked = request.GET.get("comune", "").strip()
    error = ""
    if asked:
        comune, error = find_comune(asked)
        if comune is not None:
            return redirect("reports:comune", comune.istat_code)
    return render(
        request,
        "reports/index.html",
        {
            "groups": _groups(request.user),
            "years": queries.stored_years(),
            "asked": asked,
            "error": error,
            "min_count": settings.PROSSIMA["PUBLIC_MIN_COUNT"],
        },
    )


def definition(request: HttpRequest, code: str) -> HttpResponse:
    """Show an indicator's definition, and its national map to those who may see it."""
    indicator = _indicator_or_404(code)
    years = queries.stored_years(code)
    year = _year(request, years)
    visible = queries.may_see(request.user, indicator)
    data = queries.national_map(code, year) if visible and year else None
    return render(
        request,
        "reports/indicator.html",
        {
            "indicator": indicator,
            "group": GROUPS[indicator.group],
            "years": years,
            "year": year,
            "visible": visible,
            "regions": data["regions"] if data else [],
            "comuni_count": len(data["comuni"]) if data else 0,
            "min_count": settings.PROSSIMA["PUBLIC_MIN_COUNT"],
        },
    )


def _year(request: HttpRequest, years: list[int]) -> int | None:
    wanted = request.GET.get("year", "")
    if wanted.isdigit() and int(wanted) in years:
        return int(wanted)
    return years[0] if years else None


@require_GET
def map_data(request: HttpRequest, code: str) -> JsonResponse:
    """Return an indicator's stored values by comune and region for one year (JSON)."""
    indicator = _indicator_or_404(code)
    if not queries.may_see(request.user, indicator):
        raise Http404
    year = request.GET.get("year", "")
    if not year.isdigit():
        latest = queries.latest_year(code)
        if latest is None:
            raise Http404
        year = str(latest)
    response = JsonResponse(queries.national_map(code, int(year)))
    if indicator.public:
        response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def regions(request: HttpRequest) -> JsonResponse:
    """Return the simplified boundaries of the regions (GeoJSON)."""
    response = JsonResponse(queries.region_shapes())
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _comparison(request: HttpRequest, comune: Comune) -> list[dict[str, Any]]:
    own = queries.is_own_staff(request.user, comune)
    rows = []
    for indicator in INDICATORS:
        if not queries.may_see(request.user, indicator, comune):
            continue
        block = indicator_block(comune, indicator, None, own)
        if block is not None:
            rows.append(
                {
                    "indicator": indicator,
                    "group": GROUPS[indicator.group],
                    "last": block.point,
                    "band": block.band,
                    "chart": block.chart,
                }
            )
    return rows


def comune(request: HttpRequest, istat_code: str) -> HttpResponse:
    """Compare a comune with comuni of its size class and region, year by year."""
    found = _comune_or_404(istat_code)
    rows = _comparison(request, found)
    if any(not r["indicator"].public for r in rows):
        do_record_audit(
            request.user,
            AuditEvent.Action.VIEW,
            "reports.indicatorvalue",
            found.istat_code,
            f"indicators of {found.name}",
            comune_code=found.istat_code,
            request=request,
        )
    return render(
        request,
        "reports/comune.html",
        {
            "comune": found,
            "rows": rows,
            "size_label": queries.size_label(found),
            "years": queries.stored_years(),
            "own": queries.is_own_staff(request.user, found),
            "min_count": settings.PROSSIMA["PUBLIC_MIN_COUNT"],
        },
    )


def _yearly_context(request: HttpRequest, istat_code: str, year: int) -> dict[str, Any]:
    found = _comune_or_404(istat_code)
    if year not in queries.stored_years():
        raise Http404
    report = yearly_report(found, year, request.user)
    if any(s.restricted for s in report.sections):
        do_record_audit(
            request.user,
            AuditEvent.Action.VIEW,
            "reports.indicatorvalue",
            found.istat_code,
            f"yearly report {year} of {found.name}",
            comune_code=found.istat_code,
            request=request,
        )
    return {
        "report": report,
        "comune": found,
        "year": year,
        "generated": timezone.now(),
        "min_count": settings.PROSSIMA["PUBLIC_MIN_COUNT"],
    }


def yearly(request: HttpRequest, istat_code: str, year: int) -> HttpResponse:
    """Show the yearly urban-security report of a comune."""
    return render(request, "reports/yearly.html", _yearly_context(request, istat_code, year))


def yearly_pdf(request: HttpRequest, istat_code: str, year: int) -> HttpResponse:
    """Return the yearly report as a PDF (WeasyPrint), in the active language."""
    context = _yearly_context(request, istat_code, year)
    html = render_to_string("reports/yearly_print.html", context, request=request)
    name = f"sicurezza-urbana-{context['comune'].istat_code}-{year}-{translation.get_language()}"
    return pdf_response(html, f"{name}.pdf", "reports/print.css")
