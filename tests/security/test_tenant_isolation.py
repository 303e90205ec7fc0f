"""Tenant isolation: no query path gives Bologna's staff the restricted rows of Modena.

Two comuni side by side, each with one restricted object of every kind a tenant
owns (``isolation_world``). Bologna's most privileged staff visit every list,
search, map layer, export and API list of the platform (``isolation_routes``
enumerates the routes, so a new one is covered or fails the classification
test), guess Modena's ids, inject filters, and write forms that point at
Modena's objects. Nothing of Modena's may show and nothing may be written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.security.conftest import changed_tables, table_counts
from tests.security.isolation_routes import (
    EXEMPT,
    FIXED_ROUTES,
    OBJECT_ROUTES,
    PUBLIC_OBJECT_ROUTES,
    TENANT_ROUTES,
    base_name,
    named_routes,
)
from tests.security.isolation_world import BOLOGNA_MARKER, MODENA_MARKER, Tenant, build_tenant

ROUTES = named_routes()
LIST_ROUTES = sorted(name for name, args in ROUTES.items() if not args)
# Bologna's staff who see the most: the comune's administrator, its police's analyst
# and officer.
STAFF = ("administrator", "analyst", "officer")
# Guessed ids are tried by a member of the comune and one of its police, and by the
# role that reaches Bologna's own object of the route.
GUESSERS = ("administrator", "officer")
# A denied request may leave an audit row; nothing else.
BOOKKEEPING = {"accounts_auditevent"}


_CLIENTS: dict[str, Client] = {}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Tenant]]:
    """Build Bologna and Modena once for the module, in a transaction rolled back at the end."""
    from prossima.territory.models import Comune

    with django_db_blocker.unblock(), transaction.atomic():
        bologna = Comune.objects.get(istat_code="037006")
        modena = Comune.objects.get(istat_code="036023")
        tenants = {
            "bologna": build_tenant(bologna, "Bologna", BOLOGNA_MARKER),
            "modena": build_tenant(modena, "Modena", MODENA_MARKER),
        }
        # Bologna's staff log in once: their sessions outlive each test's rollback.
        for role, user in tenants["bologna"].users.items():
            client = Client()
            client.force_login(user)
            _CLIENTS[role] = client
        yield tenants
        _CLIENTS.clear()
        transaction.set_rollback(True)


@pytest.fixture
def own(world: dict[str, Tenant], db: Any) -> Tenant:
    """Give the test Bologna, inside a savepoint rolled back after the test."""
    return world["bologna"]


@pytest.fixture
def other(world: dict[str, Tenant]) -> Tenant:
    return world["modena"]


def body_of(response: Any) -> str:
    """Return the response's body as text (streamed exports joined)."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    return raw.decode("utf-8", errors="replace")


def modena_urls(other: Tenant) -> list[str]:
    """Return the addresses of Modena's restricted objects (those that end with a slash)."""
    urls = []
    for key, (kwargs, _role) in OBJECT_ROUTES.items():
        url = reverse(base_name(key), kwargs=kwargs(other))
        if url.endswith("/"):
            urls.append(url)
    return urls


def leaks(body: str, other: Tenant) -> list[str]:
    """Return what of Modena's restricted data shows in ``body``."""
    found = []
    lowered = body.lower()
    at = lowered.find(MODENA_MARKER.lower())
    if at >= 0:
        found.append(f"marker {body[max(at - 60, 0) : at + 60]!r}")
    found += [f"link {url}" for url in modena_urls(other) if url in body]
    return found


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(role: str) -> Client:
    """Return a client logged in as Bologna's staff member of ``role`` (from the world)."""
    return _CLIENTS[role]


def list_url(key: str, tenant: Tenant) -> str:
    name = base_name(key)
    if key in TENANT_ROUTES:
        return reverse(name, kwargs=TENANT_ROUTES[key](tenant))
    if key in FIXED_ROUTES:
        return reverse(name, kwargs=FIXED_ROUTES[key])
    return reverse(name)


VISITED = LIST_ROUTES + sorted(TENANT_ROUTES) + sorted(FIXED_ROUTES)


# --- the classification of every route ---------------------------------------------------


