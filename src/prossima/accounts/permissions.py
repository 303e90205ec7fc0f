"""Every permission rule of the platform, in one place.

Restricted data (incidents, referrals, officer logs, ...) belongs to a *tenant*:
an organisation of kind comune or partner city. Members of the tenant, or of a
police command that belongs to it, see that data when their role allows it.
The association of comuni and the research institute see aggregates only.

Rules are ``rules`` predicates registered as Django permissions, so views use
``user.has_perm("prossima.view_restricted", tenant)`` and templates
``{% has_perm %}``; the permission-matrix tests read :data:`DATA_KINDS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import Q

from prossima.accounts.models import Membership, Organisation, OrganisationKind, Role

TENANT_KINDS = frozenset({OrganisationKind.COMUNE, OrganisationKind.PARTNER_CITY})
# Roles that work with a tenant's restricted operational data.
RESTRICTED_ROLES = frozenset({Role.OFFICER, Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR})
MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
# Roles that import and curate a tenant's incident datasets (officers only read them).
INCIDENT_DATA_ROLES = frozenset({Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR})
# Organisations that see every tenant's aggregates (never rows).
AGGREGATE_KINDS = frozenset({OrganisationKind.ASSOCIATION, OrganisationKind.RESEARCH_INSTITUTE})
AGGREGATE_ROLES = frozenset({Role.ANALYST, Role.MANAGER, Role.RESEARCHER, Role.ADMINISTRATOR})

_CACHE_ATTR = "_prossima_memberships"


def memberships_of(user: Any) -> list[Membership]:
    """Return the user's memberships, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user).select_related(
                "organisation", "organisation__parent"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: Any) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def tenant_of(organisation: Organisation) -> Organisation | None:
    """Return the tenant whose restricted data members of ``organisation`` may work on."""
    if organisation.kind in TENANT_KINDS:
        return organisation
    if organisation.kind == OrganisationKind.POLICE_COMMAND and organisation.parent_id:
        parent = organisation.parent
        if parent is not None and parent.kind in TENANT_KINDS:
            return parent
    return None


def tenant_ids_with_role(user: Any, roles: Iterable[str]) -> set[int]:
    """Return the ids of the tenants where the user holds one of ``roles``."""
    wanted = set(roles)
    result: set[int] = set()
    for membership in memberships_of(user):
        if membership.role not in wanted:
            continue
        tenant = tenant_of(membership.organisation)
        if tenant is not None:
            result.add(tenant.pk)
    return result


def restricted_tenant_ids(user: Any) -> set[int]:
    """Return the tenants whose restricted data the user may see (for queryset filters)."""
    return tenant_ids_with_role(user, RESTRICTED_ROLES)


def _has_role_in(user: Any, organisation: Organisation, roles: Iterable[str]) -> bool:
    wanted = set(roles)
    return any(
        m.organisation_id == organisation.pk and m.role in wanted for m in memberships_of(user)
    )


@rules.predicate
def is_platform_admin(user: Any) -> bool:
    """Return whether the user administers the whole platform."""
    return bool(getattr(user, "is_superuser", False))


