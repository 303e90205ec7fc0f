"""Pages of the research extracts: requests, decisions, and the extracts themselves."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import memberships_of
from prossima.reports.actions import research as actions
from prossima.reports.forms.research import DecisionForm, RequestForm
from prossima.reports.indicators import BY_CODE
from prossima.reports.models import RequestStatus, ResearchRequest
from prossima.reports.queries import research as queries
from prossima.web.forms import add_validation_errors

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _requesting_organisations(user: Any) -> list[Organisation]:
    """Return the organisations on whose behalf the user may ask for extracts."""
    seen: dict[int, Organisation] = {}
    for membership in memberships_of(user):
        organisation = membership.organisation
        if user.has_perm("reports.request_extract", organisation):
            seen.setdefault(organisation.pk, organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def _request_or_404(request: HttpRequest, pk: int) -> ResearchRequest:
    found = get_object_or_404(
        ResearchRequest.objects.select_related("requester", "organisation", "region", "decided_by"),
        pk=pk,
    )
    # Requests of other organisations are not shown to exist.
    if not request.user.has_perm("reports.view_request", found):
        raise Http404
    return found


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the user's requests and, for deciders, the requests waiting for a decision."""
    user = request.user
    return render(
        request,
        "reports/research/index.html",
        {
            "requests": queries.visible_requests(user),
            "queue": queries.decision_queue(user),
            "can_decide": user.has_perm("reports.decide_extract"),
            "can_request": bool(_requesting_organisations(user)),
        },
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Ask for an aggregated extract."""
    organisations = _requesting_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    form = RequestForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = actions.do_request_extract(
                request.user,
                data["organisation"],
                title=data["title"],
                purpose=data["purpose"],
                indicators=data["indicators"],
                years=data["years"],
                level=data["level"],
                region=data["region"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The request is submitted for a decision."))
            return redirect("reports:research_request", pk=created.pk)
    return render(
        request,
        "reports/research/form.html",
        {"form": form, "rules": queries.rules_text(queries.min_count())},
    )


def _history(found: ResearchRequest) -> list[dict[str, Any]]:
    """Return the logged steps and downloads of a request, oldest first."""
    events = AuditEvent.objects.filter(
        object_type=actions.OBJECT_TYPE, object_id=str(found.pk)
    ).order_by("at", "id")
    statuses = dict(RequestStatus.choices)
    return [
        {
            "at": e.at,
            "who": e.actor_label,
            "what": e.get_action_display(),
            "decision": statuses.get(e.detail.get("decision", ""), ""),
            "format": e.detail.get("format", "").upper(),
        }
        for e in events
    ]


def _detail(
    request: HttpRequest, found: ResearchRequest, form: DecisionForm | None = None
) -> HttpResponse:
    user = request.user
    submitted = found.status == RequestStatus.SUBMITTED
    can_decide = (
        submitted
        and user.pk != found.requester_id
        and user.has_perm("reports.decide_extract", found)
    )
    preview = None
    if can_decide:
        # What approving would release, so the decision is taken on the cells.
        extract = queries.build_extract(found)
        preview = {"rows": len(extract.cells), "withheld": extract.withheld}
    return render(
        request,
        "reports/research/detail.html",
        {
            "req": found,
            "indicators": [(code, BY_CODE[code]) for code in found.indicators if code in BY_CODE],
            "restricted": queries.restricted_codes(found.indicators),
            "can_decide": can_decide,
            "can_withdraw": submitted and user.pk == found.requester_id,
            "downloadable": queries.is_downloadable(found),
            "form": form or (DecisionForm() if can_decide else None),
            "preview": preview,
            "history": _history(found),
            "rules": queries.rules_text(queries.min_count()),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a request, its decision, its downloads and, to deciders, the decision form."""
    return _detail(request, _request_or_404(request, pk))


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a request."""
    found = _request_or_404(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_decide_extract(
                request.user,
                found,
                data["decision"],
                expires_on=data["expires_on"],
                note=data["decision_note"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            approved = data["decision"] == RequestStatus.APPROVED
            messages.success(
                request,
                _("The request is approved.") if approved else _("The request is rejected."),
            )
            return redirect("reports:research_request", pk=found.pk)
    return _detail(request, found, form)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a request waiting for a decision."""
    found = _request_or_404(request, pk)
    try:
        actions.do_withdraw_request(request.user, found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The request is withdrawn."))
    return redirect("reports:research_request", pk=found.pk)


@login_required
def extract(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download the extract of an approved request as CSV or JSON (each download is logged)."""
    if fmt not in FORMATS:
        raise Http404
    found = _request_or_404(request, pk)
    if not queries.is_downloadable(found):
        raise PermissionDenied(_("This extract is not available for download."))
    built = queries.build_extract(found)
    actions.do_record_download(request.user, found, fmt, built)
    if fmt == "csv":
        body = queries.extract_csv(built)
    else:
        body = json.dumps(
            queries.extract_json(built), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1
        )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="prossima-research-{found.pk}.{fmt}"'
    return response