def test_every_route_is_classified() -> None:
    classified = {
        base_name(k)
        for table in (TENANT_ROUTES, FIXED_ROUTES, OBJECT_ROUTES, PUBLIC_OBJECT_ROUTES, EXEMPT)
        for k in table
    }
    unclassified = sorted(n for n, args in ROUTES.items() if args and n not in classified)
    assert not unclassified, (
        f"say how these routes are isolated in tests/security/isolation_routes.py: {unclassified}"
    )
    stale = sorted(classified - set(ROUTES))
    assert not stale, f"isolation_routes.py names routes that do not exist: {stale}"


# --- lists, searches, map layers, exports and API lists -----------------------------------


@pytest.mark.parametrize("key", VISITED)
def test_lists_show_bologna_staff_nothing_of_modena(key: str, own: Tenant, other: Tenant) -> None:
    wrong = []
    for role in STAFF:
        url = list_url(key, own)
        response = staff(role).get(url)
        if response.status_code >= 500:
            wrong.append(f"{role}: {url} gave {response.status_code}")
            continue
        wrong += [f"{role}: {url} shows {leak}" for leak in leaks(body_of(response), other)]
    assert not wrong, "; ".join(wrong)


# Lists where Bologna's own restricted rows must show: the sweep above sees real rows.
OWN_ROWS = {
    "incidents:reports_manage": ("administrator", "report"),
    "incidents:index": ("analyst", "dataset"),
    "analytics:index": ("analyst", "dataset"),
    "policing:index": ("administrator", "beatplan"),
    "interventions:index": ("analyst", "project"),
    "inclusion:referrals": ("social_worker", "case"),
    "assets:registry": ("administrator", "asset"),
    "counterfeit:seizures": ("officer", "seizure-ref"),
    "practices:mine": ("manager", "practice"),
    "dialogue:index": ("manager", "consultation"),
    "dialogue:meetings": ("manager", "meeting"),
    "api:list_runs": ("analyst", "run"),
    "api:list_datasets": ("analyst", "dataset"),
    "api:manage": ("officer", "report"),
    "api:list_beat_plans": ("analyst", "beatplan"),
    "api:list_visits": ("administrator", "visit"),
    "api:list_referrals": ("social_worker", "case"),
    "api:consultation_list": ("manager", "consultation"),
}


@pytest.mark.parametrize("key", sorted(OWN_ROWS))
def test_lists_do_show_bologna_its_own_rows(key: str, own: Tenant) -> None:
    role, kind = OWN_ROWS[key]
    url = list_url(key, own)
    response = staff(role).get(url)
    assert response.status_code == 200, url
    assert own.mark(kind) in body_of(response), f"{url} lists no {kind} of Bologna"


@pytest.mark.parametrize("key", sorted(TENANT_ROUTES))
def test_modena_tenant_pages_show_bologna_staff_nothing_restricted(
    key: str, own: Tenant, other: Tenant
) -> None:
    url = reverse(base_name(key), kwargs=TENANT_ROUTES[key](other))
    wrong = []
    for role in ("administrator", "analyst"):
        response = staff(role).get(url)
        if response.status_code >= 500:
            wrong.append(f"{role} gave {response.status_code}")
        elif response.status_code == 200:
            wrong += [f"{role} sees {leak}" for leak in leaks(body_of(response), other)]
    assert not wrong, f"{url}: " + "; ".join(wrong)


# --- id guessing ----------------------------------------------------------------------------


def _post(client: Client, url: str) -> Any:
    if url.startswith("/api/"):
        return client.post(url, data="{}", content_type="application/json")
    return client.post(url, data={})


