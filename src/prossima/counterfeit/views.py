"""The counterfeiting module's front page; alerts and seizures have their own view modules."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import restricted_tenant_ids


def index(request: HttpRequest) -> HttpResponse:
    """Show what the module offers: the public alerts, and the seizures of the user's tenants."""
    if getattr(request.user, "is_superuser", False):
        tenants = Organisation.objects.filter(kind__in=["comune", "partner_city"])
    else:
        tenants = Organisation.objects.filter(pk__in=restricted_tenant_ids(request.user))
    return render(request, "counterfeit/index.html", {"tenants": tenants.order_by("name")})
