"""Comune search and comune pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from prossima.territory.charts import pyramid_svg
from prossima.territory.queries import comune_by_code, population_summary, search_comuni


def search(request: HttpRequest) -> HttpResponse:
    """Search comuni by name or code; htmx requests get only the result list."""
    query = request.GET.get("q", "").strip()[:100]
    results = list(search_comuni(query, limit=50)) if query else []
    template = (
        "territory/_results.html"
        if request.headers.get("HX-Request")
        else ("territory/search.html")
    )
    return render(request, template, {"query": query, "results": results})


def comune(request: HttpRequest, istat_code: str) -> HttpResponse:
    """Render a comune's page: boundary map, population, links to its modules."""
    found = comune_by_code(istat_code)
    if found is None:
        raise Http404
    summary = population_summary(found)
    subareas = Paginator(found.subareas.defer("boundary", "boundary_simplified"), 50).page(1)
    return render(
        request,
        "territory/comune.html",
        {
            "comune": found,
            "population": summary,
            "pyramid": pyramid_svg(summary) if summary else "",
            "subareas": subareas,
            "organisations": found.organisations.all(),
        },
    )