@pytest.mark.parametrize("key", sorted(OBJECT_ROUTES))
def test_guessing_modena_ids_is_refused(key: str, own: Tenant, other: Tenant) -> None:
    kwargs, own_role = OBJECT_ROUTES[key]
    name = base_name(key)
    url = reverse(name, kwargs=kwargs(other))
    wrong = []
    if own_role is not None:
        # The same route reaches Bologna's own object: a 404 below is the tenant's wall.
        mine = reverse(name, kwargs=kwargs(own))
        status = staff(own_role).get(mine).status_code
        if status in (403, 404) or status >= 500:
            wrong.append(f"{own_role} gets {status} for Bologna's own {mine}")
    before = table_counts()
    writer = own_role or "administrator"
    for role in sorted({*GUESSERS, writer}):
        client = staff(role)
        response = client.get(url)
        if response.status_code not in (403, 404, 405):
            wrong.append(f"GET as {role} gave {response.status_code}")
        if leaks(body_of(response), other):
            wrong.append(f"GET as {role} shows Modena's data")
        if role != writer:
            continue
        # A write is tried by the role that may write on Bologna's own object.
        response = _post(client, url)
        # The API checks a write's body before it looks the object up (422).
        allowed = (403, 404, 405, 422) if url.startswith("/api/") else (403, 404, 405)
        if response.status_code not in allowed:
            wrong.append(f"POST as {role} gave {response.status_code}")
        if leaks(body_of(response), other):
            wrong.append(f"POST as {role} shows Modena's data")
    written = changed_tables(before, table_counts()).keys() - BOOKKEEPING
    assert not written, f"{url}: a refused request wrote in {sorted(written)}"
    assert not wrong, f"{url}: " + "; ".join(wrong)


@pytest.mark.parametrize("key", sorted(PUBLIC_OBJECT_ROUTES))
def test_modena_public_objects_show_nothing_restricted(
    key: str, own: Tenant, other: Tenant
) -> None:
    url = reverse(base_name(key), kwargs=PUBLIC_OBJECT_ROUTES[key](other))
    response = staff("administrator").get(url)
    assert response.status_code < 500, url
    assert not leaks(body_of(response), other), url


# --- filter injection ----------------------------------------------------------------------

# Query parameters read by the platform's lists and API lists, and some they do not read.
FILTER_PARAMS = (
    "comune",
    "tenant",
    "organisation",
    "dataset",
    "dataset_id",
    "istat",
    "istat_code",
    "region",
    "service",
    "user",
    "kind",
    "category",
    "state",
    "stage",
    "status",
    "year",
    "area",
    "order",
    "ordering",
    "sort",
    "answer",
    "moderation_state",
    "state_type",
    "view",
    "target_group",
    "alert",
    "brand",
    "risk",
    "level",
    "active",
    "past",
    "since",
    "until",
    "date_from",
    "date_to",
    "from",
    "month",
    "limit",
    "offset",
    "page",
)
JUNK = ("' OR 1=1 --", "1;DROP TABLE incidents_incident", "%' OR '%'='", "0x" + "f" * 4000)
# Routes that read query parameters, and every API list.
FILTERED = sorted(
    {k for k in VISITED if k.startswith("api:") and k != "api:openapi-json"}
    | {
        "incidents:reports",
        "incidents:reports_manage",
        "incidents:my_reports",
        "analytics:index",
        "counterfeit:alerts",
        "counterfeit:campaigns",
        "counterfeit:seizures",
        "counterfeit:dashboard",
        "counterfeit:seizure_totals",
        "counterfeit:seizure_hotspots",
        "practices:index",
        "inclusion:services",
        "inclusion:index",
        "inclusion:national",
        "inclusion:referrals",
        "dialogue:index",
        "dialogue:notifications",
        "dialogue:moderation",
        "dialogue:meetings",
        "dialogue:pledges",
        "territory:search",
        "assets:national",
        "assets:national_map",
        "reports:index",
        "interventions:index",
        "policing:index",
    }
)


def modena_query(other: Tenant) -> list[tuple[str, Any]]:
    """Return every filter parameter twice: Bologna-looking values and Modena's ids and codes."""
    ids = [
        other.comune.istat_code,
        other.org.slug,
        other.org.pk,
        other.police.pk,
        other.objects["dataset"].pk,
        other.objects["service"].pk,
        other.comune.pk,
    ]
    query: list[tuple[str, Any]] = [(p, v) for p in FILTER_PARAMS for v in ("037006", *ids)]
    query += [("q", "SECRET"), ("q", other.comune.istat_code), ("id", other.objects["report"].pk)]
    return query


