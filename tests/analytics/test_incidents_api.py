"""The restricted incidents API: same permissions as the web, paged, filtered, audited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from prossima.accounts.models import AuditEvent


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_datasets_and_incidents_for_the_tenants_staff(toronto: dict[str, Any]) -> None:
    client = client_for(toronto["officer"])
    datasets = client.get("/api/incidents/datasets").json()
    assert [(d["name"], d["incidents"], d["version"]) for d in datasets] == [
        ("MCI downtown", 11_740, 1)
    ]
    url = f"/api/incidents/datasets/{datasets[0]['id']}/incidents"
    page = client.get(url, {"limit": 50, "since": "2019-01-01"}).json()
    assert page["count"] == 6_104  # local dates of 2019 in the extract
    assert len(page["results"]) == 50
    first = page["results"][0]
    assert first["occurred_from"] >= "2019-01-01T05:00:00Z"
    assert set(first) >= {"category", "lon", "lat", "sensitive", "source_kind"}
    assert not {"victim", "offender", "name"} & set(first)
    robbery = client.get(url, {"category": "rapina", "limit": 5000}).json()
    assert {r["category"] for r in robbery["results"]} == {"rapina"}
    assert robbery["count"] == len(robbery["results"]) > 0
    assert client.get(url, {"limit": 0}).status_code == 400
    assert (
        AuditEvent.objects.filter(
            object_type="incidents.incident", action="export", actor=toronto["officer"]
        ).count()
        == 2
    )


def test_others_cannot_list_or_read(toronto: dict[str, Any]) -> None:
    outsider = client_for(toronto["outsider"])
    assert outsider.get("/api/incidents/datasets").json() == []
    url = f"/api/incidents/datasets/{toronto['dataset'].pk}/incidents"
    assert outsider.get(url).status_code == 404
    assert Client().get(url).status_code == 401
    schema = Client().get("/api/openapi.json").json()
    assert "/api/incidents/datasets/{dataset_id}/incidents" in schema["paths"]
