"""Citizen reports: submission, routing, lifecycle, moderation, privacy, photos, rate limit.

Actions are tested directly and the pages over HTTP with people of the right
and the wrong role, on the real test database.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from prossima.accounts.models import AuditEvent
from prossima.incidents.actions import (
    ReportError,
    ReportRateLimitError,
    do_change_report_status,
    do_comment_on_report,
    do_moderate_report,
    do_route_report,
    do_set_report_routing,
    do_submit_report,
)
from prossima.incidents.models import (
    REPORT_STATE_TYPES,
    REPORT_TRANSITIONS,
    CitizenReport,
    ModerationState,
    ReportCategory,
    ReportStatus,
)
from prossima.incidents.privacy import blur_point, distance_m
from tests.incidents.conftest import IMOLA, PIAZZA, ROME


def category(code: str = "illuminazione-carente") -> ReportCategory:
    return ReportCategory.objects.get(code=code)


def submit(
    actor: Any = None,
    *,
    code: str = "illuminazione-carente",
    point: tuple[float, float] = PIAZZA,
    **kwargs: Any,
) -> tuple[CitizenReport, str]:
    kwargs.setdefault("title", "Lampione spento")
    kwargs.setdefault("description", "Il lampione all'angolo è spento da una settimana.")
    return do_submit_report(actor, category=category(code), lon=point[0], lat=point[1], **kwargs)


def english(client: Any) -> Any:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def jpeg_with_gps(size: tuple[int, int] = (2400, 1600), orientation: int | None = None) -> bytes:
    """Return a real JPEG whose EXIF carries a GPS position (and optionally an orientation)."""
    image = Image.new("RGB", size, (180, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (44.0, 29.0, 37.36)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (11.0, 20.0, 33.42)
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo carries GPS"
    return data


def form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "category": category().pk,
        "title": "Lampione spento",
        "description": "Il lampione all'angolo è spento da una settimana.",
        "lat": PIAZZA[1],
        "lon": PIAZZA[0],
        **overrides,
    }


# --- Submission and routing ------------------------------------------------------


def test_a_report_goes_to_the_comune_and_waits_for_moderation(city: dict[str, Any]) -> None:
    report, token = submit(city["citizen"])
    assert report.tenant == city["comune"]
    assert report.comune.istat_code == "037006"
    assert report.routed_to == city["comune"], "the tenant itself without a routing"
    assert report.status == ReportStatus.SUBMITTED
    assert report.state_type == "open"
    assert report.moderation_state == ModerationState.PENDING
    assert report.reporter == city["citizen"]
    assert report.original_title == report.title
    # Only the digest of the follow-up token is stored.
    assert token not in str(CitizenReport.objects.filter(pk=report.pk).values().get())
    assert report.follow_digest == CitizenReport.follow_digest_of(token)
    assert AuditEvent.objects.filter(
        action="create", object_type="incidents.citizenreport", object_id=str(report.pk)
    ).exists()


def test_every_status_has_a_state_type_and_nothing_returns_to_submitted() -> None:
    assert set(REPORT_STATE_TYPES) == set(ReportStatus.values)
    assert {REPORT_STATE_TYPES[s] for s in ReportStatus.values} == {"open", "closed", "fixed"}
    assert all(ReportStatus.SUBMITTED not in moves for moves in REPORT_TRANSITIONS.values())


def test_routing_sends_a_category_to_the_police(city: dict[str, Any], english: Any) -> None:
    spaccio = category("spaccio")
    with pytest.raises(PermissionDenied):
        do_set_report_routing(city["clerk"], city["comune"], spaccio, city["police"])
    with pytest.raises(ReportError, match="does not belong to Comune di Bologna"):
        do_set_report_routing(city["manager"], city["comune"], spaccio, city["modena"])
    do_set_report_routing(city["manager"], city["comune"], spaccio, city["police"])
    report, _token = submit(code="spaccio", title="Spaccio serale", description="Ogni sera.")
    assert report.routed_to == city["police"]
    lamp, _token = submit()
    assert lamp.routed_to == city["comune"], "other categories still go to the comune"
    # The police handle it, the comune's officers do not; its managers do.
    assert city["officer"].has_perm("incidents.change_report_status", report)
    assert not city["clerk"].has_perm("incidents.change_report_status", report)
    assert city["manager"].has_perm("incidents.change_report_status", report)
    assert not city["officer"].has_perm("incidents.change_report_status", lamp)
    # Routing back to the comune clears the rule; a moderator re-routes one report.
    do_set_report_routing(city["manager"], city["comune"], spaccio, city["comune"])
    assert submit(code="spaccio")[0].routed_to == city["comune"]
    do_route_report(city["moderator"], lamp, city["police"])
    assert lamp.routed_to == city["police"]


def test_points_outside_a_tenant_are_refused_clearly(city: dict[str, Any], english: Any) -> None:
    with pytest.raises(ReportError, match="Imola does not receive reports on Prossima yet"):
        submit(point=IMOLA)
    with pytest.raises(ReportError, match="not inside any Italian comune"):
        submit(point=ROME)
    with pytest.raises(ReportError, match="Write a short title"):
        submit(title="   ")
    assert not CitizenReport.objects.exists()


# --- Lifecycle -------------------------------------------------------------------


def test_lifecycle_and_invalid_transitions(city: dict[str, Any], english: Any) -> None:
    report, _token = submit()
    manager = city["manager"]
    do_change_report_status(manager, report, "confirmed", comment="Verificato.")
    do_change_report_status(manager, report, "in_progress")
    do_change_report_status(manager, report, "resolved", comment="Lampione riparato.")
    assert report.state_type == "fixed"
    with pytest.raises(ReportError, match="cannot become “Not our responsibility”"):
        do_change_report_status(manager, report, "not_responsible")
    with pytest.raises(ReportError, match="cannot become “Submitted”"):
        do_change_report_status(manager, report, "submitted")
    with pytest.raises(ReportError, match="Unknown status"):
        do_change_report_status(manager, report, "closed")
    do_change_report_status(manager, report, "confirmed", comment="Di nuovo spento.")
    assert report.state_type == "open"
    do_comment_on_report(manager, report, "Ricontrolliamo domani.")
    report.refresh_from_db()
    assert report.status == "confirmed"
    steps = [(u.old_status, u.new_status) for u in report.updates.all()]
    assert steps == [
        ("submitted", "confirmed"),
        ("confirmed", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "confirmed"),
        ("", ""),
    ]
    assert {u.organisation for u in report.updates.all()} == {city["comune"]}
    with pytest.raises(PermissionDenied):
        do_change_report_status(city["moderator"], report, "in_progress")


def test_duplicates_point_at_an_original_of_the_same_comune(
    city: dict[str, Any], english: Any
) -> None:
    first, _t = submit()
    second, _t = submit(title="Ancora buio")
    manager = city["manager"]
    with pytest.raises(ReportError, match="Give the number"):
        do_change_report_status(manager, second, "duplicate")
    with pytest.raises(ReportError, match="not itself"):
        do_change_report_status(manager, second, "duplicate", duplicate_of=second)
    do_change_report_status(manager, second, "duplicate", duplicate_of=first)
    assert second.duplicate_of == first
    assert second.state_type == "closed"
    third, _t = submit(title="Terzo")
    with pytest.raises(ReportError, match="itself a duplicate"):
        do_change_report_status(manager, third, "duplicate", duplicate_of=second)
    do_change_report_status(manager, second, "confirmed")
    assert second.duplicate_of is None, "reopening forgets the duplicate link"


# --- Moderation and privacy ------------------------------------------------------


def test_moderation_edits_and_hides_but_keeps_the_original(
    city: dict[str, Any], english: Any
) -> None:
    report, _token = submit(description="Spacciano davanti al bar di Mario Rossi.", code="spaccio")
    with pytest.raises(PermissionDenied):
        do_moderate_report(city["officer"], report, publish=True)
    do_moderate_report(
        city["moderator"], report, publish=True, description="Spaccio davanti a un bar."
    )
    report.refresh_from_db()
    assert report.is_public
    assert report.description == "Spaccio davanti a un bar."
    assert report.original_description == "Spacciano davanti al bar di Mario Rossi."
    assert report.edited_by_moderators
    assert report.moderated_by == city["moderator"]
    with pytest.raises(ReportError, match="Say why"):
        do_moderate_report(city["moderator"], report, publish=False)
    do_moderate_report(city["manager"], report, publish=False, note="Contiene accuse a persone.")
    report.refresh_from_db()
    assert report.moderation_state == ModerationState.HIDDEN
    assert report.original_description == "Spacciano davanti al bar di Mario Rossi."


def test_public_pages_never_leak_reporter_exact_place_time_or_replaced_text(
    city: dict[str, Any], client: Any
) -> None:
    anonymous, _token = submit(
        None,
        reporter_email="segreta.persona@example.org",
        description="Buio totale, lo dice anche Mario Rossi.",
    )
    mine, _token = submit(city["citizen"], title="Portico buio")
    for report in (anonymous, mine):
        do_moderate_report(
            city["moderator"], report, publish=True, description="Buio totale sotto il portico."
        )
    hidden, _token = submit(title="Testo nascosto dai moderatori")
    do_moderate_report(city["moderator"], hidden, publish=False, note="Offensivo.")
    pending, _token = submit(title="Ancora in attesa")

    pages = [
        client.get(reverse("incidents:report_comune", args=["037006"])),
        client.get(reverse("incidents:report", args=[anonymous.pk])),
        client.get(reverse("incidents:report", args=[mine.pk])),
        client.get("/api/reports/comuni/037006"),
        client.get("/api/reports/comuni/037006/points"),
        client.get(f"/api/reports/{anonymous.pk}"),
        client.get(reverse("incidents:reports")),
    ]
    exact_time = timezone.localtime(anonymous.created_at).strftime("%H:%M")
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        text = response.content.decode()
        for secret in (
            "cittadina",
            "segreta.persona",
            "Mario Rossi",
            f"{PIAZZA[0]:.6f}",
            f"{PIAZZA[1]:.6f}",
            str(PIAZZA[0]),
            "Testo nascosto",
            "Ancora in attesa",
            "Offensivo",
        ):
            assert secret not in text, (secret, response.request["PATH_INFO"])
        assert not re.search(rf"\b{exact_time}\b", text), response.request["PATH_INFO"]
    assert "Buio totale sotto il portico." in pages[1].content.decode()
    for report in (hidden, pending):
        assert client.get(reverse("incidents:report", args=[report.pk])).status_code == 404
        assert client.get(f"/api/reports/{report.pk}").status_code == 404


def test_staff_and_reporter_see_more_and_their_visits_are_audited(
    city: dict[str, Any], client: Any
) -> None:
    report, _token = submit(city["citizen"], description="Davanti al civico 3 di Mario Rossi.")
    do_moderate_report(city["moderator"], report, publish=True, description="Davanti a un civico.")
    url = reverse("incidents:report", args=[report.pk])

    client.force_login(city["moderator"])
    html = client.get(url).content.decode()
    assert 'data-testid="reporter"' in html
    assert "cittadina" in html
    assert "Mario Rossi" in html, "moderators see the original"
    assert f"{PIAZZA[1]:.6f}" in html
    assert 'data-testid="moderation-form"' in html
    assert 'data-testid="status-form"' not in html, "moderators do not handle"
    assert AuditEvent.objects.filter(action="view", object_id=str(report.pk)).exists()

    client.force_login(city["officer"])  # the police see the tenant's reports, not who sent them
    html = client.get(url).content.decode()
    assert f"{PIAZZA[1]:.6f}" in html
    assert "cittadina" not in html
    assert "Mario Rossi" not in html

    client.force_login(city["citizen"])
    html = client.get(url).content.decode()
    assert "Mario Rossi" in html, "the reporter sees what they wrote"
    assert 'data-testid="moderation-form"' not in html
    assert client.get(reverse("incidents:my_reports")).content.decode().count(report.title) == 1

    client.force_login(city["neighbour"])
    assert "Mario Rossi" not in client.get(url).content.decode()
    assert report.title not in client.get(reverse("incidents:my_reports")).content.decode()


def test_pending_reports_are_visible_only_to_their_people(
    city: dict[str, Any], client: Any
) -> None:
    report, _token = submit(city["citizen"])
    url = reverse("incidents:report", args=[report.pk])
    assert client.get(url).status_code == 404
    for name, status in [
        ("neighbour", 404),
        ("outsider", 404),
        ("citizen", 200),
        ("moderator", 200),
        ("clerk", 200),
        ("officer", 200),
    ]:
        client.force_login(city[name])
        assert client.get(url).status_code == status, name


def test_moderation_and_status_pages(city: dict[str, Any], client: Any) -> None:
    report, _token = submit(city["citizen"])
    client.force_login(city["officer"])
    moderate = reverse("incidents:report_moderate", args=[report.pk])
    status = reverse("incidents:report_status", args=[report.pk])
    assert client.post(moderate, {"decision": "publish"}).status_code == 404
    assert client.post(status, {"status": "confirmed"}).status_code == 404, "routed to the comune"

    client.force_login(city["moderator"])
    queue = client.get(reverse("incidents:reports_manage"))
    assert report.title in queue.content.decode()
    response = client.post(
        moderate,
        {
            "decision": "publish",
            "title": "Lampione spento in piazza",
            "description": report.description,
            "note": "",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.is_public
    assert report.title == "Lampione spento in piazza"
    assert report.original_title == "Lampione spento"

    client.force_login(city["clerk"])
    response = client.post(status, {"status": "in_progress", "comment": "Squadra in arrivo."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "in_progress"
    english(client)
    response = client.post(status, {"status": "submitted"}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    response = client.post(status, {"status": "", "comment": ""}, follow=True)
    assert "Choose a new status or write a comment" in response.content.decode()
    public = client.get(reverse("incidents:report", args=[report.pk])).content.decode()
    assert "Squadra in arrivo." in public
    assert "Comune di Bologna (test)" in public


def test_routing_page_for_the_tenant_managers(city: dict[str, Any], client: Any) -> None:
    url = reverse("incidents:report_routing", args=[city["comune"].slug])
    client.force_login(city["moderator"])
    assert client.get(url).status_code == 403
    client.force_login(city["manager"])
    page = client.get(url)
    assert page.status_code == 200
    data = {c.code: city["comune"].pk for c in ReportCategory.objects.filter(active=True)}
    data["spaccio"] = city["police"].pk
    assert client.post(url, data).status_code == 302
    assert submit(code="spaccio")[0].routed_to == city["police"]


# --- Blurring --------------------------------------------------------------------


def test_blurring_stays_within_100_m_and_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    lons = rng.uniform(6.7, 18.5, 500)  # across Italy, both UTM zones
    lats = rng.uniform(36.6, 47.1, 500)
    worst = 0.0
    for lon, lat in zip(lons, lats, strict=True):
        public = blur_point(float(lon), float(lat))
        assert public == blur_point(float(lon), float(lat))
        worst = max(worst, distance_m(lon, lat, *public))
    assert 40 < worst <= 72, "at most half the diagonal of a 100 m cell"
    # Points in one cell share one public point; a point 100 m away gets another.
    a = blur_point(11.342618, 44.493712)
    assert blur_point(*a) == a
    assert blur_point(11.342618, 44.493712 + 0.0018) != a


# --- Photos ----------------------------------------------------------------------


def test_photo_gps_and_all_exif_are_removed(city: dict[str, Any], client: Any) -> None:
    client.force_login(city["citizen"])
    photo = SimpleUploadedFile("IMG_0001.JPG", jpeg_with_gps(orientation=6), "image/jpeg")
    response = client.post(reverse("incidents:report_new"), form_data(photo=photo))
    assert response.status_code == 302
    report = CitizenReport.objects.get()
    stored = report.photo.read()
    assert b"Exif" not in stored
    assert b"TestCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in image.info
        # Turned upright (orientation 6: rotate 90°) and no longer than 2000 px.
        assert image.size == (1333, 2000)
    assert "IMG_0001" not in report.photo.name


def test_photos_are_served_only_to_who_may_see_them(city: dict[str, Any], client: Any) -> None:
    report, _token = submit(
        city["citizen"], photo=io.BytesIO(jpeg_with_gps((400, 300))), photo_name="a.jpg"
    )
    url = reverse("incidents:report_photo", args=[report.pk])
    assert client.get(url).status_code == 404, "pending"
    do_moderate_report(city["moderator"], report, publish=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    do_moderate_report(city["moderator"], report, publish=True, hide_photo=True)
    assert client.get(url).status_code == 404, "hidden photo"
    assert (
        "report-photo"
        not in client.get(reverse("incidents:report", args=[report.pk])).content.decode()
    )
    client.force_login(city["moderator"])
    assert client.get(url).status_code == 200
    assert client.get(url)["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"GIF", "anim.gif", "This file is a GIF image, which is not accepted"),
        (b"plain text, not a picture", "photo.jpg", "photo.jpg is not a readable image"),
        (b"\xff" * (1024 * 1024 + 10), "big.jpg", "more than the 1 MB accepted"),
    ],
)
def test_wrong_or_too_large_photos_are_refused_clearly(
    city: dict[str, Any], client: Any, settings: Any, content: bytes, name: str, message: str
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "REPORT_PHOTO_MAX_MB": 1}
    if content == b"GIF":
        out = io.BytesIO()
        Image.new("RGB", (20, 20)).save(out, "GIF")
        content = out.getvalue()
    english(client)
    response = client.post(
        reverse("incidents:report_new"),
        form_data(photo=SimpleUploadedFile(name, content, "image/jpeg")),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Accepted: JPEG, PNG or WebP photos up to 1 MB." in response.content.decode()
    assert "Lampione spento" in response.content.decode(), "the text typed so far is kept"
    assert not CitizenReport.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(
    city: dict[str, Any], client: Any, settings: Any
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "REPORT_PHOTO_MAX_MB": 1}
    english(client)
    photo = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")
    response = client.post(reverse("incidents:report_new"), form_data(photo=photo))
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()


# --- Anonymous reports, rate limit, follow-up ------------------------------------


def test_anonymous_rate_limit_gives_a_clear_form_error(
    city: dict[str, Any], client: Any, settings: Any
) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "REPORT_RATE_ANONYMOUS": 2}
    english(client)
    url = reverse("incidents:report_new")
    assert client.post(url, form_data()).status_code == 302
    assert client.post(url, form_data()).status_code == 302
    response = client.post(url, form_data())
    assert response.status_code == 429
    assert "You have sent 2 reports in the last 60 minutes" in response.content.decode()
    assert CitizenReport.objects.count() == 2
    # Another address and a logged-in person are counted apart.
    assert client.post(url, form_data(), REMOTE_ADDR="10.0.0.9").status_code == 302
    client.force_login(city["citizen"])
    assert client.post(url, form_data()).status_code == 302
    with pytest.raises(ReportRateLimitError):
        submit(AnonymousUser(), client_ip="127.0.0.1")
    submit(None)  # the system (demo loader) is never limited


def test_invalid_form_input_is_reported_per_field(city: dict[str, Any], client: Any) -> None:
    english(client)
    response = client.post(reverse("incidents:report_new"), form_data(lat=ROME[1], lon=ROME[0]))
    assert response.status_code == 400
    assert 'data-testid="location-error"' in response.content.decode()
    assert "not inside any Italian comune" in response.content.decode()
    response = client.post(reverse("incidents:report_new"), form_data(lat="north"))
    assert response.status_code == 400


def test_anonymous_reporter_follows_the_report_by_link(
    city: dict[str, Any], client: Any, mailoutbox: Any
) -> None:
    english(client)
    response = client.post(
        reverse("incidents:report_new"), form_data(reporter_email="anna@example.org")
    )
    assert response.status_code == 302
    follow_url = response["Location"]
    assert follow_url.startswith("/incidents/reports/follow/")
    assert len(mailoutbox) == 1
    assert follow_url in mailoutbox[0].body
    report = CitizenReport.objects.get()
    assert report.reporter is None
    assert report.reporter_email == "anna@example.org"

    page = client.get(follow_url)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    html = page.content.decode()
    assert "Waiting for moderation" in html
    assert "Submitted" in html
    assert "anna@example.org" not in html

    do_moderate_report(city["moderator"], report, publish=True)
    do_change_report_status(city["manager"], report, "in_progress", comment="In lavorazione.")
    html = client.get(follow_url).content.decode()
    assert "In progress" in html
    assert "In lavorazione." in html
    assert "Published" in html

    assert client.get("/incidents/reports/follow/not-the-token/").status_code == 404
    assert client.get(follow_url.replace("follow/", "follow/x")).status_code == 404


def test_report_form_works_without_javascript(city: dict[str, Any], client: Any) -> None:
    html = client.get(reverse("incidents:report_new") + "?comune=037006").content.decode()
    assert 'name="lat"' in html
    assert 'name="lon"' in html
    assert "data-report-picker" in html
    assert "/api/comuni/037006/boundary" in html
    assert 'name="reporter_email"' in html
    for chunk in html.split("<script")[1:]:
        assert chunk.lstrip().startswith("src="), "no inline script"
    client.force_login(city["citizen"])
    assert (
        'name="reporter_email"' not in client.get(reverse("incidents:report_new")).content.decode()
    )


# --- Demo ------------------------------------------------------------------------


def test_demo_reports_are_illustrative_and_load_once(client: Any) -> None:
    from prossima.demo import DEMO_REPORTS, load_demo_accounts, load_demo_reports

    orgs = load_demo_accounts()
    assert load_demo_reports(orgs) == len(DEMO_REPORTS)
    assert load_demo_reports(orgs) == 0
    reports = CitizenReport.objects.filter(tenant=orgs["comune"])
    assert reports.count() == len(DEMO_REPORTS)
    assert all(r.illustrative for r in reports)
    assert {r.status for r in reports} >= {"in_progress", "resolved", "duplicate", "submitted"}
    assert reports.filter(moderation_state="hidden").exists()
    assert not reports.filter(category__code__in=["spaccio", "molestie"]).exists()
    english(client)
    html = client.get(reverse("incidents:report_comune", args=["037006"])).content.decode()
    published = reports.filter(moderation_state="published").count()
    assert html.count('data-testid="illustrative"') == published
    assert "Illustrative example" in html


def test_manage_page_is_for_staff_and_links_routing(city: dict[str, Any], client: Any) -> None:
    url = reverse("incidents:reports_manage")
    client.force_login(city["citizen"])
    assert client.get(url).status_code == 403
    client.force_login(city["officer"])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["queue"] is None, "officers do not moderate"
    client.force_login(city["manager"])
    html = client.get(url).content.decode()
    assert reverse("incidents:report_routing", args=[city["comune"].slug]) in html
    comune_page = client.get("/comuni/037006/").content.decode()
    assert reverse("incidents:report_comune", args=["037006"]) in comune_page
