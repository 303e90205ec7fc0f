"""Services directory (public) and referrals of young people at risk (pseudonymous cases).

A referral page answers 404 to anyone who may not see it, so its id reveals
nothing; every opening of a referral is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import MANAGING_ROLES, REFERRING_ROLES, tenant_ids_with_role
from prossima.inclusion import referral_queries as queries
from prossima.inclusion.models import Referral, Service, TargetGroup
from prossima.inclusion.referral_forms import (
    ReferralForm,
    ReferralStepForm,
    ServiceFilterForm,
    ServiceForm,
)
from prossima.inclusion.referrals import (
    do_create_service,
    do_record_referral_step,
    do_record_referral_view,
    do_refer_case,
    do_update_service,
)


def _tenant_for(request: HttpRequest, slug: str, perm: str) -> Organisation:
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm(perm, tenant):
        raise Http404
    return tenant


def _referral_for(request: HttpRequest, pk: int) -> Referral:
    found = (
        Referral.objects.select_related("tenant", "service", "service__provider", "referrer")
        .filter(pk=pk)
        .first()
    )
    if found is None or not request.user.has_perm("inclusion.view_referral", found):
        raise Http404
    return found


def _add_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _tenants(user: object, roles: frozenset[str]) -> list[Organisation]:
    return list(Organisation.objects.filter(pk__in=tenant_ids_with_role(user, roles)))


def services(request: HttpRequest) -> HttpResponse:
    """List the public directory of services, filtered by comune, target group and kind."""
    form = ServiceFilterForm(request.GET or None)
    found = queries.services_of(None)
    if form.is_valid():
        data = form.cleaned_data
        found = queries.services_of(data["tenant"], data["target_group"], data["kind"])
    return render(
        request,
        "inclusion/referrals/services.html",
        {
            "form": form,
            "services": found,
            "managed": _tenants(request.user, MANAGING_ROLES),
            "referring": _tenants(request.user, REFERRING_ROLES),
        },
    )


@login_required
def service_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a service to the directory of a comune."""
    tenant = _tenant_for(request, slug, "inclusion.manage_services")
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = do_create_service(request.user, tenant, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("inclusion:service", pk=created.pk)
    return render(
        request, "inclusion/referrals/service_form.html", {"form": form, "tenant": tenant}
    )


def service(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a service; its comune's managers edit it here."""
    found = get_object_or_404(Service.objects.select_related("tenant", "provider"), pk=pk)
    can_manage = request.user.has_perm("inclusion.manage_services", found.tenant)
    if not found.active and not can_manage:
        raise Http404
    form = None
    if can_manage:
        initial = {name: getattr(found, name) for name in ServiceForm.base_fields}
        form = ServiceForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                do_update_service(request.user, found, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The service is saved."))
                return redirect("inclusion:service", pk=found.pk)
    return render(
        request,
        "inclusion/referrals/service.html",
        {
            "service": found,
            "target_groups": [TargetGroup(g).label for g in found.target_groups],
            "form": form,
            "can_refer": found.accepts_referrals
            and found.active
            and request.user.has_perm("inclusion.refer_case", found.tenant),
        },
    )


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    """List the referrals the user may see; the listing itself is audited."""
    found = list(queries.referrals_for(request.user))
    do_record_audit(
        request.user, AuditEvent.Action.VIEW, "inclusion.referral", "", "list",
        detail={"count": len(found)}, request=request,
    )  # fmt: skip
    return render(
        request,
        "inclusion/referrals/referrals.html",
        {"referrals": found, "referring": _tenants(request.user, REFERRING_ROLES)},
    )


@login_required
def referral_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Refer a pseudonymous case to a service of the comune."""
    tenant = _tenant_for(request, slug, "inclusion.refer_case")
    form = ReferralForm(
        request.POST or None, tenant=tenant, initial={"service": request.GET.get("service")}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            created = do_refer_case(request.user, data.pop("service"), **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("inclusion:referral", pk=created.pk)
    return render(
        request, "inclusion/referrals/referral_form.html", {"form": form, "tenant": tenant}
    )


def referral(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a referral with its steps (audited); 404 to anyone who may not see it."""
    found = _referral_for(request, pk)
    do_record_referral_view(request.user, found, request=request)
    can_update = request.user.has_perm("inclusion.update_referral", found)
    form = ReferralStepForm(current=found.status) if can_update else None
    return render(
        request,
        "inclusion/referrals/referral.html",
        {
            "referral": found,
            "events": found.events.select_related("author"),
            "form": form if form is not None and form.fields["status"].choices else None,  # type: ignore[attr-defined]
        },
    )


@require_POST
def referral_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the next step of a referral."""
    found = _referral_for(request, pk)
    if not request.user.has_perm("inclusion.update_referral", found):
        raise Http404
    form = ReferralStepForm(request.POST, current=found.status)
    if form.is_valid():
        try:
            do_record_referral_step(request.user, found, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The step is recorded."))
    else:
        messages.error(request, _("Choose one of the next statuses offered."))
    return redirect("inclusion:referral", pk=found.pk)


def outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    """Show completion rates per service of a comune, without small cells."""
    tenant = _tenant_for(request, slug, "inclusion.view_referral_outcomes")
    return render(
        request,
        "inclusion/referrals/outcomes.html",
        {
            "tenant": tenant,
            "rows": queries.outcomes(tenant),
            "min_count": queries.public_min_count(),
        },
    )