@pytest.mark.parametrize("key", FILTERED)
def test_filters_with_modena_ids_or_junk_show_nothing_of_modena(
    key: str, own: Tenant, other: Tenant
) -> None:
    client = staff("administrator")
    url = list_url(key, own)
    wrong = []
    queries = [modena_query(other)] + [
        [(p, junk) for p in (*FILTER_PARAMS, "q", "id")] for junk in JUNK
    ]
    for query in queries:
        response = client.get(url, data=query)
        if response.status_code >= 500:
            wrong.append(f"{query[0][1]!r}… gave {response.status_code}")
        wrong += [f"{query[0][1]!r}… shows {leak}" for leak in leaks(body_of(response), other)]
    assert not wrong, f"{url}: " + "; ".join(wrong)


# --- writes that point at another tenant's objects -----------------------------------------


def _square(t: Tenant) -> str:
    lon, lat, d = t.comune.centroid_lon, t.comune.centroid_lat, 0.002
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def _count(model: str) -> Any:
    from django.apps import apps

    return lambda own, target: apps.get_model(model).objects.count()


def _route_to(own: Tenant, target: Tenant) -> Any:
    """Return where to route Bologna's report: its comune itself, or ``target``'s police."""
    return own.org if target is own else target.police


# name: (role, url of Bologna's form, data pointing at ``target``'s objects, measure).
CROSS_WRITES: dict[str, tuple[str, Any, Any, Any]] = {
    "project with another tenant's dataset and report": (
        "analyst",
        lambda own: reverse("interventions:create", kwargs={"slug": own.org.slug}),
        lambda own, target: {
            "title": "Nuovo progetto",
            "kind": "requalification",
            "description": "Riqualificazione",
            "start_date": "2024-02-01",
            "area": _square(own),
            "dataset": target.objects["dataset"].pk,
            "reports": [target.objects["report"].pk],
        },
        _count("interventions.Project"),
    ),
    "referral to another tenant's service": (
        "social_worker",
        lambda own: reverse("inclusion:referral_new", kwargs={"slug": own.org.slug}),
        lambda own, target: {
            "service": target.objects["service"].pk,
            "case_code": "SS-2024-017",
            "age_band": "14_17",
            "target_group": "youth",
            "reason": "Abbandono scolastico",
        },
        _count("inclusion.Referral"),
    ),
    "API referral to another tenant's service": (
        "social_worker",
        lambda own: reverse("api:create_referral"),
        lambda own, target: {
            "json": {
                "service": target.objects["service"].pk,
                "case_code": "SS-2024-018",
                "age_band": "14_17",
                "target_group": "youth",
            }
        },
        _count("inclusion.Referral"),
    ),
    "report routed to another tenant's police": (
        "administrator",
        lambda own: reverse("incidents:report_route", kwargs={"pk": own.objects["report"].pk}),
        lambda own, target: {"organisation": _route_to(own, target).pk},
        lambda own, target: (
            own.objects["report"].__class__.objects.get(pk=own.objects["report"].pk).routed_to_id
        ),
    ),
    "API report routed to another tenant's police": (
        "administrator",
        lambda own: reverse("api:route", kwargs={"report_id": own.objects["report"].pk}),
        lambda own, target: {"json": {"organisation": _route_to(own, target).slug}},
        lambda own, target: (
            own.objects["report"].__class__.objects.get(pk=own.objects["report"].pk).routed_to_id
        ),
    ),
    "member of another tenant removed through one's own organisation": (
        "administrator",
        lambda own: "",
        lambda own, target: {},
        _count("accounts.Membership"),
    ),
}


def _cross_url(case: str, own: Tenant, target: Tenant) -> str:
    if case.startswith("member of another tenant"):
        # Bologna's organisation in the address, the membership of ``target``'s manager.
        member = target.objects["membership"]
        if target is own:  # Bologna's own: remove its social worker, not the administrator
            from prossima.accounts.models import Membership

            member = Membership.objects.get(user=own.users["social_worker"])
        return reverse("accounts:remove_member", kwargs={"slug": own.org.slug, "pk": member.pk})
    return str(CROSS_WRITES[case][1](own))


