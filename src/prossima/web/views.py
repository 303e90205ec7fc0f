"""Home, module and about pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prossima.territory.models import Comune
from prossima.web.modules import module_by_slug


def home(request: HttpRequest) -> HttpResponse:
    """Render the home page."""
    return render(request, "web/home.html", {"comuni_count": Comune.objects.count()})


def module(request: HttpRequest, slug: str) -> HttpResponse:
    """Render the page of a module that is not built yet, saying so plainly."""
    found = module_by_slug(slug)
    if found is None:
        raise Http404
    if found.built:
        return redirect(found.url_name)
    return render(request, "web/module.html", {"module": found})


def about(request: HttpRequest) -> HttpResponse:
    """Render the about page with data sources and licences."""
    return render(request, "web/about.html")
