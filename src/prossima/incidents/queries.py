"""Named reads of incident data, always limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import restricted_tenant_ids
from prossima.incidents.models import Dataset, Import


def tenants_for(user: Any) -> QuerySet[Organisation]:
    """Return the tenants whose incident data the user may see."""
    if getattr(user, "is_superuser", False):
        return Organisation.objects.filter(kind__in=["comune", "partner_city"]).order_by("name")
    return Organisation.objects.filter(pk__in=restricted_tenant_ids(user)).order_by("name")


def datasets_of(tenant: Organisation) -> QuerySet[Dataset]:
    """Return a tenant's datasets with their incident counts."""
    return Dataset.objects.filter(tenant=tenant).annotate(n_incidents=Count("incidents"))


def imports_of(dataset: Dataset) -> QuerySet[Import]:
    """Return a dataset's imports, newest first."""
    return Import.objects.filter(dataset=dataset).select_related("created_by")
