"""Named reads of incident data and citizen reports, limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.accounts.permissions import (
    MANAGING_ROLES,
    REPORT_HANDLING_ROLES,
    REPORT_MODERATING_ROLES,
    TENANT_KINDS,
    memberships_of,
    restricted_tenant_ids,
)
from prossima.incidents.models import (
    REPORT_STATE_TYPES,
    CitizenReport,
    Dataset,
    Import,
    ModerationState,
    ReportCategory,
    ReportRouting,
    ReportUpdate,
)
from prossima.territory.models import Comune
from prossima.territory.queries import comune_at


def tenants_for(user: Any) -> QuerySet[Organisation]:
    """Return the tenants whose incident data the user may see."""
    if getattr(user, "is_superuser", False):
        return Organisation.objects.filter(kind__in=["comune", "partner_city"]).order_by("name")
    return Organisation.objects.filter(pk__in=restricted_tenant_ids(user)).order_by("name")


def datasets_of(tenant: Organisation) -> QuerySet[Dataset]:
    """Return a tenant's datasets with their incident counts."""
    return Dataset.objects.filter(tenant=tenant).annotate(n_incidents=Count("incidents"))


def dataset_version(dataset: Dataset) -> int:
    """Return how many imports have added incidents to the dataset (its version)."""
    return Import.objects.filter(dataset=dataset, created__gt=0).count()


def imports_of(dataset: Dataset) -> QuerySet[Import]:
    """Return a dataset's imports, newest first."""
    return Import.objects.filter(dataset=dataset).select_related("created_by")


# --- Citizen reports -------------------------------------------------------------


def tenant_at(lon: float, lat: float) -> tuple[Comune | None, Organisation | None]:
    """Return the comune containing the point and its tenant organisation on the platform.

    The tenant is the organisation of kind comune for that comune (the oldest,
    should there be several); either may be None.
    """
    comune = comune_at(lon, lat)
    if comune is None:
        return None, None
    tenant = (
        Organisation.objects.filter(kind=OrganisationKind.COMUNE, comune=comune)
        .order_by("pk")
        .first()
    )
    return comune, tenant


def route_for(tenant: Organisation, category: ReportCategory) -> Organisation:
    """Return the organisation that handles this category in the tenant (the tenant itself
    unless its managers routed the category elsewhere)."""
    routing = (
        ReportRouting.objects.filter(tenant=tenant, category=category)
        .select_related("organisation")
        .first()
    )
    return routing.organisation if routing is not None else tenant


def routing_targets(tenant: Organisation) -> QuerySet[Organisation]:
    """Return the organisations a tenant may route reports to: itself and those belonging to it."""
    return Organisation.objects.filter(Q(pk=tenant.pk) | Q(parent=tenant)).order_by("pk")


def routing_table(tenant: Organisation) -> list[tuple[ReportCategory, Organisation]]:
    """Return every active category with the organisation that handles it in the tenant."""
    routed = {
        r.category_id: r.organisation
        for r in ReportRouting.objects.filter(tenant=tenant).select_related("organisation")
    }
    return [(c, routed.get(c.pk, tenant)) for c in report_categories()]


def report_categories() -> QuerySet[ReportCategory]:
    """Return the categories offered to citizens, in their display order."""
    return ReportCategory.objects.filter(active=True)


def _reports() -> QuerySet[CitizenReport]:
    return CitizenReport.objects.select_related("category", "comune", "tenant", "routed_to")


def published_reports(comune: Comune | None = None) -> QuerySet[CitizenReport]:
    """Return the reports the public may see, newest first (optionally of one comune)."""
    found = _reports().filter(moderation_state=ModerationState.PUBLISHED)
    return found.filter(comune=comune) if comune is not None else found


