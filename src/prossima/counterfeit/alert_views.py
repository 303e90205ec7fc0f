"""Pages of the unsafe-product alerts: public search and alert pages, import, local alerts."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import MANAGING_ROLES, TENANT_KINDS, tenant_ids_with_role
from prossima.counterfeit import alert_queries
from prossima.counterfeit import alerts as actions
from prossima.counterfeit.alert_forms import AlertImportForm, AlertSearchForm, LocalAlertForm
from prossima.counterfeit.alerts import (
    MAX_PROBLEMS_SHOWN,
    AlertFileError,
    AlertImportError,
    AlertProblem,
    do_create_local_alert,
    do_import_alerts,
    do_update_local_alert,
)
from prossima.counterfeit.models import AlertSource, ProductAlert, RiskLevel, RiskType
from prossima.web.forms import add_validation_errors

PER_PAGE = 25
MAX_UPLOAD_MB = 20

# What each danger means for the person who owns the product, in plain words.
RISK_EXPLAINED: dict[str, Any] = {
    RiskType.CHEMICAL: gettext_lazy(
        "It contains substances that can harm your health, for example through the skin, "
        "if breathed in or if a child puts it in the mouth."
    ),
    RiskType.CHOKING: gettext_lazy(
        "Small parts can come off: a young child could swallow them and choke."
    ),
    RiskType.ELECTRIC_SHOCK: gettext_lazy(
        "You can get an electric shock when you use it or plug it in."
    ),
    RiskType.FIRE: gettext_lazy("It can overheat and start a fire."),
    RiskType.BURNS: gettext_lazy("It can get hot enough to burn you."),
    RiskType.INJURIES: gettext_lazy("It can break, fall or pinch and hurt the person using it."),
    RiskType.CUTS: gettext_lazy("It has sharp edges or points that can cut."),
    RiskType.STRANGULATION: gettext_lazy(
        "Cords, straps or ribbons can wrap around a child's neck."
    ),
    RiskType.SUFFOCATION: gettext_lazy(
        "It can cover the nose and mouth or block breathing, especially of a child."
    ),
    RiskType.DROWNING: gettext_lazy("It may not keep a person afloat in the water."),
    RiskType.MICROBIOLOGICAL: gettext_lazy(
        "It may contain bacteria or moulds that can cause infections."
    ),
    RiskType.HEARING: gettext_lazy("It is loud enough to damage your hearing."),
    RiskType.SIGHT: gettext_lazy("It can damage your eyes, for example with a strong light."),
    RiskType.ENVIRONMENT: gettext_lazy(
        "It contains substances that harm the environment when it is used or thrown away."
    ),
    RiskType.OTHER: gettext_lazy("It presents another danger, described below."),
}
LEVEL_EXPLAINED: dict[str, Any] = {
    RiskLevel.SERIOUS: gettext_lazy(
        "Serious risk: the authorities consider that it calls for rapid action."
    ),
    RiskLevel.HIGH: gettext_lazy("High risk."),
    RiskLevel.MEDIUM: gettext_lazy("Medium risk."),
    RiskLevel.LOW: gettext_lazy("Low risk."),
}


def _managed_tenants(user: Any) -> list[Organisation]:
    """Return the tenants for which the user may publish local alerts."""
    if not getattr(user, "is_authenticated", False):
        return []
    ids = tenant_ids_with_role(user, MANAGING_ROLES)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def alerts(request: HttpRequest) -> HttpResponse:
    """Search the alerts: words, filters with counts, 25 per page."""
    probe = AlertSearchForm(request.GET or None)
    filters = probe.filters()
    form = AlertSearchForm(request.GET or None, facets=alert_queries.facets(**filters))
    form.is_valid()
    found = alert_queries.search_alerts(**filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "counterfeit/alerts/list.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "can_import": request.user.has_perm("counterfeit.import_alerts"),
            "managed_tenants": _managed_tenants(request.user),
        },
    )


def _alert_or_404(number: str) -> ProductAlert:
    found = alert_queries.alert_by_number(number)
    if found is None:
        raise Http404
    return found


def alert(request: HttpRequest, number: str) -> HttpResponse:
    """Explain one alert in plain words: the product, the danger, what to do."""
    found = _alert_or_404(number)
    can_edit = (
        found.source == AlertSource.LOCAL
        and found.organisation is not None
        and request.user.has_perm("counterfeit.manage_alerts", found.organisation)
    )
    return render(
        request,
        "counterfeit/alerts/detail.html",
        {
            "alert": found,
            "risks": [
                (RiskType(r).label, RISK_EXPLAINED.get(r, ""))
                for r in found.risk_types
                if r in RiskType.values
            ],
            "level_explained": LEVEL_EXPLAINED.get(found.risk_level, ""),
            "is_local": found.source == AlertSource.LOCAL,
            "can_edit": can_edit,
        },
    )


def alert_photo(request: HttpRequest, number: str) -> FileResponse:
    """Serve an alert's photo (alerts are public; never served as static media)."""
    found = _alert_or_404(number)
    if not found.photo:
        raise Http404
    content_type = mimetypes.guess_type(found.photo.name or "")[0] or "application/octet-stream"
    response = FileResponse(found.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def alert_import(request: HttpRequest) -> HttpResponse:
    """Import a Safety Gate export: the counts, or every problem and nothing saved."""
    if not request.user.has_perm("counterfeit.import_alerts"):
        raise PermissionDenied
    form = AlertImportForm(request.POST or None, request.FILES or None)
    result = None
    error = ""
    problems: list[AlertProblem] = []
    filename = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = Path(upload.name or "file.csv").name
        if (upload.size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
            form.add_error(
                "file",
                _("%(file)s is larger than %(mb)s MB.") % {"file": filename, "mb": MAX_UPLOAD_MB},
            )
        elif not filename.lower().endswith((".csv", ".txt")):
            form.add_error(
                "file", _("%(file)s: accepted are CSV files (.csv, .txt).") % {"file": filename}
            )
        else:
            try:
                result = do_import_alerts(request.user, raw=upload.read(), filename=filename)
            except AlertFileError as exc:
                error = str(exc)
            except AlertImportError as exc:
                error = str(exc)
                problems = exc.problems
    return render(
        request,
        "counterfeit/alerts/import.html",
        {
            "form": form,
            "result": result,
            "filename": filename,
            "error": error,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        },
    )


@login_required
def alert_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish a local alert for a comune (its managers only)."""
    tenant = get_object_or_404(
        Organisation.objects.select_related("comune"), slug=slug, kind__in=TENANT_KINDS
    )
    if not request.user.has_perm("counterfeit.manage_alerts", tenant):
        raise Http404
    form = LocalAlertForm(
        request.POST or None, request.FILES or None, initial={"published_on": actions.today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = do_create_local_alert(
                request.user, tenant, photo=form.cleaned_data.get("photo"), **form.values()
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Alert %(number)s published.") % {"number": created.number})
            return redirect("counterfeit:alert", number=created.number)
    return render(request, "counterfeit/alerts/form.html", {"form": form, "tenant": tenant})


@login_required
def alert_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Change a local alert (its office's managers only)."""
    found = _alert_or_404(number)
    if (
        found.source != AlertSource.LOCAL
        or found.organisation is None
        or not request.user.has_perm("counterfeit.manage_alerts", found.organisation)
    ):
        raise Http404
    form = LocalAlertForm(request.POST or None, request.FILES or None, instance=found, editing=True)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            do_update_local_alert(
                request.user,
                found,
                photo=form.cleaned_data.get("photo"),
                remove_photo=bool(form.cleaned_data.get("remove_photo")),
                **values,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("counterfeit:alert", number=found.number)
    return render(
        request,
        "counterfeit/alerts/form.html",
        {"form": form, "tenant": found.organisation, "alert": found},
    )
