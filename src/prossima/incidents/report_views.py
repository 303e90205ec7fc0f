"""Citizen reports: report a concern, public list and map, follow-up, moderation, handling.

Kept apart from the incident-dataset pages in views.py: these pages are mostly
public, those are restricted.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation, OrganisationKind
from prossima.incidents import queries
from prossima.incidents.actions import (
    REPORT_OBJECT,
    ReportError,
    ReportRateLimitError,
    do_change_report_status,
    do_comment_on_report,
    do_moderate_report,
    do_route_report,
    do_set_report_routing,
    do_submit_report,
    send_follow_link,
)
from prossima.incidents.forms import (
    PHOTO_ACCEPT,
    ModerationForm,
    ReportForm,
    RouteForm,
    RoutingForm,
    StatusForm,
)
from prossima.incidents.models import CitizenReport, ReportStateType
from prossima.incidents.photos import PhotoError, max_photo_bytes
from prossima.incidents.ratelimit import client_ip
from prossima.territory.queries import comune_by_code

# Form fields an action's error may name; "location" is shown at the coordinates.
_ERROR_FIELDS = {"category": "category", "title": "title", "description": "description"}


def _report_or_404(pk: int) -> CitizenReport:
    return get_object_or_404(
        CitizenReport.objects.select_related("category", "comune", "tenant", "routed_to"), pk=pk
    )


def reports(request: HttpRequest) -> HttpResponse:
    """Explain citizen reports and list the comuni that receive them."""
    return render(
        request,
        "incidents/reports/index.html",
        {
            "comuni": queries.comuni_with_reports(),
            "can_manage": queries.works_on_reports(request.user),
        },
    )


def report_new(request: HttpRequest) -> HttpResponse:
    """Report a concern: category, text, place on the map (or coordinates), optional photo."""
    comune = comune_by_code(request.GET.get("comune", "")) if request.GET.get("comune") else None
    anonymous = not request.user.is_authenticated
    context = {"comune": comune, "photo_accept": PHOTO_ACCEPT, "max_mb": max_photo_bytes() >> 20}
    # Refuse an oversized body before Django reads it from the network.
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > (
        max_photo_bytes() + 256 * 1024
    ):
        form = ReportForm(anonymous=anonymous)
        context["body_error"] = _(
            "The photo is larger than %(mb)s MB; choose a smaller one and send the report again."
        ) % {"mb": max_photo_bytes() >> 20}
        return render(request, "incidents/reports/form.html", {**context, "form": form}, status=413)
    # Other pages may open the form on a category (e.g. a suspicious seller from an alert).
    preselected = queries.report_categories().filter(code=request.GET.get("category", "")).first()
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        anonymous=anonymous,
        initial={"category": preselected} if preselected else None,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("photo")
            try:
                report, token = do_submit_report(
                    request.user,
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    lon=data["lon"],
                    lat=data["lat"],
                    photo=upload,
                    photo_name=getattr(upload, "name", "photo"),
                    photo_size=getattr(upload, "size", None),
                    reporter_email=data.get("reporter_email") or "",
                    client_ip=client_ip(request),
                )
            except ReportRateLimitError as exc:
                form.add_error(None, str(exc))
                status = 429
            except PhotoError as exc:
                form.add_error("photo", str(exc))
            except ReportError as exc:
                form.add_error(
                    "lat" if exc.field == "location" else _ERROR_FIELDS.get(exc.field or ""),
                    str(exc),
                )
            else:
                follow = reverse("incidents:report_follow", args=[token])
                send_follow_link(report, request.build_absolute_uri(follow))
                messages.success(
                    request,
                    _(
                        "Thank you: your report was sent to %(org)s. It will be public once a "
                        "moderator has checked it. Keep the address of this page to follow it."
                    )
                    % {"org": report.routed_to.name},
                )
                return redirect(follow)
    return render(request, "incidents/reports/form.html", {**context, "form": form}, status=status)


def report_comune(request: HttpRequest, istat_code: str) -> HttpResponse:
    """List and map the published reports of a comune (blurred, no reporter, dates only)."""
    comune = comune_by_code(istat_code)
    if comune is None:
        raise Http404
    tenant = (
        Organisation.objects.filter(kind=OrganisationKind.COMUNE, comune=comune)
        .order_by("pk")
        .first()
    )
    page = Paginator(queries.published_reports(comune), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/reports/comune.html",
        {"comune": comune, "tenant": tenant, "page": page},
    )


def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a report: its public form to everyone, everything to its reporter and staff."""
    found = _report_or_404(pk)
    user = request.user
    full = user.has_perm("incidents.view_report", found)
    if not full and not found.is_public:
        raise Http404
    is_reporter = bool(user.is_authenticated and found.reporter_id == user.pk)
    can_moderate = user.has_perm("incidents.moderate_report", found)
    can_handle = user.has_perm("incidents.change_report_status", found)
    if full and not is_reporter:
        do_record_audit(
            user,
            AuditEvent.Action.VIEW,
            REPORT_OBJECT,
            found.pk,
            found.title,
            organisation=found.tenant,
            request=request,
        )
    context = {
        "report": found,
        "full": full,
        "is_reporter": is_reporter,
        "can_moderate": can_moderate,
        "can_handle": can_handle,
        "timeline": queries.report_timeline(found),
    }
    if can_moderate:
        context["moderation_form"] = ModerationForm(
            initial={
                "decision": "hide" if found.moderation_state == "hidden" else "publish",
                "title": found.title,
                "description": found.description,
                "note": found.moderation_note,
                "hide_photo": found.photo_hidden,
            }
        )
        context["route_form"] = RouteForm(report=found)
    if can_handle:
        context["status_form"] = StatusForm(report=found)
    response = render(request, "incidents/reports/detail.html", context)
    if full:
        response["Cache-Control"] = "private, no-store"
    return response


