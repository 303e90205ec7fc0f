"""Privacy pages: my data (export and erasure), the retention table, the audit export."""

from __future__ import annotations

import json

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from prossima.accounts.models import User
from prossima.privacy import actions, queries
from prossima.privacy.forms import AuditExportForm, ErasureForm


def _person(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _index(request: HttpRequest, form: ErasureForm, status: int = 200) -> HttpResponse:
    user = _person(request)
    return render(
        request,
        "privacy/index.html",
        {
            "form": form,
            "refusal": actions.erasure_refusal(user),
            "can_export_audit": bool(queries.exportable_organisations(user)),
            "retention_url": reverse("privacy:retention"),
        },
        status=status,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Show what the platform holds, the download of one's data and the erasure request."""
    return _index(request, ErasureForm())


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Download everything the platform holds about the signed-in person, as JSON."""
    user = _person(request)
    body = queries.personal_data_json(user)
    actions.do_record_personal_export(user, request=request)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="prossima-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def erase(request: HttpRequest) -> HttpResponse:
    """Erase the signed-in citizen's account after the password and a confirmation."""
    user = _person(request)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        return _index(request, form, status=400)
    try:
        actions.do_erase_account(user, form.cleaned_data["password"], request=request)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            form.add_error(None, exc)
        return _index(request, form, status=400)
    logout(request)
    return render(request, "privacy/erased.html")


def retention_page(request: HttpRequest) -> HttpResponse:
    """Show, to everyone, how long each kind of personal data is kept and why."""
    return render(request, "privacy/retention.html", {"rows": queries.retention_table()})


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """Export an organisation's audit log for a date range, as CSV or JSON (audited)."""
    user = _person(request)
    organisations = queries.exportable_organisations(user)
    if not organisations:
        raise PermissionDenied
    form = AuditExportForm(
        request.GET or None, organisations=organisations, all_allowed=user.is_superuser
    )
    if not request.GET or not form.is_valid():
        status = 400 if request.GET else 200
        return render(request, "privacy/audit.html", {"form": form}, status=status)
    organisation = form.cleaned_data["organisation"]
    if organisation is not None and not user.has_perm("accounts.export_auditevent", organisation):
        raise PermissionDenied
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    fmt = form.cleaned_data["format"]
    rows = queries.audit_rows(queries.audit_events_between(organisation, start, end))
    actions.do_record_audit_export(user, organisation, start, end, fmt, len(rows), request=request)
    name = f"audit-{organisation.slug if organisation else 'all'}-{start}-{end}.{fmt}"
    if fmt == "json":
        body = json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(queries.audit_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
