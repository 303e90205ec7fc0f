"""Comune search and comune pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.territory.actions import do_import_subareas
from prossima.territory.charts import pyramid_svg
from prossima.territory.forms import SubAreaUploadForm
from prossima.territory.geometry import GeoJSONError
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


def comune(
    request: HttpRequest, istat_code: str, upload_form: SubAreaUploadForm | None = None
) -> HttpResponse:
    """Render a comune's page: boundary map, population, links to its modules."""
    found = comune_by_code(istat_code)
    if found is None:
        raise Http404
    can_import = request.user.has_perm("territory.change_subarea", found)
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
            "upload_form": (upload_form or SubAreaUploadForm()) if can_import else None,
        },
        status=400 if upload_form is not None else 200,
    )


@login_required
@require_POST
def import_subareas(request: HttpRequest, istat_code: str) -> HttpResponse:
    """Import sub-areas from an uploaded GeoJSON file (the comune's managers only)."""
    found = comune_by_code(istat_code)
    if found is None:
        raise Http404
    if not request.user.has_perm("territory.change_subarea", found):
        raise PermissionDenied
    form = SubAreaUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = do_import_subareas(
                request.user,
                found,
                data["file"],
                kind=data["kind"],
                code_field=data["code_field"],
                name_field=data["name_field"],
                source=data["source"],
                filename=data["filename"],
            )
        except GeoJSONError as exc:
            form.add_error("file", f"{exc} " + _("Nothing was imported."))
        else:
            messages.success(
                request,
                _("%(created)s sub-areas created, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect(found)
    return comune(request, istat_code, upload_form=form)