def _photo_response(report: CitizenReport, public: bool) -> FileResponse:
    content_type = mimetypes.guess_type(report.photo.name or "")[0] or "application/octet-stream"
    response = FileResponse(report.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response


def report_photo(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a report's photo to whoever may see it (never as static media)."""
    found = _report_or_404(pk)
    if not found.photo:
        raise Http404
    public = found.is_public and not found.photo_hidden
    if not public and not request.user.has_perm("incidents.view_report", found):
        raise Http404
    return _photo_response(found, public)


@never_cache
def report_follow(request: HttpRequest, token: str) -> HttpResponse:
    """Show an anonymous reporter the status of their report, from the secret link."""
    found = queries.report_by_follow_token(token)
    if found is None:
        raise Http404
    return render(
        request,
        "incidents/reports/follow.html",
        {"report": found, "token": token, "timeline": queries.report_timeline(found)},
    )


def report_follow_photo(request: HttpRequest, token: str) -> FileResponse:
    """Serve the photo of a report to whoever holds its follow-up link."""
    found = queries.report_by_follow_token(token)
    if found is None or not found.photo:
        raise Http404
    return _photo_response(found, public=False)


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """List the reports the person submitted while logged in."""
    page = Paginator(queries.reports_of_reporter(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "incidents/reports/mine.html", {"page": page})


@login_required
def reports_manage(request: HttpRequest) -> HttpResponse:
    """Show moderators their queue and handlers the reports routed to them."""
    if not queries.works_on_reports(request.user):
        raise PermissionDenied
    state = request.GET.get("state", ReportStateType.OPEN)
    if state not in ReportStateType.values:
        state = ""
    queue = queries.moderation_queue(request.user)
    to_handle = Paginator(queries.reports_to_handle(request.user, state), 50).get_page(
        request.GET.get("page")
    )
    moderates = bool(request.user.is_superuser or queries.moderated_tenant_ids(request.user))
    return render(
        request,
        "incidents/reports/manage.html",
        {
            "queue": queue[:100] if moderates else None,
            "to_handle": to_handle,
            "state": state,
            "states": ReportStateType.choices,
            "routable": queries.routable_tenants(request.user),
        },
    )


def _redirect_back(found: CitizenReport) -> HttpResponse:
    return redirect("incidents:report", pk=found.pk)


@login_required
@require_POST
def report_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish or hide a report, with edits of its public text."""
    found = _report_or_404(pk)
    if not request.user.has_perm("incidents.moderate_report", found):
        raise Http404
    form = ModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return _redirect_back(found)
    data = form.cleaned_data
    try:
        do_moderate_report(
            request.user,
            found,
            publish=data["decision"] == "publish",
            title=data["title"],
            description=data["description"],
            note=data["note"],
            hide_photo=data["hide_photo"],
        )
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The report is published.") if found.is_public else _("The report is hidden."),
        )
    return _redirect_back(found)


@login_required
@require_POST
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a report's status or add a public comment."""
    found = _report_or_404(pk)
    if not request.user.has_perm("incidents.change_report_status", found):
        raise Http404
    form = StatusForm(request.POST, report=found)
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return _redirect_back(found)
    data = form.cleaned_data
    try:
        if data["status"]:
            original = None
            if data.get("duplicate_of"):
                original = CitizenReport.objects.filter(pk=data["duplicate_of"]).first()
                if original is None:
                    raise ReportError(
                        _("There is no report number %(n)s.") % {"n": data["duplicate_of"]}
                    )
            do_change_report_status(
                request.user, found, data["status"], comment=data["comment"], duplicate_of=original
            )
        else:
            do_comment_on_report(request.user, found, data["comment"])
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The report is updated."))
    return _redirect_back(found)


@login_required
@require_POST
def report_route(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a report to another organisation of its tenant."""
    found = _report_or_404(pk)
    if not request.user.has_perm("incidents.moderate_report", found):
        raise Http404
    form = RouteForm(request.POST, report=found)
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return _redirect_back(found)
    try:
        do_route_report(request.user, found, form.cleaned_data["organisation"])
    except ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The report now goes to %(org)s.") % {"org": found.routed_to.name}
        )
    return _redirect_back(found)


@login_required
def report_routing(request: HttpRequest, slug: str) -> HttpResponse:
    """Let a tenant's managers say which organisation handles each category."""
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm("incidents.change_reportrouting", tenant):
        raise PermissionDenied
    form = RoutingForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            for category, current in form.rows:
                chosen = form.cleaned_data[category.code]
                if chosen.pk != current.pk:
                    do_set_report_routing(request.user, tenant, category, chosen)
        except ReportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The routing is saved."))
            return redirect("incidents:report_routing", slug=tenant.slug)
    return render(request, "incidents/reports/routing.html", {"tenant": tenant, "form": form})


def _error_text(form: ModerationForm | StatusForm | RouteForm) -> str:
    """Return a form's errors as one sentence per field, with the field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)
