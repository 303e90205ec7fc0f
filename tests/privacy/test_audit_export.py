"""Audit export for the data-protection officer: who may, and what the file holds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.urls import reverse
from django.utils import timezone

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, OrganisationKind, Role


def _events(world: dict[str, Any], other: Any) -> None:
    admin, comune = world["admin"], world["comune"]
    do_record_audit(admin, "view", "incidents.incident", 1, "ours", organisation=comune)
    do_record_audit(admin, "update", "incidents.dataset", 2, "ours too", organisation=comune)
    do_record_audit(admin, "view", "incidents.incident", 3, "theirs", organisation=other)


def _query(org: Any, fmt: str = "csv", days: int = 0) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "organisation": org.pk if org else "",
        "start": (today - dt.timedelta(days=days)).isoformat(),
        "end": today.isoformat(),
        "format": fmt,
    }


def test_an_administrator_exports_their_organisations_log_as_csv_and_json(
    world: dict[str, Any], make_org: Any, modena: Any, client: Any
) -> None:
    other = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    _events(world, other)
    client.force_login(world["admin"])
    assert client.get(reverse("privacy:audit")).status_code == 200

    response = client.get(reverse("privacy:audit"), _query(world["comune"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    labels = {r["object_label"] for r in rows}
    assert {"ours", "ours too"} <= labels
    assert "theirs" not in labels, "another organisation's events never leak"
    assert {r["organisation_id"] for r in rows} == {str(world["comune"].pk)}
    export = AuditEvent.objects.get(action="export", object_type="accounts.auditevent")
    assert export.actor_id == world["admin"].pk
    assert export.detail["rows"] == len(rows)
    assert export.detail["format"] == "csv"

    as_json = json.loads(
        client.get(reverse("privacy:audit"), _query(world["comune"], "json")).content
    )
    assert "theirs" not in {r["object_label"] for r in as_json}
    assert "ours" in {r["object_label"] for r in as_json}
    # The first export is in the second one: exports are audited like any access.
    assert any(r["action"] == "export" for r in as_json)


def test_the_date_range_bounds_the_export(world: dict[str, Any], client: Any) -> None:
    do_record_audit(world["admin"], "view", "x", 1, "today", organisation=world["comune"])
    client.force_login(world["admin"])
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    query = {**_query(world["comune"]), "start": yesterday, "end": yesterday}
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("privacy:audit"), query).content.decode()))
    )
    assert rows == []
    bad = {**_query(world["comune"]), "start": "2026-02-01", "end": "2026-01-01"}
    assert client.get(reverse("privacy:audit"), bad).status_code == 400


def test_people_without_the_permission_are_refused(
    world: dict[str, Any], make_org: Any, make_user: Any, modena: Any, client: Any
) -> None:
    other = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    manager = make_user(world["comune"], Role.MANAGER)
    other_admin = make_user(other, Role.ADMINISTRATOR)
    for person in (world["alice"], manager):
        client.force_login(person)
        assert client.get(reverse("privacy:audit")).status_code == 403
        assert client.get(reverse("privacy:audit"), _query(world["comune"])).status_code == 403
    client.force_login(other_admin)
    refused = client.get(reverse("privacy:audit"), _query(world["comune"]))
    assert refused.status_code == 400, "Bologna is not among the organisations offered"
    assert not AuditEvent.objects.filter(
        action="export", object_type="accounts.auditevent"
    ).exists()
    assert client.get(reverse("privacy:audit"), _query(None)).status_code == 400
    client.logout()
    assert client.get(reverse("privacy:audit")).status_code == 302


def test_a_platform_administrator_exports_every_organisation(
    world: dict[str, Any], make_org: Any, make_user: Any, modena: Any, client: Any
) -> None:
    other = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    _events(world, other)
    client.force_login(make_user(is_superuser=True, is_staff=True))
    rows = json.loads(client.get(reverse("privacy:audit"), _query(None, "json")).content)
    assert {"ours", "theirs"} <= {r["object_label"] for r in rows}