def comuni_with_reports() -> list[tuple[Comune, int]]:
    """Return the comuni whose tenant receives reports, with their published-report counts."""
    counts = dict(
        CitizenReport.objects.filter(moderation_state=ModerationState.PUBLISHED)
        .values_list("comune_id")
        .annotate(n=Count("id"))
        .values_list("comune_id", "n")
    )
    comuni = (
        Comune.objects.filter(organisations__kind=OrganisationKind.COMUNE)
        .defer("boundary", "boundary_simplified")
        .distinct()
        .order_by("name")
    )
    return [(c, counts.get(c.pk, 0)) for c in comuni]


def report_by_follow_token(raw: str) -> CitizenReport | None:
    """Return the report whose follow-up token this is, or None."""
    if not raw or len(raw) > 100:
        return None
    return _reports().filter(follow_digest=CitizenReport.follow_digest_of(raw)).first()


def reports_of_reporter(user: Any) -> QuerySet[CitizenReport]:
    """Return the reports a logged-in person submitted, newest first."""
    if not getattr(user, "is_authenticated", False):
        return _reports().none()
    return _reports().filter(reporter=user)


def report_timeline(report: CitizenReport) -> QuerySet[ReportUpdate]:
    """Return the updates of a report, oldest first, with the organisation that wrote them."""
    return report.updates.select_related("organisation")


def moderated_tenant_ids(user: Any) -> set[int]:
    """Return the tenants whose reports the user moderates."""
    return {
        m.organisation_id
        for m in memberships_of(user)
        if m.role in REPORT_MODERATING_ROLES and m.organisation.kind in TENANT_KINDS
    }


def moderation_queue(user: Any) -> QuerySet[CitizenReport]:
    """Return the reports waiting for moderation that the user may moderate, oldest first."""
    found = _reports().filter(moderation_state=ModerationState.PENDING).order_by("created_at")
    if getattr(user, "is_superuser", False):
        return found
    return found.filter(tenant_id__in=moderated_tenant_ids(user))


def reports_to_handle(user: Any, state_type: str = "open") -> QuerySet[CitizenReport]:
    """Return the reports whose status the user may change, filtered by state type.

    ``state_type`` is open, closed, fixed or empty for all.
    """
    found = with_state_type(_reports(), state_type)
    if getattr(user, "is_superuser", False):
        return found
    memberships = memberships_of(user)
    handling = {m.organisation_id for m in memberships if m.role in REPORT_HANDLING_ROLES}
    managing = {m.organisation_id for m in memberships if m.role in MANAGING_ROLES}
    return found.filter(Q(routed_to_id__in=handling) | Q(tenant_id__in=managing))


def with_state_type(found: QuerySet[CitizenReport], state_type: str) -> QuerySet[CitizenReport]:
    """Return the reports of ``found`` whose status is of this type (all when empty)."""
    if not state_type:
        return found
    return found.filter(status__in=[s for s, t in REPORT_STATE_TYPES.items() if t == state_type])


def report_for_staff(pk: int) -> CitizenReport | None:
    """Return a report with what its full page shows, or None (permissions are the caller's)."""
    return _reports().select_related("reporter").filter(pk=pk).first()


def reports_for_staff(user: Any) -> QuerySet[CitizenReport]:
    """Return every report the user may see in full as staff, newest first."""
    found = _reports().select_related("reporter")
    if getattr(user, "is_superuser", False):
        return found
    memberships = memberships_of(user)
    handling = {m.organisation_id for m in memberships if m.role in REPORT_HANDLING_ROLES}
    tenants = restricted_tenant_ids(user) | moderated_tenant_ids(user)
    return found.filter(Q(tenant_id__in=tenants) | Q(routed_to_id__in=handling))


def works_on_reports(user: Any) -> bool:
    """Return whether the user moderates or handles citizen reports anywhere."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        m.role in REPORT_HANDLING_ROLES | REPORT_MODERATING_ROLES for m in memberships_of(user)
    )


def routable_tenants(user: Any) -> list[Organisation]:
    """Return the tenants whose report routing the user manages."""
    return [
        m.organisation
        for m in memberships_of(user)
        if m.role in MANAGING_ROLES and m.organisation.kind in TENANT_KINDS
    ]
