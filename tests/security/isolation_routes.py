"""Every named route of the platform, classified for the tenant-isolation tests.

A route without arguments is a list, a search, a map layer or an export, visited
as is. A route with arguments must be named below, with how to fill its arguments
for a tenant, so that a new route fails ``test_every_route_is_classified`` until
someone says how it is isolated:

- ``TENANT_ROUTES``: the only argument names a tenant (its slug or its comune);
  visited with Bologna's, and with Modena's to see that nothing restricted shows.
- ``FIXED_ROUTES``: arguments that name no tenant (a module, an indicator, a format).
- ``OBJECT_ROUTES``: one object of a tenant; Modena's must give 403 or 404.
- ``PUBLIC_OBJECT_ROUTES``: a public object; Modena's may show, without its secrets.
- ``EXEMPT``: routes reached only with a secret token, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.isolation_world import Tenant

Kwargs = Callable[[Tenant], dict[str, Any]]


def named_routes() -> dict[str, list[str]]:
    """Return every named route (``namespace:name``) with the names of its arguments."""
    found: dict[str, list[str]] = {}

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = namespace
                if p.namespace:
                    inner = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.setdefault(name, list(p.pattern.regex.groupindex))

    walk(get_resolver().url_patterns, "")
    return {n: args for n, args in found.items() if not n.startswith("admin:")}


def _slug(t: Tenant) -> dict[str, Any]:
    return {"slug": t.org.slug}


def _istat_code(t: Tenant) -> dict[str, Any]:
    return {"istat_code": t.comune.istat_code}


def _istat(t: Tenant) -> dict[str, Any]:
    return {"istat": t.comune.istat_code}


def _pk(key: str, arg: str = "pk", **extra: Any) -> Kwargs:
    return lambda t: {arg: t.objects[key].pk, **extra}


def _slug_of(key: str, **extra: Any) -> Kwargs:
    return lambda t: {"slug": t.objects[key].slug, **extra}


def _tenant_and_pk(key: str) -> Kwargs:
    return lambda t: {"slug": t.org.slug, "pk": t.objects[key].pk}


TENANT_ROUTES: dict[str, Kwargs] = {
    "territory:comune": _istat_code,
    "territory:import_subareas": _istat_code,
    "accounts:organisation": _slug,
    "accounts:organisation_audit": _slug,
    "incidents:dataset_create": _slug,
    "incidents:report_comune": _istat_code,
    "incidents:report_routing": _slug,
    "analytics:map": _slug,
    "analytics:public": _slug,
    "analytics:public_layer": _slug,
    "policing:plan_create": _slug,
    "interventions:create": _slug,
    "inclusion:comune": _istat,
    "inclusion:upload": _slug,
    "inclusion:campaign_create": _slug,
    "inclusion:service_new": _slug,
    "inclusion:referral_new": _slug,
    "inclusion:outcomes": _slug,
    "assets:public_comune": _istat_code,
    "assets:public_dcat": _istat_code,
    "assets:registry": _slug,
    "assets:asset_new": _slug,
    "assets:import_upload": _slug,
    "counterfeit:alert_new": _slug,
    "counterfeit:campaign_new": _slug,
    "counterfeit:campaign_import": _slug,
    "counterfeit:seizures": _slug,
    "counterfeit:seizure_new": _slug,
    "counterfeit:seizure_import": _slug,
    "counterfeit:dashboard": _slug,
    "counterfeit:seizure_hotspots": _slug,
    "reports:comune": _istat_code,
    "reports:yearly": lambda t: {"istat_code": t.comune.istat_code, "year": 2024},
    "reports:yearly_pdf": lambda t: {"istat_code": t.comune.istat_code, "year": 2024},
    "api:comune_detail": _istat_code,
    "api:comune_boundary": _istat_code,
    "api:comune_subareas": _istat_code,
    "api:public_hotspots": _slug,
    "api:comune_reports": _istat_code,
    "api:report_points": _istat_code,
    "api:comune": _istat,
    "api:get_outcomes": lambda t: {"tenant_slug": t.org.slug},
    "api:comune_list": _istat,
}
# The public downloads of a comune's confiscated assets, one per format.
for _fmt in ("csv", "json", "geojson"):
    TENANT_ROUTES[f"assets:public_download.{_fmt}"] = lambda t, f=_fmt: {
        "istat_code": t.comune.istat_code,
        "fmt": f,
    }

FIXED_ROUTES: dict[str, dict[str, Any]] = {
    **{
        f"web:module.{m}": {"slug": m}
        for m in (
            "incidents",
            "policing",
            "interventions",
            "inclusion",
            "assets",
            "counterfeit",
            "practices",
            "dialogue",
            "reports",
        )
    },
    "reports:indicator": {"code": "aged_65_plus"},
    "reports:indicator_map": {"code": "aged_65_plus"},
    "reports:indicator_data.csv": {"code": "aged_65_plus", "fmt": "csv"},
    "reports:indicator_data.json": {"code": "aged_65_plus", "fmt": "json"},
    "reports:dcat.ttl": {"fmt": "ttl"},
    "reports:dcat.jsonld": {"fmt": "jsonld"},
}

# Objects of a tenant; the second item is the Bologna role that must reach its own.
OBJECT_ROUTES: dict[str, tuple[Kwargs, str | None]] = {
    "accounts:revoke_token": (_pk("api_token"), None),
    "accounts:remove_member": (
        lambda t: {"slug": t.org.slug, "pk": t.objects["membership"].pk},
        None,
    ),
    "incidents:dataset": (_pk("dataset"), "analyst"),
    "incidents:upload": (_pk("dataset"), "analyst"),
    "incidents:import": (_pk("import_"), "analyst"),
    "incidents:import_rejects": (_pk("import_"), "analyst"),
    "incidents:report": (_pk("report"), "officer"),
    "incidents:report_photo": (_pk("report"), None),
    "incidents:report_moderate": (_pk("report"), "administrator"),
    "incidents:report_status": (_pk("report"), "officer"),
    "incidents:report_route": (_pk("report"), "administrator"),
    "analytics:launch": (_pk("dataset", kind="hotspots"), "analyst"),
    "analytics:points": (_pk("dataset"), "analyst"),
    "analytics:run": (_pk("run"), "analyst"),
    "analytics:publish": (_pk("run"), "administrator"),
    "analytics:layer": (_pk("run", name="gistar"), "analyst"),
    "analytics:explain": (_pk("run", cell_id="250m_E1_N1"), None),
    "policing:plan": (_pk("beatplan"), "analyst"),
    "policing:plan_beats": (_pk("beatplan"), "analyst"),
    "policing:plan_cells": (_pk("beatplan"), None),
    "policing:plan_evaluate": (_pk("beatplan"), "administrator"),
    "policing:plan_save": (_pk("beatplan"), "administrator"),
    "policing:plan_activate": (_pk("beatplan"), "administrator"),
    "policing:patrol_create": (_pk("beat"), "analyst"),
    "policing:patrol": (_pk("patrol"), "officer"),
    "policing:patrol_print": (_pk("patrol"), "officer"),
    "policing:patrol_log": (_pk("patrol"), "officer"),
    "interventions:project": (_pk("project"), "analyst"),
    "interventions:stage": (_pk("project"), "analyst"),
    "interventions:publish": (_pk("project"), "administrator"),
    "interventions:step": (_pk("step"), "analyst"),
    "inclusion:referral": (_pk("referral"), "social_worker"),
    "inclusion:referral_step": (_pk("referral"), "social_worker"),
    "assets:import_report": (_pk("asset_import"), "administrator"),
    "assets:pending_resolve": (_pk("pending"), "administrator"),
    "assets:pending_discard": (_pk("pending"), "administrator"),
    "assets:asset": (_pk("asset"), "analyst"),
    "assets:asset_edit": (_pk("asset"), "administrator"),
    "assets:asset_stage": (_pk("asset"), "administrator"),
    "assets:asset_use": (_pk("asset"), "administrator"),
    "assets:concession_new": (_pk("asset"), "administrator"),
    "assets:call_new": (_pk("asset"), "administrator"),
    "assets:concession_end": (_pk("concession"), "administrator"),
    "assets:report_new": (_pk("concession"), "administrator"),
    "assets:call_publish": (_pk("call"), "administrator"),
    "assets:call_decide": (_pk("call"), "administrator"),
    "assets:proposal_status": (_pk("proposal"), "administrator"),
    "counterfeit:alert_edit": (lambda t: {"number": t.objects["alert"].number}, None),
    "counterfeit:campaign_edit": (_pk("cf_campaign"), "administrator"),
    "counterfeit:seizure": (_tenant_and_pk("seizure"), "officer"),
    "counterfeit:seizure_edit": (_tenant_and_pk("seizure"), "officer"),
    "practices:detail": (_slug_of("practice"), "manager"),
    "practices:print": (_slug_of("practice"), "manager"),
    "practices:version": (_slug_of("practice", number=1), None),
    "practices:pdf": (_slug_of("practice"), None),
    "practices:edit": (_slug_of("practice"), "manager"),
    "practices:submit": (_slug_of("practice"), "manager"),
    "practices:review": (_slug_of("practice"), None),
    "practices:revise": (_slug_of("practice"), None),
    "practices:withdraw": (_slug_of("practice"), None),
    "practices:reopen": (_slug_of("practice"), None),
    "practices:attach": (_slug_of("practice"), "manager"),
    "practices:document": (
        lambda t: {"slug": t.objects["practice"].slug, "pk": t.objects["document"].pk},
        None,
    ),
    "practices:detach": (
        lambda t: {"slug": t.objects["practice"].slug, "pk": t.objects["document"].pk},
        None,
    ),
    "dialogue:consultation": (_slug_of("consultation"), "manager"),
    "dialogue:consultation_edit": (_slug_of("consultation"), "administrator"),
    "dialogue:documents": (_slug_of("consultation"), "administrator"),
    "dialogue:propose": (_slug_of("consultation"), "manager"),
    "dialogue:proposals_csv": (_slug_of("consultation"), "administrator"),
    **{
        f"dialogue:{name}": (
            lambda t: {
                "slug": t.objects["consultation"].slug,
                "pk": t.objects["dproposal"].pk,
            },
            role,
        )
        for name, role in (
            ("proposal", "administrator"),
            ("support", None),
            ("comment", None),
            ("answer", "administrator"),
            ("withdraw", None),
            ("pledge", None),
        )
    },
    "dialogue:flag": (lambda t: {"target": "proposal", "pk": t.objects["dproposal"].pk}, None),
    "dialogue:pledge_project": (_pk("project", "project_id"), None),
    "dialogue:decide_pledge": (_pk("pledge"), None),
    "dialogue:moderate": (
        lambda t: {"target": "proposal", "pk": t.objects["dproposal"].pk},
        "administrator",
    ),
    **{
        f"dialogue:{name}": (_slug_of("meeting"), role)
        for name, role in (
            ("meeting", "manager"),
            ("meeting_edit", "administrator"),
            ("meeting_ics", "manager"),
            ("meeting_register", None),
            ("meeting_unregister", None),
            ("meeting_registrations", "administrator"),
            ("meeting_minutes", "administrator"),
            ("meeting_cancel", "administrator"),
        )
    },
    **{
        f"dialogue:{name}": (_slug_of("course"), role)
        for name, role in (
            ("course", "administrator"),
            ("course_edit", "administrator"),
            ("course_enrol", None),
            ("course_withdraw", None),
            ("course_attendance", "administrator"),
            ("course_certificate", None),
        )
    },
    "reports:research_request": (_pk("research"), None),
    "reports:research_decide": (_pk("research"), None),
    "reports:research_withdraw": (_pk("research"), None),
    "reports:research_extract": (_pk("research", fmt="csv"), None),
    "jobs:job": (_pk("job"), "analyst"),
    "jobs:retry": (_pk("job"), "analyst"),
    "api:get_run": (_pk("run", "run_id"), "analyst"),
    "api:get_layer": (_pk("run", "run_id", name="gistar"), "analyst"),
    "api:public_report": (_pk("report", "report_id"), None),
    "api:full_report": (_pk("report", "report_id"), "officer"),
    "api:moderate": (_pk("report", "report_id"), None),
    "api:change_status": (_pk("report", "report_id"), None),
    "api:route": (_pk("report", "report_id"), None),
    "api:get_dataset": (_pk("dataset", "dataset_id"), "analyst"),
    "api:list_incidents": (_pk("dataset", "dataset_id"), "analyst"),
    "api:get_patrol_plan": (_pk("patrol", "patrol_id"), "officer"),
    "api:log_visit": (_pk("box", "box_id"), None),
    "api:get_project": (_pk("project", "project_id"), "analyst"),
    "api:get_referral": (_pk("referral", "referral_id"), "social_worker"),
    "api:add_step": (_pk("referral", "referral_id"), None),
    "api:practice_detail": (_slug_of("practice"), None),
    "api:consultation_detail": (_slug_of("consultation"), "manager"),
    "api:proposal_list": (_slug_of("consultation"), "manager"),
}

# Public objects of a tenant: Modena's may be shown, never with a restricted field.
PUBLIC_OBJECT_ROUTES: dict[str, Kwargs] = {
    # A safety-audit walk is open to every logged-in person; its points are not.
    "inclusion:campaign": _pk("audit_campaign"),
    "inclusion:campaign_cells": _pk("audit_campaign"),
    "inclusion:audit": _pk("audit_campaign"),
    "api:audit_cells": _pk("audit_campaign", "campaign_id"),
    "assets:public_asset": lambda t: {"code": t.objects["asset"].code},
    "inclusion:service": _pk("service"),
    "counterfeit:alert": lambda t: {"number": t.objects["alert"].number},
    "counterfeit:alert_photo": lambda t: {"number": t.objects["alert"].number},
    "counterfeit:campaign": _pk("cf_campaign"),
    "api:alert_detail": lambda t: {"number": t.objects["alert"].number},
}

EXEMPT: dict[str, str] = {
    "accounts:verify": "reached with the e-mail verification token of one account",
    "accounts:password_reset_confirm": "reached with the reset token of one account",
    "incidents:preview": "reached with the random token of one uploader's session",
    "incidents:report_follow": "reached with the reporter's secret follow-up token",
    "incidents:report_follow_photo": "reached with the reporter's secret follow-up token",
    "api:follow": "reached with the reporter's secret follow-up token",
    "assets:import_preview": "reached with the random token of one uploader's session",
    "counterfeit:subscription_confirm": "reached with the subscriber's secret token",
    "counterfeit:subscription_manage": "reached with the subscriber's secret token",
    "dialogue:certificate_verify": "a certificate's public verification code, no tenant data",
}


def base_name(key: str) -> str:
    """Return the route name of a table key (``assets:public_download.csv`` → its name)."""
    return key.split(".", 1)[0]