@pytest.mark.parametrize("side", ["bologna", "modena"])
@pytest.mark.parametrize("case", sorted(CROSS_WRITES))
def test_writes_pointing_at_another_tenant_are_refused(
    case: str, side: str, own: Tenant, world: dict[str, Tenant]
) -> None:
    """Write as Bologna's staff pointing at Bologna's object (done) or Modena's (refused)."""
    role, _url, data, measure = CROSS_WRITES[case]
    target = world[side]
    url = _cross_url(case, own, target)
    client = staff(role)
    before_value, before = measure(own, target), table_counts()
    payload = data(own, target)
    if "json" in payload:
        response = client.post(url, data=payload["json"], content_type="application/json")
    else:
        response = client.post(url, data=payload)
    assert response.status_code < 500, url
    written = {
        t: n for t, n in changed_tables(before, table_counts()).items() if t not in BOOKKEEPING
    }
    changed = measure(own, target) != before_value
    if side == "bologna":
        assert changed, f"the same write on Bologna's own object failed ({response.status_code})"
    else:
        assert not changed, f"{url} wrote through to Modena ({response.status_code})"
        assert not written, f"{url}: a refused write wrote {written}"


@pytest.mark.parametrize("name", ["counterfeit:seizure", "counterfeit:seizure_edit"])
def test_own_tenant_address_does_not_open_another_tenants_seizure(
    name: str, own: Tenant, other: Tenant
) -> None:
    url = reverse(name, kwargs={"slug": own.org.slug, "pk": other.objects["seizure"].pk})
    client = staff("officer")
    before = table_counts()
    assert client.get(url).status_code == 404
    assert client.post(url, data={"notes": "sovrascritto"}).status_code == 404
    assert not changed_tables(before, table_counts()).keys() - BOOKKEEPING


def test_api_writes_on_modena_objects_with_valid_bodies_are_refused(
    own: Tenant, other: Tenant
) -> None:
    """Send the API writes well-formed bodies, so the refusal is the tenant's wall, not 422."""
    calls = [
        (
            "analyst",
            reverse("api:launch_run"),
            {"dataset_id": other.objects["dataset"].pk, "kind": "hotspots"},
        ),
        (
            "officer",
            reverse("api:log_visit", kwargs={"box_id": other.objects["box"].pk}),
            {"arrived_at": "2024-06-01T10:00:00+02:00", "minutes": 10},
        ),
        (
            "administrator",
            reverse("api:moderate", kwargs={"report_id": other.objects["report"].pk}),
            {"decision": "publish"},
        ),
        (
            "officer",
            reverse("api:change_status", kwargs={"report_id": other.objects["report"].pk}),
            {"status": "in_progress", "comment": "Preso in carico"},
        ),
        (
            "administrator",
            reverse("api:route", kwargs={"report_id": other.objects["report"].pk}),
            {"organisation": own.police.slug},
        ),
        (
            "social_worker",
            reverse("api:add_step", kwargs={"referral_id": other.objects["referral"].pk}),
            {"status": "accepted", "note": "Presa in carico"},
        ),
    ]
    before = table_counts()
    wrong = []
    for role, url, payload in calls:
        response = staff(role).post(url, data=payload, content_type="application/json")
        if response.status_code not in (403, 404):
            wrong.append(f"{url} as {role}: {response.status_code} {body_of(response)[:200]}")
    assert not wrong, "; ".join(wrong)
    assert not changed_tables(before, table_counts()).keys() - BOOKKEEPING


# --- the Django admin ------------------------------------------------------------------------


def _admin_models() -> list[Any]:
    from django.contrib import admin

    return list(admin.site._registry)


def _changelist(model: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_admin_refuses_comune_administrators(own: Tenant) -> None:
    client = staff("administrator")
    for url in [reverse("admin:index"), *map(_changelist, _admin_models())]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_admin_refuses_staff_who_are_not_platform_administrators(own: Tenant) -> None:
    """No page of the platform grants the staff flag; were one given, the admin stays shut.

    The admin's pages bypass the tenant rules, so only platform administrators enter.
    """
    user = own.users["administrator"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = as_user(user)
    for url in [reverse("admin:index"), *map(_changelist, _admin_models())]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
