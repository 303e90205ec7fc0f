"""The comuni endpoints of the API."""

from __future__ import annotations

from typing import Any


def test_search(client: Any) -> None:
    response = client.get("/api/comuni", {"q": "modena"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["istat_code"] == "036023"
    assert first["province"] == "Modena"
    assert first["region"] == "Emilia-Romagna"
    assert client.get("/api/comuni", {"q": "x", "limit": 500}).status_code == 422


def test_detail_with_population(client: Any) -> None:
    body = client.get("/api/comuni/037006").json()
    assert body["name"] == "Bologna"
    assert body["population_detail"]["total"] == 387971
    assert len(body["population_detail"]["pyramid"]) == 20
    assert body["bbox"][0] < 11.35 < body["bbox"][2]


def test_unknown_code_says_what_is_accepted(client: Any) -> None:
    response = client.get("/api/comuni/999999")
    assert response.status_code == 404
    assert "six digits" in response.json()["detail"]


def test_boundary_is_a_geojson_feature(client: Any) -> None:
    simplified = client.get("/api/comuni/037006/boundary").json()
    full = client.get("/api/comuni/037006/boundary", {"simplified": "false"}).json()
    assert simplified["type"] == "Feature"
    assert simplified["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(str(full["geometry"])) > len(str(simplified["geometry"]))


def test_point_lookup(client: Any) -> None:
    assert client.get("/api/comuni/at", {"lon": 11.3426, "lat": 44.4939}).json()["name"] == (
        "Bologna"
    )
    assert client.get("/api/comuni/at", {"lon": 13.5, "lat": 44.2}).status_code == 404
    assert client.get("/api/comuni/at", {"lon": 200, "lat": 44.2}).status_code == 422


def test_openapi_schema_lists_the_endpoints(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Prossima API"
    for path in (
        "/api/comuni",
        "/api/comuni/{istat_code}",
        "/api/comuni/{istat_code}/boundary",
        "/api/comuni/at",
        "/api/me",
        "/api/organisations",
    ):
        assert path in schema["paths"], path
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower(), "API docs load nothing from a CDN"
