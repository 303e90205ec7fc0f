"""The citizen-report API: the same rules as the web pages, described in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from prossima.accounts.actions import do_issue_api_token
from prossima.incidents.actions import (
    do_moderate_report,
    do_set_report_routing,
    do_submit_report,
)
from prossima.incidents.models import CitizenReport, ReportCategory
from prossima.incidents.privacy import distance_m
from tests.incidents.conftest import IMOLA, PIAZZA
from tests.incidents.test_reports import jpeg_with_gps

URL = "/api/reports"


def payload(**overrides: Any) -> dict[str, Any]:
    return {
        "category": "illuminazione-carente",
        "title": "Lampione spento",
        "description": "Spento da una settimana.",
        "lon": PIAZZA[0],
        "lat": PIAZZA[1],
        **overrides,
    }


def bearer(user: Any) -> dict[str, str]:
    _token, raw = do_issue_api_token(user, "test")
    return {"Authorization": f"Bearer {raw}"}


def published(city: dict[str, Any], code: str = "illuminazione-carente", **kwargs: Any) -> Any:
    report, _token = do_submit_report(
        city["citizen"],
        category=ReportCategory.objects.get(code=code),
        title=kwargs.pop("title", "Portico buio"),
        description="Buio la sera.",
        lon=PIAZZA[0],
        lat=PIAZZA[1],
        **kwargs,
    )
    do_moderate_report(city["moderator"], report, publish=True)
    return report


@pytest.fixture
def en() -> dict[str, str]:
    return {"Cookie": f"{django_settings.LANGUAGE_COOKIE_NAME}=en"}


def test_categories_are_public(city: dict[str, Any], client: Any) -> None:
    categories = client.get(f"{URL}/categories").json()
    codes = [c["code"] for c in categories]
    assert {"illuminazione-carente", "edificio-abbandonato", "spaccio", "molestie"} <= set(codes)
    assert next(c for c in categories if c["code"] == "molestie")["sensitive"] is True


def test_anonymous_submission_and_follow_up(city: dict[str, Any], client: Any) -> None:
    photo = SimpleUploadedFile("gps.jpg", jpeg_with_gps((800, 600)), "image/jpeg")
    response = client.post(URL, {**payload(), "photo": photo})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["comune"] == "037006"
    assert body["handled_by"] == "Comune di Bologna (test)"
    assert body["moderation_state"] == "pending"
    report = CitizenReport.objects.get(pk=body["id"])
    assert report.reporter is None
    with Image.open(report.photo.open("rb")) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    follow = client.get(f"{URL}/follow/{body['follow_token']}")
    assert follow.status_code == 200
    data = follow.json()
    assert data["status"] == "submitted"
    assert data["moderation_state"] == "pending"
    assert data["submitted_title"] == "Lampione spento"
    assert distance_m(*PIAZZA, *data["location"]) <= 72, "blurred, not exact"
    assert client.get(data["photo_url"]).status_code == 200
    assert client.get(f"{URL}/follow/wrong-token").status_code == 404
    assert body["follow_url"].endswith(f"/incidents/reports/follow/{body['follow_token']}/")


def test_anonymous_rate_limit_is_429(
    city: dict[str, Any], client: Any, settings: Any, en: dict[str, str]
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "REPORT_RATE_ANONYMOUS": 1}
    assert client.post(URL, payload()).status_code == 201
    response = client.post(URL, payload(), headers=en)
    assert response.status_code == 429
    assert "You have sent 1 reports in the last 60 minutes" in response.json()["detail"]


def test_authentication_when_given_must_be_valid(city: dict[str, Any], en: dict[str, str]) -> None:
    client = Client()
    response = client.post(URL, payload(), headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401, "a wrong token is not silently anonymous"
    response = client.post(URL, payload(), headers=bearer(city["citizen"]))
    assert response.status_code == 201
    assert CitizenReport.objects.get(pk=response.json()["id"]).reporter == city["citizen"]
    # A browser session must send its CSRF token, so no page elsewhere can post as the person.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(city["citizen"])
    assert browser.post(URL, payload()).status_code == 403


def test_refusals_say_what_is_wrong(city: dict[str, Any], client: Any, en: dict[str, str]) -> None:
    response = client.post(URL, payload(category="ufo"), headers=en)
    assert response.status_code == 422
    assert "Unknown category 'ufo'; accepted: illuminazione-carente" in response.json()["detail"]
    response = client.post(URL, payload(lon=IMOLA[0], lat=IMOLA[1]), headers=en)
    assert response.status_code == 422
    assert "Imola does not receive reports on Prossima yet" in response.json()["detail"]
    text = SimpleUploadedFile("a.png", b"not an image", "image/png")
    response = client.post(URL, {**payload(), "photo": text}, headers=en)
    assert response.status_code == 422
    assert "a.png is not a readable image" in response.json()["detail"]
    assert not CitizenReport.objects.exists()


def test_public_list_and_points_show_only_the_public_form(
    city: dict[str, Any], client: Any
) -> None:
    lamp = published(city, reporter_email="x@example.org")
    harassment = published(city, code="molestie", title="Molestie alla fermata")
    pending, _token = do_submit_report(
        None,
        category=ReportCategory.objects.get(code="vandalismo"),
        title="In attesa",
        description="Non ancora moderato.",
        lon=PIAZZA[0],
        lat=PIAZZA[1],
    )
    rows = client.get(f"{URL}/comuni/037006").json()
    assert {r["id"] for r in rows} == {lamp.pk, harassment.pk}
    row = next(r for r in rows if r["id"] == lamp.pk)
    for restricted in ("reporter", "exact_location", "created_at", "moderation_note", "tenant"):
        assert restricted not in row
    assert row["location"] == [lamp.public_lon, lamp.public_lat]
    assert row["location"] != [PIAZZA[0], PIAZZA[1]]
    assert row["location_precision_m"] == 100
    assert next(r for r in rows if r["id"] == harassment.pk)["location"] is None
    points = client.get(f"{URL}/comuni/037006/points").json()
    assert [f["id"] for f in points["features"]] == [lamp.pk], "no sensitive or pending points"
    assert client.get(f"{URL}/{pending.pk}").status_code == 404
    assert client.get(f"{URL}/{lamp.pk}").json()["title"] == "Portico buio"
    assert client.get(f"{URL}/comuni/999999").status_code == 404


def test_staff_endpoints_follow_the_permission_rules(city: dict[str, Any]) -> None:
    do_set_report_routing(
        None, city["comune"], ReportCategory.objects.get(code="spaccio"), city["police"]
    )
    report, _token = do_submit_report(
        city["citizen"],
        category=ReportCategory.objects.get(code="spaccio"),
        title="Spaccio serale",
        description="Ogni sera.",
        lon=PIAZZA[0],
        lat=PIAZZA[1],
    )
    client = Client()
    moderator, officer = bearer(city["moderator"]), bearer(city["officer"])
    outsider, citizen = bearer(city["outsider"]), bearer(city["citizen"])
    full = f"{URL}/{report.pk}/full"

    assert client.get(full).status_code == 401
    assert client.get(full, headers=outsider).status_code == 404
    assert client.get(full, headers=citizen).json()["reporter"] is None
    assert client.get(full, headers=moderator).json()["reporter"] == "cittadina"
    as_officer = client.get(full, headers=officer).json()
    assert as_officer["exact_location"] == list(PIAZZA)
    assert as_officer["reporter"] is None
    assert as_officer["submitted_description"] is None, "only moderators and the reporter"

    moderation = f"{URL}/{report.pk}/moderation"
    assert (
        client.post(moderation, {"decision": "publish"}, "application/json", headers=officer)
    ).status_code == 403
    assert (
        client.post(moderation, {"decision": "hide"}, "application/json", headers=moderator)
    ).status_code == 422, "hiding needs a note"
    response = client.post(
        moderation,
        {"decision": "publish", "title": "Spaccio la sera"},
        "application/json",
        headers=moderator,
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Spaccio la sera"
    assert response.json()["submitted_title"] == "Spaccio serale"

    status = f"{URL}/{report.pk}/status"
    assert (
        client.post(status, {"status": "confirmed"}, "application/json", headers=moderator)
    ).status_code == 403
    response = client.post(
        status,
        {"status": "in_progress", "comment": "Controlli"},
        "application/json",
        headers=officer,
    )
    assert response.status_code == 200
    assert response.json()["updates"][-1]["organisation"] == "PL Bologna (test)"
    response = client.post(status, {"status": "submitted"}, "application/json", headers=officer)
    assert response.status_code == 422

    route = f"{URL}/{report.pk}/route"
    response = client.post(
        route, {"organisation": city["modena"].slug}, "application/json", headers=moderator
    )
    assert response.status_code == 422
    assert (
        client.post(
            route, {"organisation": city["comune"].slug}, "application/json", headers=moderator
        ).json()["routed_to"]
        == city["comune"].slug
    )

    listed = client.get(f"{URL}/manage?state_type=open", headers=officer).json()
    assert [r["id"] for r in listed] == [report.pk]
    assert client.get(f"{URL}/manage", headers=outsider).json() == []
    assert client.get(f"{URL}/manage", headers=citizen).json() == []


def test_openapi_describes_the_report_endpoints(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/reports",
        "/api/reports/categories",
        "/api/reports/comuni/{istat_code}",
        "/api/reports/comuni/{istat_code}/points",
        "/api/reports/follow/{token}",
        "/api/reports/manage",
        "/api/reports/{report_id}",
        "/api/reports/{report_id}/full",
        "/api/reports/{report_id}/moderation",
        "/api/reports/{report_id}/status",
        "/api/reports/{report_id}/route",
    ):
        assert path in schema["paths"], path
    submit = schema["paths"]["/api/reports"]["post"]
    assert "multipart/form-data" in submit["requestBody"]["content"]
    assert {"201", "422", "429"} <= set(submit["responses"])