@rules.predicate
def is_member(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user belongs to ``organisation`` in any role."""
    if organisation is None:
        return False
    return any(m.organisation_id == organisation.pk for m in memberships_of(user))


@rules.predicate
def can_work_on_restricted(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user may see the tenant's restricted rows."""
    if tenant is None:
        return False
    return tenant.pk in restricted_tenant_ids(user)


@rules.predicate
def sees_all_aggregates(user: Any) -> bool:
    """Return whether the user works for the association or the research institute."""
    return any(
        m.organisation.kind in AGGREGATE_KINDS and m.role in AGGREGATE_ROLES
        for m in memberships_of(user)
    )


@rules.predicate
def can_view_aggregates(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user sees a tenant's non-public aggregates (no rows)."""
    return bool(sees_all_aggregates(user) or can_work_on_restricted(user, tenant))


@rules.predicate
def manages_incident_data(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user imports and curates the tenant's incident data."""
    if tenant is None:
        return False
    return tenant.pk in tenant_ids_with_role(user, INCIDENT_DATA_ROLES)


@rules.predicate
def manages_tenant(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user is a manager or administrator of the tenant (or its police)."""
    if tenant is None:
        return False
    return tenant.pk in tenant_ids_with_role(user, MANAGING_ROLES)


@rules.predicate
def logged_the_visit(user: Any, visit: Any) -> bool:
    """Return whether the user is the officer who logged this visit."""
    return visit is not None and visit.officer_id == getattr(user, "pk", None)


@rules.predicate
def manages_visit_tenant(user: Any, visit: Any) -> bool:
    """Return whether the user manages the tenant whose beat the visit was in."""
    return visit is not None and bool(manages_tenant(user, visit.box.plan.beat.plan.tenant))


SOCIAL_ROLES = frozenset({Role.SOCIAL_WORKER})
REFERRING_ROLES = frozenset({Role.SOCIAL_WORKER, Role.OFFICER})


@rules.predicate
def refers_cases(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user may refer a young person of the tenant to a service."""
    if tenant is None:
        return False
    return tenant.pk in tenant_ids_with_role(user, REFERRING_ROLES)


@rules.predicate
def is_social_worker_of(user: Any, tenant: Organisation | None) -> bool:
    """Return whether the user works in the tenant's social services."""
    if tenant is None:
        return False
    return tenant.pk in tenant_ids_with_role(user, SOCIAL_ROLES)


@rules.predicate
def referred_the_case(user: Any, referral: Any) -> bool:
    """Return whether the user made this referral."""
    return referral is not None and referral.referrer_id == getattr(user, "pk", None)


@rules.predicate
def works_for_receiving_service(user: Any, referral: Any) -> bool:
    """Return whether the user belongs to the organisation running the referral's service."""
    return referral is not None and bool(is_member(user, referral.service.provider))


@rules.predicate
def social_worker_of_referral(user: Any, referral: Any) -> bool:
    """Return whether the user is a social worker of the referral's comune."""
    return referral is not None and bool(is_social_worker_of(user, referral.tenant))


@rules.predicate
def is_authenticated(user: Any) -> bool:
    """Return whether the user is logged in."""
    return bool(getattr(user, "is_authenticated", False))


@rules.predicate
def started_job(user: Any, job: Any) -> bool:
    """Return whether the user started this background job."""
    return (
        job is not None
        and job.created_by_id is not None
        and (job.created_by_id == getattr(user, "pk", None))
    )


@rules.predicate
def works_on_job_tenant(user: Any, job: Any) -> bool:
    """Return whether the job belongs to a tenant whose restricted data the user sees."""
    return job is not None and bool(can_work_on_restricted(user, job.tenant))


@rules.predicate
def manages_job_tenant(user: Any, job: Any) -> bool:
    """Return whether the user curates the incident data of the job's tenant."""
    return job is not None and bool(manages_incident_data(user, job.tenant))


@rules.predicate
def manages_organisation(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user manages ``organisation`` (its profile and members)."""
    if organisation is None:
        return False
    return _has_role_in(user, organisation, MANAGING_ROLES)


@rules.predicate
def administers_organisation(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user is an administrator of ``organisation``."""
    if organisation is None:
        return False
    return _has_role_in(user, organisation, {Role.ADMINISTRATOR})


@rules.predicate
def is_self(user: Any, other: Any) -> bool:
    """Return whether ``other`` is the user themself."""
    return other is not None and getattr(user, "pk", None) == getattr(other, "pk", -1)


@rules.predicate
def manages_comune(user: Any, comune: Any) -> bool:
    """Return whether the user manages a tenant organisation of this comune."""
    if comune is None:
        return False
    return any(
        m.role in MANAGING_ROLES
        and m.organisation.kind == OrganisationKind.COMUNE
        and m.organisation.comune_id == comune.pk
        for m in memberships_of(user)
    )


@rules.predicate
def works_on_comune(user: Any, comune: Any) -> bool:
    """Return whether the user sees the restricted data of a tenant governing this comune."""
    if comune is None:
        return False
    for membership in memberships_of(user):
        if membership.role not in RESTRICTED_ROLES:
            continue
        tenant = tenant_of(membership.organisation)
        if tenant is not None and tenant.comune_id == comune.pk:
            return True
    return False


# Citizen reports: the tenant organisation's own moderators and managers moderate;
# the organisation a report is routed to handles it, and so do the tenant's managers.
REPORT_MODERATING_ROLES = frozenset({Role.MODERATOR, Role.MANAGER, Role.ADMINISTRATOR})
REPORT_HANDLING_ROLES = frozenset({Role.OFFICER, Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR})


@rules.predicate
def is_reporter(user: Any, report: Any) -> bool:
    """Return whether the user submitted this citizen report while logged in."""
    return (
        report is not None
        and report.reporter_id is not None
        and report.reporter_id == getattr(user, "pk", None)
    )


@rules.predicate
def moderates_report(user: Any, report: Any) -> bool:
    """Return whether the user moderates the reports of the report's tenant."""
    if report is None:
        return False
    return any(
        m.organisation_id == report.tenant_id and m.role in REPORT_MODERATING_ROLES
        for m in memberships_of(user)
    )


@rules.predicate
def handles_report(user: Any, report: Any) -> bool:
    """Return whether the user works for the handling organisation or manages the tenant."""
    if report is None:
        return False
    return any(
        (m.organisation_id == report.routed_to_id and m.role in REPORT_HANDLING_ROLES)
        or (m.organisation_id == report.tenant_id and m.role in MANAGING_ROLES)
        for m in memberships_of(user)
    )


@rules.predicate
def works_on_report_tenant(user: Any, report: Any) -> bool:
    """Return whether the user sees the restricted data of the report's tenant."""
    return report is not None and report.tenant_id in restricted_tenant_ids(user)


rules.add_perm("prossima.view_restricted", is_platform_admin | can_work_on_restricted)
rules.add_perm("prossima.view_aggregates", is_platform_admin | can_view_aggregates)
rules.add_perm("accounts.view_organisation", rules.always_allow)
rules.add_perm("accounts.change_organisation", is_platform_admin | manages_organisation)
rules.add_perm("accounts.view_membership", is_platform_admin | manages_organisation | is_member)
rules.add_perm("accounts.change_membership", is_platform_admin | manages_organisation)
rules.add_perm("accounts.view_auditevent", is_platform_admin | administers_organisation)
# Exporting the log (for the data-protection officer) is reading it in bulk: the same people.
rules.add_perm("accounts.export_auditevent", is_platform_admin | administers_organisation)
rules.add_perm("accounts.view_user", is_platform_admin | is_self)
rules.add_perm("accounts.change_user", is_platform_admin | is_self)
rules.add_perm("territory.view_comune", rules.always_allow)
rules.add_perm("territory.view_subarea", rules.always_allow)
rules.add_perm("territory.change_subarea", is_platform_admin | manages_comune)
rules.add_perm("incidents.view_incident", is_platform_admin | can_work_on_restricted)
rules.add_perm("incidents.manage_dataset", is_platform_admin | manages_incident_data)
rules.add_perm("incidents.view_category", rules.always_allow)
# Citizen reports (object: the report; routing: the tenant). The public sees
# published reports through their public form, which needs no permission.
rules.add_perm(
    "incidents.view_report",
    is_platform_admin | is_reporter | moderates_report | handles_report | works_on_report_tenant,
)
rules.add_perm("incidents.moderate_report", is_platform_admin | moderates_report)
rules.add_perm("incidents.change_report_status", is_platform_admin | handles_report)
rules.add_perm("incidents.change_reportrouting", is_platform_admin | manages_organisation)
rules.add_perm("analytics.view_run", is_platform_admin | can_work_on_restricted)
rules.add_perm("analytics.launch_run", is_platform_admin | manages_incident_data)
# Publishing police-derived aggregates is the tenant's decision: managers only.
rules.add_perm("analytics.publish_run", is_platform_admin | manages_tenant)
rules.add_perm("analytics.view_public_layer", rules.always_allow)
rules.add_perm("policing.view_beats", is_platform_admin | can_work_on_restricted)
rules.add_perm("policing.manage_beats", is_platform_admin | manages_tenant)
rules.add_perm("policing.plan_patrols", is_platform_admin | manages_incident_data)
rules.add_perm("policing.log_visit", is_platform_admin | can_work_on_restricted)
rules.add_perm("policing.view_visit", is_platform_admin | logged_the_visit | manages_visit_tenant)
rules.add_perm("interventions.view_project", is_platform_admin | can_work_on_restricted)
rules.add_perm("interventions.manage_project", is_platform_admin | manages_incident_data)
rules.add_perm("interventions.publish_project", is_platform_admin | manages_tenant)
rules.add_perm("inclusion.view_indicators", rules.always_allow)
rules.add_perm("inclusion.manage_indicators", is_platform_admin | manages_incident_data)
rules.add_perm("inclusion.view_audit_map", rules.always_allow)
rules.add_perm("inclusion.view_audits", is_platform_admin | can_work_on_restricted)
rules.add_perm("inclusion.manage_campaigns", is_platform_admin | manages_tenant)
rules.add_perm("inclusion.record_audit", is_authenticated)
rules.add_perm("inclusion.view_service", rules.always_allow)
rules.add_perm("inclusion.manage_services", is_platform_admin | manages_tenant)
rules.add_perm("inclusion.refer_case", is_platform_admin | refers_cases)
rules.add_perm(
    "inclusion.view_referral",
    is_platform_admin | referred_the_case | works_for_receiving_service | social_worker_of_referral,
)
rules.add_perm(
    "inclusion.update_referral",
    is_platform_admin | works_for_receiving_service | social_worker_of_referral,
)
rules.add_perm(
    "inclusion.view_referral_outcomes",
    is_platform_admin | sees_all_aggregates | is_social_worker_of | manages_tenant,
)


@rules.predicate
def manages_association(user: Any) -> bool:
    """Return whether the user is a manager or administrator of the association of comuni."""
    return any(
        m.organisation.kind == OrganisationKind.ASSOCIATION and m.role in MANAGING_ROLES
        for m in memberships_of(user)
    )


# Counterfeiting (object: the tenant). Alerts are public; seizure details are
# police data of the tenant; totals are aggregates.
rules.add_perm("counterfeit.view_alert", rules.always_allow)
rules.add_perm("counterfeit.manage_alerts", is_platform_admin | manages_tenant)
rules.add_perm("counterfeit.import_alerts", is_platform_admin | manages_association)
rules.add_perm("counterfeit.view_seizure", is_platform_admin | can_work_on_restricted)
rules.add_perm("counterfeit.record_seizure", is_platform_admin | can_work_on_restricted)
rules.add_perm("counterfeit.view_seizure_totals", is_platform_admin | can_view_aggregates)
rules.add_perm("counterfeit.view_campaign", rules.always_allow)
rules.add_perm("counterfeit.manage_campaigns", is_platform_admin | manages_tenant)
# Subscribers' addresses: nobody browses them; the subscriber manages their own
# through the secret link in every e-mail.
rules.add_perm("counterfeit.view_subscription", is_platform_admin)
# Confiscated assets (object: the comune). The registry's public part is the list
# the law asks every comune to publish; condition, value, notes and proposers'
# contact details stay with the comune.
rules.add_perm("assets.view_public_list", rules.always_allow)
rules.add_perm("assets.propose_reuse", rules.always_allow)
rules.add_perm("assets.view_asset", is_platform_admin | works_on_comune)
rules.add_perm("assets.manage_asset", is_platform_admin | manages_comune)
rules.add_perm("assets.view_proposal", is_platform_admin | manages_comune)
rules.add_perm("assets.view_national", is_platform_admin | sees_all_aggregates)


@rules.predicate
def reviews_practices(user: Any) -> bool:
    """Return whether the user reviews good practices (association or research institute)."""
    return bool(sees_all_aggregates(user))


@rules.predicate
def belongs_to_practice_author(user: Any, practice: Any) -> bool:
    """Return whether the user is a member of the organisation that wrote the practice."""
    return practice is not None and bool(is_member(user, practice.organisation))


@rules.predicate
def practice_is_public(user: Any, practice: Any) -> bool:
    """Return whether the practice is published (anyone reads it)."""
    return practice is not None and bool(practice.is_public)


# Good practices (object: the practice; for submitting, the organisation). Drafts
# and reviews stay with their organisation and the reviewers until published.
rules.add_perm(
    "practices.view_practice",
    is_platform_admin | practice_is_public | belongs_to_practice_author | reviews_practices,
)
rules.add_perm(
    "practices.change_practice",
    is_platform_admin | belongs_to_practice_author | reviews_practices,
)
rules.add_perm("practices.submit_practice", is_platform_admin | is_member)
rules.add_perm("practices.review_practice", is_platform_admin | reviews_practices)


# Participation (dialogue). Consultations, meetings and courses are *spaces*
# owned by an organisation; proposals and comments live in a consultation.
MODERATING_ROLES = frozenset({Role.MODERATOR, Role.MANAGER, Role.ADMINISTRATOR})
_SPACE_MODELS = frozenset({"consultation", "meeting", "course"})


def space_of(obj: Any) -> Any:
    """Return the consultation, meeting or course an object of the dialogue belongs to."""
    name = getattr(getattr(obj, "_meta", None), "model_name", "")
    if name in _SPACE_MODELS:
        return obj
    if name == "proposal":
        return obj.consultation
    if name == "comment":
        return obj.proposal.consultation
    if name == "flag":
        return (obj.proposal or obj.comment.proposal).consultation
    if name == "enrolment":
        return obj.course
    if name == "registration":
        return obj.meeting
    return None


def owner_of(obj: Any) -> Organisation | None:
    """Return the organisation that owns a dialogue space (or the organisation itself)."""
    if isinstance(obj, Organisation):
        return obj
    space = space_of(obj)
    return space.organisation if space is not None else None


@rules.predicate
def manages_space(user: Any, obj: Any) -> bool:
    """Return whether the user manages the organisation owning the space (or the organisation)."""
    owner = owner_of(obj)
    return owner is not None and _has_role_in(user, owner, MANAGING_ROLES)


@rules.predicate
def moderates_space(user: Any, obj: Any) -> bool:
    """Return whether the user moderates the owner's spaces (moderators, managers, admins)."""
    owner = owner_of(obj)
    return owner is not None and _has_role_in(user, owner, MODERATING_ROLES)


@rules.predicate
def sees_space(user: Any, obj: Any) -> bool:
    """Return whether the space is open to the user: published and public, or theirs."""
    space = space_of(obj)
    if space is None:
        return False
    if is_member(user, space.organisation):
        return True
    if not space.published:
        return False
    if space.access == "public":
        return True
    if space.access == "invited":
        invited = {o.pk for o in space.invited.all()}
        return any(m.organisation_id in invited for m in memberships_of(user))
    return False


def is_blocked(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user may not post in the organisation's spaces."""
    from prossima.dialogue.models import Block

    if not getattr(user, "is_authenticated", False):
        return False
    found = Block.objects.filter(user=user, lifted_at__isnull=True)
    return found.filter(Q(organisation=None) | Q(organisation=organisation)).exists()


@rules.predicate
def may_post_in(user: Any, obj: Any) -> bool:
    """Return whether the user may post in the space: signed in, sees it, not blocked."""
    space = space_of(obj)
    return (
        space is not None
        and bool(getattr(user, "is_authenticated", False))
        and space.published
        and bool(sees_space(user, space))
        and not is_blocked(user, space.organisation)
    )


@rules.predicate
def may_join(user: Any, obj: Any) -> bool:
    """Return whether the user may register for a meeting or enrol in a course."""
    space = space_of(obj)
    return (
        space is not None
        and bool(getattr(user, "is_authenticated", False))
        and space.published
        and bool(sees_space(user, space))
    )


@rules.predicate
def sees_contribution(user: Any, obj: Any) -> bool:
    """Return whether a proposal or comment is visible: published in a visible space, or own."""
    if not sees_space(user, obj):
        return False
    if obj.state == "published":
        return True
    return bool(getattr(user, "is_authenticated", False) and obj.author_id == user.pk)


@rules.predicate
def is_own_entry(user: Any, obj: Any) -> bool:
    """Return whether an enrolment, registration or notification is the user's own."""
    owner_id = getattr(obj, "user_id", None) or getattr(obj, "recipient_id", None)
    return bool(getattr(user, "is_authenticated", False)) and owner_id == user.pk


def pledge_decider(pledge: Any) -> Organisation | None:
    """Return the organisation that accepts a pledge: the project's tenant or the consultation's."""
    if pledge.project_id is not None:
        return pledge.project.tenant
    return pledge.proposal.consultation.organisation


@rules.predicate
def decides_pledge(user: Any, pledge: Any) -> bool:
    """Return whether the user accepts or declines the pledge for its receiving organisation."""
    if pledge is None:  # a check without an object (the admin's) names no receiver
        return False
    receiver = pledge_decider(pledge)
    return receiver is not None and _has_role_in(user, receiver, MANAGING_ROLES)


@rules.predicate
def made_pledge(user: Any, pledge: Any) -> bool:
    """Return whether the user belongs to the organisation that pledged."""
    return pledge is not None and bool(is_member(user, pledge.organisation))


@rules.predicate
def pledge_is_public(user: Any, pledge: Any) -> bool:
    """Return whether the pledge appears publicly: consented to, accepted or delivered."""
    if pledge is None:  # a check without an object (the admin's) names no pledge
        return False
    return bool(pledge.public) and pledge.state in ("accepted", "delivered")


@rules.predicate
def pledges_for(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user commits the organisation's resources (its managers)."""
    return organisation is not None and _has_role_in(user, organisation, MANAGING_ROLES)


rules.add_perm("dialogue.view_consultation", is_platform_admin | sees_space)
rules.add_perm("dialogue.manage_consultation", is_platform_admin | manages_space)
rules.add_perm("dialogue.participate", is_platform_admin | may_post_in)
rules.add_perm("dialogue.view_proposal", is_platform_admin | sees_contribution | moderates_space)
rules.add_perm("dialogue.answer_proposal", is_platform_admin | manages_space)
rules.add_perm("dialogue.moderate", is_platform_admin | moderates_space)
rules.add_perm("dialogue.pledge", is_platform_admin | pledges_for)
rules.add_perm(
    "dialogue.view_pledge", is_platform_admin | pledge_is_public | made_pledge | decides_pledge
)
rules.add_perm("dialogue.decide_pledge", is_platform_admin | decides_pledge)
rules.add_perm("dialogue.view_meeting", is_platform_admin | sees_space)
rules.add_perm("dialogue.manage_meeting", is_platform_admin | manages_space)
rules.add_perm("dialogue.register", is_platform_admin | may_join)
rules.add_perm("dialogue.view_registration", is_platform_admin | is_own_entry | manages_space)
rules.add_perm("dialogue.view_course", is_platform_admin | sees_space)
rules.add_perm("dialogue.manage_course", is_platform_admin | manages_space)
rules.add_perm("dialogue.enrol", is_platform_admin | may_join)
rules.add_perm("dialogue.view_enrolment", is_platform_admin | is_own_entry | manages_space)
rules.add_perm("dialogue.view_notification", is_platform_admin | is_own_entry)


# Research extracts: the research institute (or the association) asks for
# aggregated extracts; the association's managers decide. Object: the requesting
# organisation (to ask) or the request.
@rules.predicate
def requests_extracts_for(user: Any, organisation: Organisation | None) -> bool:
    """Return whether the user asks for extracts on behalf of the institute or association."""
    return (
        organisation is not None
        and organisation.kind in AGGREGATE_KINDS
        and _has_role_in(user, organisation, AGGREGATE_ROLES)
    )


@rules.predicate
def belongs_to_requester(user: Any, request: Any) -> bool:
    """Return whether the user made the request or belongs to the requesting organisation."""
    return request is not None and (
        request.requester_id == getattr(user, "pk", None)
        or bool(is_member(user, request.organisation))
    )


rules.add_perm("reports.request_extract", is_platform_admin | requests_extracts_for)
rules.add_perm(
    "reports.view_request", is_platform_admin | belongs_to_requester | manages_association
)
rules.add_perm("reports.decide_extract", is_platform_admin | manages_association)


rules.add_perm("jobs.view_job", is_platform_admin | started_job | works_on_job_tenant)
rules.add_perm("jobs.retry_job", is_platform_admin | started_job | manages_job_tenant)


@dataclass(frozen=True)
class DataKind:
    """A kind of data and how it is protected, for the permission-matrix tests."""

    model: str
    classification: str  # public | restricted | tenant-managed | personal | audit
    view_perm: str
    change_perm: str | None
    note: str = ""


# Every model of the platform with its protection. The matrix tests fail when a
# model is missing here, so a new model cannot ship without a decision.
DATA_KINDS: dict[str, DataKind] = {
    "accounts.user": DataKind(
        "accounts.user",
        "personal",
        "accounts.view_user",
        "accounts.change_user",
        "A person sees and edits only their own account.",
    ),
    "accounts.organisation": DataKind(
        "accounts.organisation",
        "public",
        "accounts.view_organisation",
        "accounts.change_organisation",
        "Profiles are public; managers edit them.",
    ),
    "accounts.membership": DataKind(
        "accounts.membership",
        "tenant-managed",
        "accounts.view_membership",
        "accounts.change_membership",
        "Members see their colleagues; managers add and remove.",
    ),
    "accounts.apitoken": DataKind(
        "accounts.apitoken",
        "personal",
        "accounts.view_user",
        "accounts.change_user",
        "Tokens belong to one person.",
    ),
    "accounts.auditevent": DataKind(
        "accounts.auditevent",
        "audit",
        "accounts.view_auditevent",
        None,
        "Organisation administrators read their organisation's log; nobody changes it.",
    ),
    "territory.region": DataKind(
        "territory.region", "public", "territory.view_comune", None, "ISTAT open data."
    ),
    "territory.province": DataKind(
        "territory.province", "public", "territory.view_comune", None, "ISTAT open data."
    ),
    "territory.comune": DataKind(
        "territory.comune", "public", "territory.view_comune", None, "ISTAT/Openpolis open data."
    ),
    "territory.population": DataKind(
        "territory.population", "public", "territory.view_comune", None, "ISTAT open data."
    ),
    "incidents.category": DataKind(
        "incidents.category",
        "tenant-managed",
        "incidents.view_category",
        "incidents.manage_dataset",
        "Taxonomy labels are public; analysts and managers edit.",
    ),
    "incidents.categorymapping": DataKind(
        "incidents.categorymapping",
        "tenant-managed",
        "incidents.view_incident",
        "incidents.manage_dataset",
        "How a tenant's sources name categories.",
    ),
    "incidents.dataset": DataKind(
        "incidents.dataset",
        "restricted",
        "incidents.view_incident",
        "incidents.manage_dataset",
        "Police data: the tenant's officers, analysts, managers.",
    ),
    "incidents.import": DataKind(
        "incidents.import",
        "restricted",
        "incidents.view_incident",
        "incidents.manage_dataset",
        "Import reports list rejected rows of police files.",
    ),
    "incidents.incident": DataKind(
        "incidents.incident",
        "restricted",
        "incidents.view_incident",
        "incidents.manage_dataset",
        "Rows only to the tenant's officers, analysts and managers; public outputs are "
        "aggregated with a threshold and sensitive categories never appear as points.",
    ),
    "incidents.reportcategory": DataKind(
        "incidents.reportcategory",
        "public",
        "incidents.view_category",
        None,
        "One list for every comune; platform administrators edit it in the admin.",
    ),
    "incidents.reportrouting": DataKind(
        "incidents.reportrouting",
        "tenant-managed",
        "incidents.view_category",
        "incidents.change_reportrouting",
        "Which organisation handles each category is public; the tenant's managers set it.",
    ),
    "incidents.citizenreport": DataKind(
        "incidents.citizenreport",
        "personal",
        "incidents.view_report",
        "incidents.moderate_report",
        "The reporter, the tenant's moderators, the handling organisation and the tenant's "
        "restricted roles see it all; moderators publish, hide and edit (the original is "
        "kept), handlers change the status (incidents.change_report_status). The public sees "
        "published reports only: text as moderated, date without time, location blurred to "
        "a 100 m cell, never the reporter.",
    ),
    "incidents.reportupdate": DataKind(
        "incidents.reportupdate",
        "public",
        "incidents.view_report",
        "incidents.change_report_status",
        "Status changes and staff comments: public once the report is published, shown with "
        "the organisation's name, never the staff member's.",
    ),
    "assets.asset": DataKind(
        "assets.asset",
        "restricted",
        "assets.view_asset",
        "assets.manage_asset",
        "The comune's staff see the whole record; the public sees the list the law asks "
        "for (consistency, destination, use, concession), never value, condition or notes.",
    ),
    "assets.concession": DataKind(
        "assets.concession",
        "public",
        "assets.view_public_list",
        "assets.manage_asset",
        "Holder, act, subject and duration are published by law (art. 48 c.3 D.Lgs. 159/2011).",
    ),
    "assets.concessionreport": DataKind(
        "assets.concessionreport",
        "restricted",
        "assets.view_asset",
        "assets.manage_asset",
    ),
    "assets.assetalert": DataKind(
        "assets.assetalert",
        "restricted",
        "assets.view_asset",
        "assets.manage_asset",
        "Also listed, per comune, to the association in the national view.",
    ),
    "assets.assetimport": DataKind(
        "assets.assetimport", "restricted", "assets.view_asset", "assets.manage_asset"
    ),
    "assets.pendingrow": DataKind(
        "assets.pendingrow", "restricted", "assets.view_asset", "assets.manage_asset"
    ),
    "assets.reusecall": DataKind(
        "assets.reusecall",
        "public",
        "assets.view_public_list",
        "assets.manage_asset",
        "Drafts are seen by the comune's staff only.",
    ),
    "assets.reuseproposal": DataKind(
        "assets.reuseproposal",
        "personal",
        "assets.view_proposal",
        "assets.manage_asset",
        "Proposers' names and e-mails are seen by the comune's managers only; the outcome "
        "published names the selected proposal's title and organisation.",
    ),
    "counterfeit.productalert": DataKind(
        "counterfeit.productalert",
        "public",
        "counterfeit.view_alert",
        "counterfeit.manage_alerts",
        "Safety Gate alerts are imported by the platform or the association; a comune's "
        "managers publish local ones.",
    ),
    "counterfeit.campaign": DataKind(
        "counterfeit.campaign",
        "public",
        "counterfeit.view_campaign",
        "counterfeit.manage_campaigns",
        "Campaigns and their reach are public; the comune's managers record them.",
    ),
    "practices.practice": DataKind(
        "practices.practice",
        "tenant-managed",
        "practices.view_practice",
        "practices.change_practice",
        "Public once published; drafts to the writing organisation and the reviewers.",
    ),
    "practices.practiceversion": DataKind(
        "practices.practiceversion",
        "tenant-managed",
        "practices.view_practice",
        "practices.review_practice",
        "Snapshots at each submission and publication; nobody edits them.",
    ),
    "practices.practicereview": DataKind(
        "practices.practicereview",
        "tenant-managed",
        "practices.view_practice",
        "practices.review_practice",
        "Reviewers' decisions and checklists: the writing organisation and reviewers.",
    ),
    "practices.practicedocument": DataKind(
        "practices.practicedocument",
        "tenant-managed",
        "practices.view_practice",
        "practices.change_practice",
        "Documents follow their practice: public once it is published.",
    ),
    "practices.practicefacet": DataKind(
        "practices.practicefacet",
        "tenant-managed",
        "practices.view_practice",
        None,
        "Derived from the practice for search; kept by the actions only.",
    ),
    "counterfeit.subscription": DataKind(
        "counterfeit.subscription",
        "personal",
        "counterfeit.view_subscription",
        None,
        "An e-mail address and chosen categories; changed only through the subscriber's "
        "secret link.",
    ),
    "counterfeit.seizure": DataKind(
        "counterfeit.seizure",
        "restricted",
        "counterfeit.view_seizure",
        "counterfeit.record_seizure",
        "Police data of the tenant; the association sees totals only.",
    ),
    "counterfeit.seizedgoods": DataKind(
        "counterfeit.seizedgoods",
        "restricted",
        "counterfeit.view_seizure",
        "counterfeit.record_seizure",
    ),
    "jobs.job": DataKind(
        "jobs.job",
        "restricted",
        "jobs.view_job",
        "jobs.retry_job",
        "Jobs name files and datasets of a tenant: its restricted roles and the starter.",
    ),
    "analytics.analysisrun": DataKind(
        "analytics.analysisrun",
        "restricted",
        "analytics.view_run",
        "analytics.launch_run",
        "Runs and their cell layers hold small counts of police data: the tenant's officers, "
        "analysts and managers; analysts launch, managers publish (analytics.publish_run).",
    ),
    "analytics.runlayer": DataKind(
        "analytics.runlayer",
        "restricted",
        "analytics.view_run",
        "analytics.launch_run",
        "Stored layers of a run; only the aggregated public layer of a published run "
        "(cells with at least PUBLIC_MIN_COUNT incidents) is public.",
    ),
    "policing.beatplan": DataKind(
        "policing.beatplan",
        "restricted",
        "policing.view_beats",
        "policing.manage_beats",
        "Beats carry workload from police data: the tenant's police and staff see them; "
        "managers draw and edit them.",
    ),
    "policing.beat": DataKind(
        "policing.beat", "restricted", "policing.view_beats", "policing.manage_beats"
    ),
    "policing.patrolplan": DataKind(
        "policing.patrolplan",
        "restricted",
        "policing.view_beats",
        "policing.plan_patrols",
        "Where officers will be and when: the tenant's restricted roles only.",
    ),
    "policing.patrolbox": DataKind(
        "policing.patrolbox", "restricted", "policing.view_beats", "policing.plan_patrols"
    ),
    "policing.visit": DataKind(
        "policing.visit",
        "personal",
        "policing.view_visit",
        "policing.log_visit",
        "An officer's own log: the officer and the tenant's managers; no data of citizens.",
    ),
    "interventions.project": DataKind(
        "interventions.project",
        "restricted",
        "interventions.view_project",
        "interventions.manage_project",
        "Projects name places and link police data: the tenant's restricted roles; managers "
        "publish a summary (interventions.publish_project), which is then public.",
    ),
    "interventions.checklistitem": DataKind(
        "interventions.checklistitem",
        "restricted",
        "interventions.view_project",
        "interventions.manage_project",
    ),
    "interventions.evaluation": DataKind(
        "interventions.evaluation",
        "restricted",
        "interventions.view_project",
        "interventions.manage_project",
        "Counts per month in small areas; public only as the verdict of a published project.",
    ),
    "inclusion.indicatorupload": DataKind(
        "inclusion.indicatorupload",
        "tenant-managed",
        "inclusion.view_indicators",
        "inclusion.manage_indicators",
        "Which files a comune uploaded; the values are public statistics per sub-area.",
    ),
    "inclusion.areaindicator": DataKind(
        "inclusion.areaindicator",
        "public",
        "inclusion.view_indicators",
        "inclusion.manage_indicators",
        "Statistics per sub-area (shares, rates), never about persons.",
    ),
    "inclusion.auditcampaign": DataKind(
        "inclusion.auditcampaign",
        "public",
        "inclusion.view_audit_map",
        "inclusion.manage_campaigns",
        "Campaigns and their aggregated safety map are public; managers organise them.",
    ),
    "inclusion.safetyaudit": DataKind(
        "inclusion.safetyaudit",
        "restricted",
        "inclusion.view_audits",
        "inclusion.record_audit",
        "Single audit points with notes: the tenant's staff; the public sees cell averages.",
    ),
    "inclusion.service": DataKind(
        "inclusion.service",
        "public",
        "inclusion.view_service",
        "inclusion.manage_services",
        "The directory of services is public; the comune's managers keep it.",
    ),
    "inclusion.referral": DataKind(
        "inclusion.referral",
        "personal",
        "inclusion.view_referral",
        "inclusion.update_referral",
        "Pseudonymous cases of young people: only the referrer, the receiving service and "
        "the comune's social workers; outcomes are published only as aggregates.",
    ),
    "inclusion.referralevent": DataKind(
        "inclusion.referralevent",
        "personal",
        "inclusion.view_referral",
        "inclusion.update_referral",
    ),
    "dialogue.consultation": DataKind(
        "dialogue.consultation",
        "public",
        "dialogue.view_consultation",
        "dialogue.manage_consultation",
        "Open to everyone, to the owner's members or to invited organisations; drafts to the "
        "owner's members; the owner's managers run it.",
    ),
    "dialogue.phase": DataKind(
        "dialogue.phase", "public", "dialogue.view_consultation", "dialogue.manage_consultation"
    ),
    "dialogue.consultationdocument": DataKind(
        "dialogue.consultationdocument",
        "public",
        "dialogue.view_consultation",
        "dialogue.manage_consultation",
    ),
    "dialogue.proposal": DataKind(
        "dialogue.proposal",
        "public",
        "dialogue.view_proposal",
        "dialogue.answer_proposal",
        "Public in its consultation once published; awaiting moderation or hidden: the author "
        "and the owner's moderators. The owner's managers answer (accepted, evaluating, "
        "rejected).",
    ),
    "dialogue.support": DataKind(
        "dialogue.support",
        "personal",
        "dialogue.moderate",
        "dialogue.participate",
        "Who supported what is never shown; the public sees counts only.",
    ),
    "dialogue.comment": DataKind(
        "dialogue.comment",
        "public",
        "dialogue.view_proposal",
        "dialogue.moderate",
        "Like proposals; a moderator's edit keeps the original text.",
    ),
    "dialogue.flag": DataKind(
        "dialogue.flag",
        "personal",
        "dialogue.moderate",
        "dialogue.moderate",
        "Who reported what: the owner's moderators only.",
    ),
    "dialogue.block": DataKind(
        "dialogue.block",
        "personal",
        "dialogue.moderate",
        "dialogue.moderate",
        "Blocks in an organisation's spaces: its moderators; platform-wide blocks: "
        "platform administrators.",
    ),
    "dialogue.pledge": DataKind(
        "dialogue.pledge",
        "tenant-managed",
        "dialogue.view_pledge",
        "dialogue.decide_pledge",
        "The pledging organisation and the receiving organisation's managers; public only "
        "when the pledger consented and it was accepted or delivered.",
    ),
    "dialogue.meeting": DataKind(
        "dialogue.meeting",
        "public",
        "dialogue.view_meeting",
        "dialogue.manage_meeting",
        "Open like consultations; the organiser's managers run it.",
    ),
    "dialogue.registration": DataKind(
        "dialogue.registration",
        "personal",
        "dialogue.view_registration",
        "dialogue.register",
        "Who attends: the person and the organiser's managers; the public sees counts.",
    ),
    "dialogue.course": DataKind(
        "dialogue.course", "public", "dialogue.view_course", "dialogue.manage_course"
    ),
    "dialogue.coursemodule": DataKind(
        "dialogue.coursemodule", "public", "dialogue.view_course", "dialogue.manage_course"
    ),
    "dialogue.coursesession": DataKind(
        "dialogue.coursesession", "public", "dialogue.view_course", "dialogue.manage_course"
    ),
    "dialogue.enrolment": DataKind(
        "dialogue.enrolment",
        "personal",
        "dialogue.view_enrolment",
        "dialogue.enrol",
        "Enrolment, attendance and certificate: the person and the provider's managers; a "
        "certificate's secret code lets anyone holding it verify it.",
    ),
    "dialogue.notification": DataKind(
        "dialogue.notification",
        "personal",
        "dialogue.view_notification",
        None,
        "Only the recipient.",
    ),
    "dialogue.notificationpreference": DataKind(
        "dialogue.notificationpreference",
        "personal",
        "dialogue.view_notification",
        None,
        "Only the person; kept through their settings page.",
    ),
    "reports.indicatorvalue": DataKind(
        "reports.indicatorvalue",
        "tenant-managed",
        "prossima.view_aggregates",
        None,
        "Aggregates per comune and year, computed by the platform. Indicators from police "
        "data: the comune's staff, the association and the institute; the others are public. "
        "Values on fewer than PUBLIC_MIN_COUNT events or people are shown to the comune's "
        "staff only.",
    ),
    "reports.researchrequest": DataKind(
        "reports.researchrequest",
        "tenant-managed",
        "reports.view_request",
        "reports.decide_extract",
        "Requests for aggregated extracts: the requester's organisation and the association's "
        "managers, who decide; every step and download is audited.",
    ),
    "territory.subarea": DataKind(
        "territory.subarea",
        "public",
        "territory.view_subarea",
        "territory.change_subarea",
        "Sub-area boundaries are public; the comune's managers import them.",
    ),
}
