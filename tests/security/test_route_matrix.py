"""The route authorization matrix: every URL of the platform × the people who call it.

The permission matrix (tests/accounts/test_permission_matrix.py) proves what the rules
answer for every role × tenant relation × kind of data. This file proves the routes ask
them: every web page, API operation and export is listed in ROUTES with its protection,
and each is called, on a real database, by anonymous visitors, a citizen without an
organisation, the platform administrator and, for each relation to the Comune di Bologna,
the roles where the answer changes. A route missing from ROUTES fails a test.

For routes protected by a permission of the matrix, the expectation is the matrix's own
``expected()``: the route layer enforces the same rule as the model layer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from prossima.accounts.models import Role
from prossima.accounts.permissions import AGGREGATE_ROLES, MANAGING_ROLES, MODERATING_ROLES
from tests.accounts.test_permission_matrix import RELATIONS, expected
from tests.security.conftest import changed_tables, table_counts
from tests.security.route_world import ROLE_RANK, build_world

# --- Protections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Protection:
    """How a route is protected, which methods to try and what an allowed call returns.

    ``target`` names the world object whose ids fill the URL (see KWARGS); ``extra`` adds
    route-specific URL values. ``get`` tries GET for everyone (allow and deny); ``post``
    tries POST for the people who must be refused only, and checks no row changed.
    ``ok`` is the allowed GET's status (``ok_signed_in`` for people signed in, when it
    differs); ``content_type`` its start, for exports. ``data`` is a valid form for routes
    that validate the form before they ask the permission, so the refusal is the rule's.
    Every persona that must be refused is tried; of those allowed, ``max_allowed`` (the
    least privileged first), which keeps the run short: over-granting is the risk here.
    """

    target: str | None = None
    get: bool = True
    post: bool = False
    ok: int = 200
    content_type: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    query: str = ""
    ok_signed_in: int | None = None
    data: tuple[tuple[str, Any], ...] = ()
    refusals: tuple[int, ...] = (403, 404)
    max_allowed: int = 2


@dataclass(frozen=True)
class Public(Protection):
    """Anyone may call it, anonymous visitors included."""


@dataclass(frozen=True)
class SignedIn(Protection):
    """Anyone signed in may call it; anonymous visitors are sent to sign in (API: 401)."""


@dataclass(frozen=True)
class Perm(Protection):
    """The permission ``perm`` of the permission matrix on the Bologna object decides."""

    perm: str = ""


@dataclass(frozen=True)
class Roles(Protection):
    """A rule on the person's memberships, not on one Bologna object (see RULES).

    ``superuser`` says whether the platform administrator passes: pages that act for
    one of the person's organisations refuse an administrator who belongs to none.
    """

    rule: str = ""
    superuser: bool = True


@dataclass(frozen=True)
class Skip(Protection):
    """Not called here, with the reason (the test prints it)."""

    reason: str = ""


GET = {"get": True}
POST = {"get": False, "post": True}
BOTH = {"get": True, "post": True}

RULES: dict[str, Callable[[str, str], bool]] = {
    # Something of the platform administrator's own: every other persona is refused.
    "owner_only": lambda relation, role: False,
    # Writing practices, listing one's own: any member of any organisation.
    "any_member": lambda relation, role: True,
    # Consultations, meetings, courses and pledges are run by managers of any organisation.
    "manager_anywhere": lambda relation, role: role in MANAGING_ROLES,
    "moderator_anywhere": lambda relation, role: role in MODERATING_ROLES,
    # Reports are moderated or handled by people with those roles anywhere.
    "report_worker": lambda relation, role: (
        role in {Role.MODERATOR, Role.OFFICER, Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    ),
    # Aggregates of every comune: the association and the institute.
    "national_aggregates": lambda relation, role: (
        relation in ("association", "institute") and role in AGGREGATE_ROLES
    ),
    "request_extract": lambda relation, role: (
        relation in ("association", "institute") and role in AGGREGATE_ROLES
    ),
    "decide_extract": lambda relation, role: relation == "association" and role in MANAGING_ROLES,
    "import_alerts": lambda relation, role: relation == "association" and role in MANAGING_ROLES,
    "review_practice": lambda relation, role: (
        relation in ("association", "institute") and role in AGGREGATE_ROLES
    ),
}

# --- The table ---------------------------------------------------------------------------

ROUTES: dict[str, Protection] = {
    # web, territory, accounts
    "web:home": Public(),
    "web:about": Public(),
    "web:module": Public(target="module", ok=302),
    "set_language": Public(get=False),
    "territory:search": Public(),
    "territory:comune": Public(target="bologna"),
    "territory:import_subareas": Perm(perm="territory.change_subarea", target="bologna", **POST),
    "accounts:login": Public(ok_signed_in=302),
    "accounts:logout": Public(get=False),
    "accounts:register": Public(),
    "accounts:verify": Public(target="verify", ok=400),  # a forged link
    "accounts:profile": SignedIn(),
    "accounts:password_change": SignedIn(),
    "accounts:password_reset": Public(),
    "accounts:password_reset_sent": Public(),
    "accounts:password_reset_confirm": Public(target="verify"),  # a forged link: told so
    "accounts:create_token": SignedIn(get=False),
    "accounts:revoke_token": Roles(rule="owner_only", target="token", **POST),
    "accounts:organisations": Public(),
    "accounts:organisation": Public(target="tenant"),
    "accounts:remove_member": Perm(perm="accounts.change_membership", target="member", **POST),
    "accounts:organisation_audit": Perm(perm="accounts.view_auditevent", target="tenant"),
    # incidents
    "incidents:index": SignedIn(),
    "incidents:dataset_create": Perm(perm="incidents.manage_dataset", target="tenant", **BOTH),
    "incidents:dataset": Perm(perm="incidents.view_incident", target="dataset"),
    "incidents:upload": Perm(perm="incidents.manage_dataset", target="dataset", **POST),
    "incidents:preview": Skip(reason="needs a staged upload token; upload is tested instead"),
    "incidents:import": Perm(perm="incidents.view_incident", target="import"),
    "incidents:import_rejects": Perm(
        perm="incidents.view_incident", target="import", content_type="text/csv"
    ),
    "incidents:reports": Public(),
    "incidents:report_new": Public(),
    "incidents:my_reports": SignedIn(),
    "incidents:reports_manage": Roles(rule="report_worker"),
    "incidents:report_comune": Public(target="bologna"),
    "incidents:report_routing": Perm(
        perm="incidents.change_reportrouting", target="tenant", **BOTH
    ),
    "incidents:report_follow": Public(target="report_token"),
    "incidents:report_follow_photo": Skip(reason="the report has no photo; follow is tested"),
    "incidents:report": Perm(perm="incidents.view_report", target="report"),
    "incidents:report_photo": Skip(reason="the report has no photo; the report page is tested"),
    "incidents:report_moderate": Perm(perm="incidents.moderate_report", target="report", **POST),
    "incidents:report_status": Perm(perm="incidents.change_report_status", target="report", **POST),
    "incidents:report_route": Perm(perm="incidents.moderate_report", target="report", **POST),
    # analytics
    "analytics:index": SignedIn(),
    "analytics:public_index": Public(),
    "analytics:launch": Perm(
        perm="analytics.launch_run", target="dataset", extra=(("kind", "hotspots"),), **BOTH
    ),
    "analytics:points": Perm(
        perm="incidents.view_incident", target="dataset", content_type="application/json"
    ),
    "analytics:run": Perm(perm="analytics.view_run", target="run"),
    "analytics:publish": Perm(perm="analytics.publish_run", target="run", **POST),
    "analytics:layer": Perm(
        perm="analytics.view_run", target="run", content_type="application/geo+json"
    ),
    "analytics:explain": Perm(
        perm="analytics.view_run", target="cell", content_type="application/json"
    ),
    "analytics:map": Perm(perm="analytics.view_run", target="tenant"),
    "analytics:public": Public(target="tenant"),
    "analytics:public_layer": Skip(reason="Bologna publishes no layer: 404 for everyone"),
    # policing
    "policing:index": SignedIn(),
    "policing:plan_create": Perm(perm="policing.manage_beats", target="tenant", **BOTH),
    "policing:plan": Perm(perm="policing.view_beats", target="beat_plan"),
    "policing:plan_beats": Perm(
        perm="policing.view_beats", target="beat_plan", content_type="application/geo+json"
    ),
    "policing:plan_cells": Perm(
        perm="policing.manage_beats", target="beat_plan", content_type="application/json"
    ),
    "policing:plan_evaluate": Perm(perm="policing.manage_beats", target="beat_plan", **POST),
    "policing:plan_save": Perm(perm="policing.manage_beats", target="beat_plan", **POST),
    "policing:plan_activate": Perm(perm="policing.manage_beats", target="beat_plan", **POST),
    "policing:patrol_create": Perm(perm="policing.plan_patrols", target="beat", **BOTH),
    "policing:patrol": Perm(perm="policing.view_beats", target="patrol"),
    "policing:patrol_print": Perm(perm="policing.view_beats", target="patrol"),
    "policing:patrol_log": Perm(perm="policing.log_visit", target="patrol", **BOTH),
    # interventions
    "interventions:index": SignedIn(),
    "interventions:public": Public(),
    "interventions:create": Perm(perm="interventions.manage_project", target="tenant", **BOTH),
    "interventions:project": Perm(perm="interventions.view_project", target="project"),
    "interventions:stage": Perm(perm="interventions.manage_project", target="project", **POST),
    "interventions:publish": Perm(perm="interventions.publish_project", target="project", **POST),
    "interventions:step": Perm(perm="interventions.manage_project", target="step", **POST),
    # inclusion
    "inclusion:index": Public(),
    "inclusion:national": Public(),
    "inclusion:comune": Public(target="bologna"),
    "inclusion:upload": Perm(perm="inclusion.manage_indicators", target="tenant", **BOTH),
    "inclusion:campaign_create": Perm(perm="inclusion.manage_campaigns", target="tenant", **BOTH),
    "inclusion:campaign": Public(target="campaign"),
    "inclusion:campaign_cells": Public(target="campaign", content_type="application/json"),
    "inclusion:audit": SignedIn(target="campaign"),
    "inclusion:services": Public(),
    "inclusion:service_new": Perm(perm="inclusion.manage_services", target="tenant", **BOTH),
    "inclusion:service": Public(target="service"),
    "inclusion:referrals": SignedIn(),
    "inclusion:referral_new": Perm(perm="inclusion.refer_case", target="tenant", **BOTH),
    "inclusion:referral": Perm(perm="inclusion.view_referral", target="referral"),
    "inclusion:referral_step": Perm(perm="inclusion.update_referral", target="referral", **POST),
    "inclusion:outcomes": Perm(perm="inclusion.view_referral_outcomes", target="tenant"),
    # assets
    "assets:index": SignedIn(),
    "assets:national": Public(),
    "assets:national_map": Public(content_type="application/json"),
    "assets:national_regions": Public(content_type="application/geo+json"),
    "assets:public_catalog": Public(content_type="application/ld+json"),
    "assets:public_comune": Public(target="bologna"),
    "assets:public_dcat": Public(target="bologna", content_type="application/ld+json"),
    "assets:public_download": Public(
        target="bologna", extra=(("fmt", "csv"),), content_type="text/csv"
    ),
    "assets:public_asset": Public(target="public_asset"),
    "assets:registry": Perm(perm="assets.view_asset", target="tenant"),
    "assets:asset_new": Perm(perm="assets.manage_asset", target="tenant", **BOTH),
    "assets:import_upload": Perm(perm="assets.manage_asset", target="tenant", **BOTH),
    "assets:import_preview": Skip(reason="needs a staged upload token; import_upload is tested"),
    "assets:import_report": Perm(perm="assets.view_asset", target="asset_import"),
    "assets:pending_resolve": Perm(perm="assets.manage_asset", target="pending", **POST),
    "assets:pending_discard": Perm(perm="assets.manage_asset", target="pending", **POST),
    "assets:asset": Perm(perm="assets.view_asset", target="asset"),
    "assets:asset_edit": Perm(perm="assets.manage_asset", target="asset", **BOTH),
    "assets:asset_stage": Perm(perm="assets.manage_asset", target="asset", **POST),
    "assets:asset_use": Perm(perm="assets.manage_asset", target="asset", **POST),
    "assets:concession_new": Perm(perm="assets.manage_asset", target="asset", **BOTH),
    "assets:call_new": Perm(perm="assets.manage_asset", target="idle_asset", **POST),
    "assets:concession_end": Perm(perm="assets.manage_asset", target="concession", **POST),
    "assets:report_new": Perm(perm="assets.manage_asset", target="concession", **POST),
    "assets:call_publish": Perm(perm="assets.manage_asset", target="call", **POST),
    "assets:call_decide": Perm(perm="assets.manage_asset", target="call", **POST),
    "assets:proposal_status": Perm(perm="assets.view_proposal", target="reuse_proposal", **POST),
    # counterfeit
    "counterfeit:index": Public(),
    "counterfeit:alerts": Public(),
    "counterfeit:alert_import": Roles(rule="import_alerts", **BOTH),
    "counterfeit:alert_new": Perm(perm="counterfeit.manage_alerts", target="tenant", **BOTH),
    "counterfeit:alert_photo": Skip(reason="the alert has no photo; the alert page is tested"),
    "counterfeit:alert_edit": Perm(perm="counterfeit.manage_alerts", target="alert", **BOTH),
    "counterfeit:alert": Public(target="alert"),
    "counterfeit:subscribe": Public(),
    "counterfeit:subscription_confirm": Skip(reason="secret token sent by e-mail: 404 unless"),
    "counterfeit:subscription_manage": Skip(reason="secret token sent by e-mail: 404 unless"),
    "counterfeit:campaigns": Public(),
    "counterfeit:campaign_new": Perm(perm="counterfeit.manage_campaigns", target="tenant", **BOTH),
    "counterfeit:campaign_import": Perm(
        perm="counterfeit.manage_campaigns", target="tenant", **BOTH
    ),
    "counterfeit:campaign": Public(target="cf_campaign"),
    "counterfeit:campaign_edit": Perm(
        perm="counterfeit.manage_campaigns", target="cf_campaign", **BOTH
    ),
    # Lists only the tenants whose totals the person sees.
    "counterfeit:seizure_totals": SignedIn(),
    "counterfeit:seizures": Perm(perm="counterfeit.view_seizure", target="tenant"),
    "counterfeit:seizure_new": Perm(perm="counterfeit.record_seizure", target="tenant", **BOTH),
    "counterfeit:seizure_import": Perm(perm="counterfeit.record_seizure", target="tenant", **BOTH),
    "counterfeit:dashboard": Perm(perm="counterfeit.view_seizure_totals", target="tenant"),
    # Street hot spots come from the seizures' places: the details' permission.
    "counterfeit:seizure_hotspots": Perm(
        perm="counterfeit.view_seizure", target="tenant", content_type="application/json"
    ),
    "counterfeit:seizure": Perm(perm="counterfeit.view_seizure", target="seizure"),
    "counterfeit:seizure_edit": Perm(perm="counterfeit.record_seizure", target="seizure", **BOTH),
    # practices: the target is a draft of the Comune di Bologna
    "practices:index": Public(),
    "practices:new": Roles(rule="any_member", superuser=False, **BOTH),
    "practices:mine": Roles(rule="any_member", superuser=False),
    "practices:queue": Roles(rule="review_practice"),
    "practices:like_mine": Public(),
    "practices:catalogue_csv": Public(content_type="text/csv"),
    "practices:catalogue_json": Public(content_type="application/json"),
    "practices:detail": Perm(perm="practices.view_practice", target="practice"),
    "practices:print": Perm(perm="practices.view_practice", target="practice"),
    "practices:version": Skip(reason="a draft has no published version"),
    "practices:pdf": Perm(
        perm="practices.view_practice",
        target="practice",
        content_type="application/pdf",
        max_allowed=1,  # a PDF takes seconds to draw
    ),
    "practices:edit": Perm(perm="practices.change_practice", target="practice", **BOTH),
    "practices:submit": Perm(perm="practices.change_practice", target="practice", **POST),
    "practices:review": Perm(perm="practices.review_practice", target="practice", **POST),
    "practices:revise": Perm(perm="practices.change_practice", target="practice", **POST),
    "practices:withdraw": Perm(perm="practices.review_practice", target="practice", **POST),
    "practices:reopen": Perm(perm="practices.change_practice", target="practice", **POST),
    "practices:attach": Perm(perm="practices.change_practice", target="practice", **POST),
    "practices:document": Perm(
        perm="practices.view_practice", target="document", content_type="application/pdf"
    ),
    "practices:detach": Perm(perm="practices.change_practice", target="document", **POST),
    # dialogue
    "dialogue:index": Public(),
    "dialogue:consultation_new": Roles(rule="manager_anywhere", **BOTH),
    "dialogue:consultation": Perm(perm="dialogue.view_consultation", target="consultation"),
    "dialogue:consultation_edit": Perm(
        perm="dialogue.manage_consultation", target="consultation", **BOTH
    ),
    "dialogue:documents": Perm(perm="dialogue.manage_consultation", target="consultation", **BOTH),
    "dialogue:propose": Perm(perm="dialogue.participate", target="consultation", **BOTH),
    "dialogue:proposals_csv": Perm(
        perm="dialogue.view_consultation", target="consultation", content_type="text/csv"
    ),
    "dialogue:proposal": Perm(perm="dialogue.view_proposal", target="proposal"),
    "dialogue:support": Perm(perm="dialogue.view_proposal", target="proposal", **POST),
    "dialogue:comment": Perm(perm="dialogue.view_proposal", target="proposal", **POST),
    "dialogue:answer": Perm(perm="dialogue.answer_proposal", target="proposal", **BOTH),
    "dialogue:withdraw": Perm(perm="dialogue.view_proposal", target="proposal", **POST),
    "dialogue:pledge": Perm(perm="dialogue.pledge", target="proposal", **BOTH),
    "dialogue:flag": Perm(
        perm="dialogue.view_proposal",
        target="flag_proposal",
        data=(("reason", "spam"),),
        **POST,
    ),
    "dialogue:pledge_project": Perm(perm="interventions.view_project", target="project", **POST),
    "dialogue:pledges": SignedIn(),
    # The pledging organisation withdraws here too; which move is whose: the action decides.
    "dialogue:decide_pledge": Perm(perm="dialogue.view_pledge", target="pledge", **POST),
    "dialogue:contributions": Public(),
    "dialogue:moderation": Roles(rule="moderator_anywhere"),
    "dialogue:moderate": Perm(perm="dialogue.moderate", target="flag_proposal", **BOTH),
    "dialogue:blocks": Roles(rule="moderator_anywhere"),
    "dialogue:meetings": Public(),
    "dialogue:meetings_ics": Public(content_type="text/calendar"),
    "dialogue:meeting_new": Roles(rule="manager_anywhere", **BOTH),
    "dialogue:meeting": Perm(perm="dialogue.view_meeting", target="meeting"),
    "dialogue:meeting_edit": Perm(perm="dialogue.manage_meeting", target="meeting", **BOTH),
    "dialogue:meeting_ics": Perm(
        perm="dialogue.view_meeting", target="meeting", content_type="text/calendar"
    ),
    "dialogue:meeting_register": Perm(perm="dialogue.register", target="meeting", **POST),
    "dialogue:meeting_unregister": Perm(perm="dialogue.view_meeting", target="meeting", **POST),
    "dialogue:meeting_registrations": Perm(perm="dialogue.view_registration", target="meeting"),
    "dialogue:meeting_minutes": Perm(perm="dialogue.manage_meeting", target="meeting", **BOTH),
    "dialogue:meeting_cancel": Perm(perm="dialogue.manage_meeting", target="meeting", **POST),
    "dialogue:courses": Public(),
    "dialogue:course_new": Roles(rule="manager_anywhere", **BOTH),
    "dialogue:course": Perm(perm="dialogue.view_course", target="course"),
    "dialogue:course_edit": Perm(perm="dialogue.manage_course", target="course", **BOTH),
    "dialogue:course_enrol": Perm(perm="dialogue.enrol", target="course", **POST),
    "dialogue:course_withdraw": Perm(perm="dialogue.view_course", target="course", **POST),
    "dialogue:course_attendance": Perm(perm="dialogue.manage_course", target="course", **BOTH),
    "dialogue:course_certificate": Skip(reason="nobody has completed the draft course"),
    "dialogue:certificate_verify": Skip(reason="needs a certificate code; none is issued"),
    "dialogue:notifications": SignedIn(),
    "dialogue:notifications_read": SignedIn(get=False),
    "dialogue:notification_settings": SignedIn(),
    # reports
    "reports:index": Public(),
    "reports:indicator": Public(target="indicator"),
    "reports:indicator_map": Roles(
        rule="national_aggregates", target="restricted_indicator", query="year=2024"
    ),
    "reports:regions": Public(content_type="application/json"),
    "reports:comune": Public(target="bologna"),
    "reports:yearly": Skip(reason="no indicator year is computed in this world"),
    "reports:yearly_pdf": Skip(reason="no indicator year is computed in this world"),
    "reports:catalogue": Public(),
    "reports:dcat": Public(extra=(("fmt", "jsonld"),), content_type="application/ld+json"),
    "reports:indicator_data": Public(
        target="indicator", extra=(("fmt", "csv"),), content_type="text/csv"
    ),
    "reports:research": SignedIn(),
    "reports:research_new": Roles(rule="request_extract", superuser=False, **BOTH),
    "reports:research_request": Perm(perm="reports.view_request", target="research"),
    "reports:research_decide": Perm(
        perm="reports.decide_extract",
        target="research",
        data=(("decision", "rejected"), ("decision_note", "Non pertinente.")),
        **POST,
    ),
    "reports:research_withdraw": Perm(perm="reports.view_request", target="research", **POST),
    "reports:research_extract": Skip(reason="an undecided request has no extract"),
    # privacy
    "privacy:index": SignedIn(),
    "privacy:export": SignedIn(content_type="application/json"),  # the person's own data
    "privacy:erase": SignedIn(get=False),
    "privacy:retention": Public(),
    # Bologna's audit log as CSV. Someone who administers another organisation only is
    # told the form is wrong (400): Bologna is not among the organisations offered.
    "privacy:audit": Perm(
        perm="accounts.view_auditevent",
        query="organisation={org}&start={month_ago}&end={today}&format=csv",
        content_type="text/csv",
        refusals=(400, 403, 404),
    ),
    # jobs
    "jobs:job": Perm(perm="jobs.view_job", target="job"),
    "jobs:retry": Perm(perm="jobs.retry_job", target="job", **POST),
    # API (session authentication; anonymous callers get 401 where authentication is needed)
    "api:openapi-json": Public(content_type="application/json"),
    "api:openapi-view": Public(),
    "api:api-root": Skip(reason="ninja's placeholder for the /api/ prefix"),
    "api:list_comuni": Public(content_type="application/json"),
    "api:comune_at_point": Public(query="lon=11.3426&lat=44.4949"),
    "api:comune_detail": Public(target="bologna"),
    "api:comune_boundary": Public(target="bologna"),
    "api:comune_subareas": Public(target="bologna"),
    "api:me": SignedIn(),
    "api:organisations": Public(),
    "api:list_runs": SignedIn(),
    "api:launch_run": SignedIn(get=False),
    "api:get_run": Perm(perm="analytics.view_run", target="run"),
    "api:get_layer": Perm(perm="analytics.view_run", target="run"),
    "api:public_hotspots": Skip(reason="Bologna publishes no layer: 404 for everyone"),
    "api:categories": Public(),
    "api:comune_reports": Public(target="bologna"),
    "api:report_points": Public(target="bologna"),
    "api:submit": Public(get=False),
    "api:follow": Public(target="report_token"),
    "api:manage": SignedIn(),
    "api:public_report": Skip(reason="the report is not published: 404 for everyone"),
    "api:full_report": Perm(perm="incidents.view_report", target="report"),
    "api:moderate": Perm(
        perm="incidents.moderate_report",
        target="report",
        data=(("decision", "publish"),),
        **POST,
    ),
    "api:change_status": Perm(
        perm="incidents.change_report_status",
        target="report",
        data=(("status", "in_progress"), ("comment", "Presa in carico.")),
        **POST,
    ),
    "api:route": Perm(
        perm="incidents.moderate_report",
        target="report",
        data=(("organisation", "comune-di-modena"),),
        **POST,
    ),
    "api:list_datasets": SignedIn(),
    "api:get_dataset": Perm(perm="incidents.view_incident", target="dataset"),
    "api:list_incidents": Perm(perm="incidents.view_incident", target="dataset"),
    "api:list_beat_plans": SignedIn(),
    "api:get_patrol_plan": Perm(perm="policing.view_beats", target="patrol"),
    "api:log_visit": Perm(
        perm="policing.log_visit",
        target="box",
        data=(("arrived_at", "2025-05-01T10:00:00+02:00"), ("minutes", 15)),
        **POST,
    ),
    "api:list_visits": SignedIn(),
    "api:list_public": Public(),
    "api:get_project": Perm(perm="interventions.view_project", target="project"),
    "api:national": Public(),
    "api:comune": Skip(reason="needs indicators of two sub-areas; the web page is tested"),
    "api:audit_cells": Public(target="campaign"),
    "api:list_services": Public(),
    "api:list_referrals": SignedIn(),
    "api:create_referral": SignedIn(get=False),
    "api:get_referral": Perm(perm="inclusion.view_referral", target="referral"),
    "api:add_step": Perm(
        perm="inclusion.update_referral",
        target="referral",
        data=(("status", "accepted"), ("note", "Primo colloquio.")),
        **POST,
    ),
    "api:get_outcomes": Perm(perm="inclusion.view_referral_outcomes", target="tenant"),
    "api:comune_list": Public(target="bologna"),
    "api:regions": Public(),
    "api:alert_list": Public(),
    "api:alert_detail": Public(target="alert"),
    "api:practice_list": Public(),
    "api:practice_detail": Skip(reason="the draft is not published: 404 for everyone"),
    "api:consultation_list": Public(),
    "api:consultation_detail": Perm(perm="dialogue.view_consultation", target="consultation"),
    "api:proposal_list": Perm(perm="dialogue.view_consultation", target="consultation"),
    "api:meeting_list": Public(),
    "api:course_list": Public(),
    "api:contribution_list": Public(),
}

# Routes of the API framework itself, not operations of the schema.
API_PLUMBING = {"api:openapi-json", "api:openapi-view", "api:api-root"}

# URL values of each world object, under every name the routes give them.
KWARGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "bologna": lambda w: {"istat_code": "037006", "istat": "037006"},
    "tenant": lambda w: {"slug": w["own_comune"].slug, "tenant_slug": w["own_comune"].slug},
    "module": lambda w: {"slug": "practices"},
    "verify": lambda w: {"uidb64": "MQ", "token": "invalid-token"},
    "token": lambda w: {"pk": w["api_token"].pk},
    "member": lambda w: {"slug": w["own_comune"].slug, "pk": w["membership"].pk},
    "report": lambda w: {"pk": w["report"].pk, "report_id": w["report"].pk},
    "report_token": lambda w: {"token": w["report_token"]},
    "dataset": lambda w: {"pk": w["dataset"].pk, "dataset_id": w["dataset"].pk},
    "import": lambda w: {"pk": w["import"].pk},
    "run": lambda w: {"pk": w["run"].pk, "run_id": w["run"].pk, "name": w["layer"].name},
    "cell": lambda w: {"pk": w["forecast"].pk, "cell_id": w["cell_id"]},
    "job": lambda w: {"pk": w["job"].pk},
    "beat_plan": lambda w: {"pk": w["beat_plan"].pk},
    "beat": lambda w: {"pk": w["beat"].pk},
    "patrol": lambda w: {"pk": w["patrol"].pk, "patrol_id": w["patrol"].pk},
    "box": lambda w: {"box_id": w["box"].pk},
    "project": lambda w: {"pk": w["project"].pk, "project_id": w["project"].pk},
    "step": lambda w: {"pk": w["step"].pk},
    "campaign": lambda w: {"pk": w["campaign"].pk, "campaign_id": w["campaign"].pk},
    "service": lambda w: {"pk": w["service"].pk},
    "referral": lambda w: {"pk": w["referral"].pk, "referral_id": w["referral"].pk},
    "asset": lambda w: {"pk": w["asset"].pk},
    "idle_asset": lambda w: {"pk": w["idle_asset"].pk},
    "public_asset": lambda w: {"code": w["asset"].code},
    "asset_import": lambda w: {"pk": w["asset_import"].pk},
    "pending": lambda w: {"pk": w["pending"].pk},
    "concession": lambda w: {"pk": w["concession"].pk},
    "call": lambda w: {"pk": w["call"].pk},
    "reuse_proposal": lambda w: {"pk": w["reuse_proposal"].pk},
    "alert": lambda w: {"number": w["alert"].number},
    "cf_campaign": lambda w: {"pk": w["cf_campaign"].pk},
    "seizure": lambda w: {"slug": w["own_comune"].slug, "pk": w["seizure"].pk},
    "practice": lambda w: {"slug": w["practice"].slug},
    "document": lambda w: {"slug": w["practice"].slug, "pk": w["document"].pk},
    "consultation": lambda w: {"slug": w["dialogue"]["consultation"].slug},
    "proposal": lambda w: {
        "slug": w["dialogue"]["consultation"].slug,
        "pk": w["dialogue"]["proposal"].pk,
    },
    "flag_proposal": lambda w: {"target": "proposal", "pk": w["dialogue"]["proposal"].pk},
    "pledge": lambda w: {"pk": w["dialogue"]["pledge"].pk},
    "meeting": lambda w: {"slug": w["dialogue"]["meeting"].slug},
    "course": lambda w: {"slug": w["dialogue"]["course"].slug},
    "research": lambda w: {"pk": w["research"].pk},
    "indicator": lambda w: {"code": "reports_rate"},
    "restricted_indicator": lambda w: {"code": "incidents_rate"},
}

# --- Enumerating the routes --------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[Route]:
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = f"{ns}:{item.namespace}" if ns and item.namespace else item.namespace or ns
            yield from _walk(item, prefix + str(item.pattern), inner or "")
        elif isinstance(item, URLPattern) and item.name:
            params = tuple(getattr(item.pattern, "converters", {}) or item.pattern.regex.groupindex)
            name = f"{ns}:{item.name}" if ns else item.name
            yield Route(name, prefix + str(item.pattern), params)


def project_routes() -> dict[str, Route]:
    """Return every named route outside the Django admin, by its namespaced name."""
    return {r.name: r for r in _walk(get_resolver()) if not r.name.startswith("admin:")}


def api_operations() -> list[tuple[str, str]]:
    """Return (path, method) of every operation of the ninja API, from its OpenAPI schema."""
    from prossima.config.api import api

    paths = api.get_openapi_schema()["paths"]
    return [(path, method.upper()) for path, ops in paths.items() for method in ops]


def _openapi_path(pattern: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern)


def test_every_route_is_in_the_table() -> None:
    routes = project_routes()
    missing = sorted(set(routes) - set(ROUTES))
    assert not missing, f"add these routes to tests/security/test_route_matrix.py ROUTES: {missing}"
    stale = sorted(set(ROUTES) - set(routes))
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"


def test_every_api_operation_is_in_the_table() -> None:
    """Each operation of the OpenAPI schema is one api: route of the table, and no more."""
    operations = api_operations()
    routes = project_routes()
    listed = {
        _openapi_path(routes[name].pattern)
        for name in ROUTES
        if name.startswith("api:") and name in routes
    }
    missing = sorted({path for path, _method in operations} - listed)
    assert not missing, f"add the routes of these API operations to ROUTES: {missing}"
    own = [n for n in routes if n.startswith("api:") and n not in API_PLUMBING]
    assert len(own) == len(operations), "one route name per API operation"


def test_every_permission_named_is_in_the_matrix() -> None:
    from tests.accounts.test_permission_matrix import PERMS

    named = {p.perm for p in ROUTES.values() if isinstance(p, Perm)}
    assert named <= set(PERMS), sorted(named - set(PERMS))
    assert all(p.rule in RULES for p in ROUTES.values() if isinstance(p, Roles))
    targets = {p.target for p in ROUTES.values() if p.target}
    assert targets <= set(KWARGS), sorted(targets - set(KWARGS))


# --- The world, built once for the module --------------------------------------------------


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[dict[str, Any]]:
    """Build the world once in a transaction that is rolled back after the module.

    Each test runs in a savepoint inside it (pytest-django's own), so a request that
    writes cannot leak into the next test. Building it per test would cost minutes.
    """
    from prossima.territory.models import Comune

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world(
                Comune.objects.get(istat_code="037006"),
                Comune.objects.get(istat_code="036023"),
                tmp_path_factory.mktemp("route_world"),
            )
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.clear()


# --- Personas -------------------------------------------------------------------------------


def _deciders(allowed: Callable[[str, str], bool]) -> list[tuple[str, bool]]:
    """Return the personas that make a difference, with whether each must be allowed.

    Per relation: the least privileged role allowed and the most privileged role refused.
    """
    chosen: list[tuple[str, bool]] = []
    for relation in RELATIONS:
        answers = [(role, allowed(relation, role)) for role in ROLE_RANK]
        yes = [role for role, ok in answers if ok]
        no = [role for role, ok in answers if not ok]
        if yes:
            chosen.append((f"{relation}:{yes[0]}", True))
        if no:
            chosen.append((f"{relation}:{no[-1]}", False))
    return chosen


def personas(protection: Protection) -> list[tuple[str, bool]]:
    """Return (persona, must be allowed) for a route: every refusal, a few allowances."""
    if isinstance(protection, Public):
        everyone = [("anonymous", True), ("own_comune:manager", True)]
    elif isinstance(protection, SignedIn):
        everyone = [("anonymous", False), ("citizen", True)]
    elif isinstance(protection, Perm):
        perm = protection.perm
        everyone = [
            ("anonymous", False),
            ("citizen", expected(perm, "none", Role.CITIZEN)),
            *_deciders(lambda relation, role: expected(perm, relation, role)),
            ("superuser", True),
        ]
    elif isinstance(protection, Roles):
        everyone = [
            ("anonymous", False),
            ("citizen", False),
            *_deciders(RULES[protection.rule]),
            ("superuser", protection.superuser),
        ]
    else:
        raise AssertionError(protection)
    refused = [p for p in everyone if not p[1]]
    allowed = sorted((p for p in everyone if p[1]), key=_privilege)
    return refused + allowed[: protection.max_allowed]


def _privilege(persona: tuple[str, bool]) -> int:
    name = persona[0]
    if ":" not in name:
        return 0 if name in ("anonymous", "citizen") else len(ROLE_RANK)
    return ROLE_RANK.index(Role(name.split(":")[1]))


# --- Calling the routes -----------------------------------------------------------------


def _url(name: str, protection: Protection, world: dict[str, Any]) -> str:
    route = ALL_ROUTES[name]
    values = dict(KWARGS[protection.target](world)) if protection.target else {}
    values.update(dict(protection.extra))
    kwargs = {p: values[p] for p in route.params}
    url = reverse(name, kwargs=kwargs)
    today = timezone.localdate()
    query = protection.query.format(
        org=world["own_comune"].pk, today=today, month_ago=today - dt.timedelta(days=30)
    )
    return f"{url}?{query}" if query else url


def _client(world: dict[str, Any], persona: str) -> Client:
    client = Client(enforce_csrf_checks=False)
    user = world["people"][persona]
    if user is not None:
        client.force_login(user)
    return client


def _refused(response: Any, persona: str, api: bool, refusals: tuple[int, ...]) -> bool:
    if response.status_code in refusals:
        return True
    if persona == "anonymous":
        if api:
            return response.status_code == 401
        location = response.get("Location", "")
        return response.status_code == 302 and location.startswith(reverse("accounts:login"))
    return False


def _close(response: Any) -> None:
    """Close a response's open files (downloads stream from them), keeping the connection.

    Closing a response says the request finished, which would close the database
    connection of the test's transaction; Django's test client avoids it the same way.
    """
    signals.request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        signals.request_finished.connect(close_old_connections)


ALL_ROUTES = project_routes()
CHECKED = {name: p for name, p in ROUTES.items() if not isinstance(p, Skip)}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_route(name: str, world: dict[str, Any], db: Any) -> None:
    protection = ROUTES[name]
    url = _url(name, protection, world)
    api = name.startswith("api:")
    wrong = []
    # Rate limits count per client address, and every persona here shares one: start each
    # route afresh (no route is called more than a dozen times below).
    cache.clear()
    for persona, allowed in personas(protection):
        client = _client(world, persona)
        if protection.get:
            response = client.get(url)
            if allowed:
                ok = protection.ok
                if persona != "anonymous" and protection.ok_signed_in is not None:
                    ok = protection.ok_signed_in
                if response.status_code != ok:
                    wrong.append(f"{persona} GET: {response.status_code}, not {ok}")
                elif protection.content_type and not response["Content-Type"].startswith(
                    protection.content_type
                ):
                    wrong.append(f"{persona} GET: content type {response['Content-Type']}")
            elif not _refused(response, persona, api, protection.refusals):
                wrong.append(f"{persona} GET: {response.status_code}, must be refused")
            _close(response)
        if protection.post and not allowed:
            before = table_counts()
            data = dict(protection.data)
            if api:
                response = client.post(url, data=json.dumps(data), content_type="application/json")
            else:
                response = client.post(url, data=data)
            changed = changed_tables(before, table_counts())
            if not _refused(response, persona, api, protection.refusals):
                wrong.append(f"{persona} POST: {response.status_code}, must be refused")
            if changed:
                wrong.append(f"{persona} POST changed rows: {changed}")
    assert not wrong, f"{name} {url}: " + "; ".join(wrong)


def test_skipped_routes_say_why() -> None:
    for name, protection in ROUTES.items():
        if isinstance(protection, Skip):
            assert protection.reason, name
            print(f"not called: {name}: {protection.reason}")


# --- The Django admin ---------------------------------------------------------------------


def test_admin_refuses_everyone_but_platform_administrators(world: dict[str, Any], db: Any) -> None:
    """The admin, including every model's change list, is for superusers only."""
    urls = [reverse("admin:index")]
    for model in admin_site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    wrong = []
    for persona in ["anonymous", "citizen", "own_comune:administrator", "own_police:manager"]:
        client = _client(world, persona)
        for url in urls:
            response = client.get(url)
            if response.status_code != 302 or "/admin/login/" not in response["Location"]:
                wrong.append(f"{persona} {url}: {response.status_code}")
    client = _client(world, "superuser")
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            wrong.append(f"superuser {url}: {response.status_code}")
    assert not wrong, "; ".join(wrong)
