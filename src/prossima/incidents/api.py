"""API endpoints for citizen reports: public list and map points, submission, follow-up,
and for the staff moderation, status changes and routing.

Public answers carry the report as the public sees it on the web: moderated
text, the date without the time, the location blurred to a 100 m cell (none
for sensitive categories), never the reporter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.security import SessionAuth

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.config.api import AUTHENTICATED, token_auth
from prossima.config.openapi import ErrorOut
from prossima.incidents import queries
from prossima.incidents.actions import (
    REPORT_OBJECT,
    ReportError,
    ReportRateLimitError,
    do_change_report_status,
    do_comment_on_report,
    do_moderate_report,
    do_route_report,
    do_submit_report,
    send_follow_link,
)
from prossima.incidents.models import CitizenReport, ReportCategory, ReportUpdate
from prossima.incidents.photos import PhotoError
from prossima.incidents.privacy import BLUR_CELL_M
from prossima.incidents.ratelimit import client_ip
from prossima.territory.queries import comune_by_code

router = Router()


class OptionalSessionAuth(SessionAuth):
    """The session of a logged-in browser; without a session cookie, no CSRF check is due.

    With the cookie, the CSRF check applies as for every session write, so a
    foreign page cannot submit in the person's name.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)


def anonymous(request: HttpRequest) -> Any:
    """Let a request without credentials through as anonymous (a wrong token still fails)."""
    if request.headers.get("Authorization"):
        return None
    request.user = AnonymousUser()
    return request.user


SUBMITTERS = [token_auth, OptionalSessionAuth(), anonymous]


class CategoryOut(Schema):
    code: str
    label: str
    label_it: str
    label_en: str
    sensitive: bool


class UpdateOut(Schema):
    date: date
    new_status: str
    new_status_label: str
    comment: str
    organisation: str | None


class PublicReportOut(Schema):
    id: int
    url: str
    comune: str
    comune_name: str
    category: str
    category_label: str
    title: str
    description: str
    status: str
    status_label: str
    state_type: str
    date: date
    handled_by: str
    location: list[float] | None
    location_precision_m: float
    photo_url: str | None
    illustrative: bool
    updates: list[UpdateOut]


class FollowOut(PublicReportOut):
    submitted_title: str
    submitted_description: str
    moderation_state: str
    moderation_note: str


class StaffReportOut(PublicReportOut):
    tenant: str
    routed_to: str
    exact_location: list[float]
    created_at: datetime
    moderation_state: str
    moderation_note: str
    # What the citizen wrote, to moderators and the reporter only (it may name people).
    submitted_title: str | None
    submitted_description: str | None
    duplicate_of: int | None
    photo_hidden: bool
    reporter: str | None


class SubmitIn(Schema):
    category: str
    title: str
    description: str
    lon: float
    lat: float
    reporter_email: str = ""


class SubmitOut(Schema):
    id: int
    follow_token: str
    follow_url: str
    comune: str
    handled_by: str
    status: str
    moderation_state: str


class ModerateIn(Schema):
    decision: Literal["publish", "hide"]
    title: str | None = None
    description: str | None = None
    note: str = ""
    hide_photo: bool | None = None


class StatusIn(Schema):
    status: str | None = None
    comment: str = ""
    duplicate_of: int | None = None


class RouteIn(Schema):
    organisation: str


class StaffFilter(Schema):
    comune: str = ""
    moderation_state: str = ""
    state_type: str = ""
    limit: int = 100
    offset: int = 0


def _updates(report: CitizenReport) -> list[dict[str, Any]]:
    return [_update_out(u) for u in queries.report_timeline(report)]


def _update_out(update: ReportUpdate) -> dict[str, Any]:
    return {
        "date": timezone.localdate(update.created_at),
        "new_status": update.new_status,
        "new_status_label": update.get_new_status_display() if update.new_status else "",
        "comment": update.comment,
        "organisation": update.organisation.name if update.organisation else None,
    }


def _public(report: CitizenReport, request: HttpRequest) -> dict[str, Any]:
    shows_photo = bool(report.photo) and not report.photo_hidden
    return {
        "id": report.pk,
        "url": request.build_absolute_uri(report.get_absolute_url()),
        "comune": report.comune.istat_code,
        "comune_name": report.comune.name,
        "category": report.category.code,
        "category_label": report.category.label,
        "title": report.title,
        "description": report.description,
        "status": report.status,
        "status_label": report.get_status_display(),
        "state_type": report.state_type,
        "date": timezone.localdate(report.created_at),
        "handled_by": report.routed_to.name,
        "location": (None if report.category.sensitive else [report.public_lon, report.public_lat]),
        "location_precision_m": BLUR_CELL_M,
        "photo_url": (
            request.build_absolute_uri(reverse("incidents:report_photo", args=[report.pk]))
            if shows_photo
            else None
        ),
        "illustrative": report.illustrative,
        "updates": _updates(report),
    }


def _staff(report: CitizenReport, request: HttpRequest) -> dict[str, Any]:
    can_moderate = request.user.has_perm("incidents.moderate_report", report)
    sees_original = can_moderate or (
        report.reporter_id is not None and report.reporter_id == request.user.pk
    )
    reporter = None
    if can_moderate and report.reporter_id:
        reporter = report.reporter.get_username()  # type: ignore[union-attr]
    elif can_moderate and report.reporter_email:
        reporter = report.reporter_email
    return {
        **_public(report, request),
        "location": [report.public_lon, report.public_lat],
        "photo_url": (
            request.build_absolute_uri(reverse("incidents:report_photo", args=[report.pk]))
            if report.photo
            else None
        ),
        "tenant": report.tenant.slug,
        "routed_to": report.routed_to.slug,
        "exact_location": [report.lon, report.lat],
        "created_at": report.created_at,
        "moderation_state": report.moderation_state,
        "moderation_note": report.moderation_note,
        "submitted_title": report.original_title if sees_original else None,
        "submitted_description": report.original_description if sees_original else None,
        "duplicate_of": report.duplicate_of_id,
        "photo_hidden": report.photo_hidden,
        "reporter": reporter,
    }


def _comune(istat_code: str) -> Any:
    found = comune_by_code(istat_code)
    if found is None:
        raise HttpError(
            404, f"No comune with ISTAT code {istat_code!r}; codes have six digits, e.g. 037006."
        )
    return found


def _visible_report(request: HttpRequest, report_id: int) -> CitizenReport:
    found = queries.report_for_staff(report_id)
    if found is None or not request.user.has_perm("incidents.view_report", found):
        raise HttpError(404, f"No report {report_id} that you may see.")
    return found


@router.get("/categories", response=list[CategoryOut], summary="Categories of concerns")
def categories(request: HttpRequest) -> list[ReportCategory]:
    """Return the categories citizens may report, in display order."""
    return list(queries.report_categories())


@router.get(
    "/comuni/{istat_code}",
    response=list[PublicReportOut],
    summary="Published reports of a comune",
)
def comune_reports(
    request: HttpRequest, istat_code: str, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Return the published reports of a comune, newest first (public form, blurred)."""
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(422, "limit must be between 1 and 500 and offset at least 0.")
    found = queries.published_reports(_comune(istat_code)).prefetch_related("updates__organisation")
    return [_public(r, request) for r in found[offset : offset + limit]]


@router.get(
    "/comuni/{istat_code}/points",
    response=dict[str, Any],
    url_name="report_points",
    summary="Published reports of a comune as GeoJSON points (blurred)",
)
def comune_report_points(request: HttpRequest, istat_code: str) -> dict[str, Any]:
    """Return the published reports as a GeoJSON FeatureCollection of 100 m cell centres.

    Reports of sensitive categories are left out: they are never drawn as points.
    """
    found = queries.published_reports(_comune(istat_code)).filter(category__sensitive=False)
    features = [
        {
            "type": "Feature",
            "id": r.pk,
            "geometry": {"type": "Point", "coordinates": [r.public_lon, r.public_lat]},
            "properties": {
                "title": r.title,
                "category": r.category.label,
                "status": r.status,
                "status_label": r.get_status_display(),
                "state_type": r.state_type,
                "date": timezone.localdate(r.created_at).isoformat(),
                "illustrative": r.illustrative,
                "url": r.get_absolute_url(),
            },
        }
        for r in found[:2000]
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "precision_m": BLUR_CELL_M,
    }


@router.post(
    "",
    response={201: SubmitOut, 422: ErrorOut, 429: ErrorOut},
    auth=SUBMITTERS,
    summary="Report a concern (anonymous or authenticated)",
)
def submit(
    request: HttpRequest,
    payload: Form[SubmitIn],
    photo: UploadedFile | None = File(None),  # noqa: B008 -- how django-ninja declares a file
) -> Status:
    """File a citizen report as multipart/form-data, with an optional ``photo``.

    Anonymous clients may send a few reports per hour (answer 429 beyond);
    authenticated people more. The answer holds ``follow_token``: the only way an
    anonymous reporter can follow the report later, shown once.
    """
    category = queries.report_categories().filter(code=payload.category).first()
    if category is None:
        codes = ", ".join(queries.report_categories().values_list("code", flat=True))
        raise HttpError(422, f"Unknown category {payload.category!r}; accepted: {codes}.")
    try:
        report, token = do_submit_report(
            request.user,
            category=category,
            title=payload.title,
            description=payload.description,
            lon=payload.lon,
            lat=payload.lat,
            photo=photo,
            photo_name=photo.name if photo is not None and photo.name else "photo",
            photo_size=photo.size if photo is not None else None,
            reporter_email=payload.reporter_email,
            client_ip=client_ip(request),
        )
    except ReportRateLimitError as exc:
        raise HttpError(429, str(exc)) from None
    except (ReportError, PhotoError) as exc:
        raise HttpError(422, str(exc)) from None
    follow_url = request.build_absolute_uri(reverse("incidents:report_follow", args=[token]))
    send_follow_link(report, follow_url)
    return Status(
        201,
        {
            "id": report.pk,
            "follow_token": token,
            "follow_url": follow_url,
            "comune": report.comune.istat_code,
            "handled_by": report.routed_to.name,
            "status": report.status,
            "moderation_state": report.moderation_state,
        },
    )


@router.get("/follow/{token}", response=FollowOut, summary="Follow a report with its token")
def follow(request: HttpRequest, token: str) -> dict[str, Any]:
    """Return the status, moderation and timeline of the report this token follows."""
    found = queries.report_by_follow_token(token)
    if found is None:
        raise HttpError(404, "No report has this follow-up token.")
    return {
        **_public(found, request),
        "location": [found.public_lon, found.public_lat],
        "photo_url": (
            request.build_absolute_uri(reverse("incidents:report_follow_photo", args=[token]))
            if found.photo
            else None
        ),
        "submitted_title": found.original_title,
        "submitted_description": found.original_description,
        "moderation_state": found.moderation_state,
        "moderation_note": found.moderation_note,
    }


@router.get(
    "/manage",
    response={200: list[StaffReportOut], 404: ErrorOut},
    auth=AUTHENTICATED,
    summary="Reports the caller moderates, handles or works on",
)
def manage(request: HttpRequest, filters: Query[StaffFilter]) -> list[dict[str, Any]]:
    """Return the reports the caller may see in full, newest first, with optional filters."""
    if not 1 <= filters.limit <= 500 or filters.offset < 0:
        raise HttpError(422, "limit must be between 1 and 500 and offset at least 0.")
    found = queries.reports_for_staff(request.user)
    if filters.comune:
        found = found.filter(comune=_comune(filters.comune))
    if filters.moderation_state:
        found = found.filter(moderation_state=filters.moderation_state)
    if filters.state_type:
        found = queries.with_state_type(found, filters.state_type)
    rows = list(found.prefetch_related("updates__organisation")[filters.offset :][: filters.limit])
    do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        REPORT_OBJECT,
        "",
        f"API list of {len(rows)} reports",
        request=request,
    )
    return [_staff(r, request) for r in rows]


@router.get("/{int:report_id}", response=PublicReportOut, summary="A published report")
def public_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """Return a published report in its public form."""
    found = queries.published_reports().filter(pk=report_id).first()
    if found is None:
        raise HttpError(404, f"No published report {report_id}.")
    return _public(found, request)


@router.get(
    "/{int:report_id}/full",
    response=StaffReportOut,
    auth=AUTHENTICATED,
    summary="A report in full (its reporter and the staff)",
)
def full_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """Return everything about a report the caller may see; staff access is audited."""
    found = _visible_report(request, report_id)
    if found.reporter_id != request.user.pk:
        do_record_audit(
            request.user,
            AuditEvent.Action.VIEW,
            REPORT_OBJECT,
            found.pk,
            found.title,
            organisation=found.tenant,
            request=request,
        )
    return _staff(found, request)


@router.post(
    "/{int:report_id}/moderation",
    response={200: StaffReportOut, 403: ErrorOut, 422: ErrorOut},
    auth=AUTHENTICATED,
    summary="Publish or hide a report, editing its public text",
)
def moderate(request: HttpRequest, report_id: int, payload: ModerateIn) -> dict[str, Any]:
    """Publish or hide a report (moderators and managers of its comune); the original stays."""
    found = _visible_report(request, report_id)
    if not request.user.has_perm("incidents.moderate_report", found):
        raise HttpError(403, "Only the comune's moderators and managers moderate its reports.")
    try:
        do_moderate_report(
            request.user,
            found,
            publish=payload.decision == "publish",
            title=payload.title,
            description=payload.description,
            note=payload.note,
            hide_photo=payload.hide_photo,
        )
    except ReportError as exc:
        raise HttpError(422, str(exc)) from None
    return _staff(found, request)


@router.post(
    "/{int:report_id}/status",
    response={200: StaffReportOut, 403: ErrorOut, 422: ErrorOut},
    auth=AUTHENTICATED,
    summary="Change a report's status or comment on it",
)
def change_status(request: HttpRequest, report_id: int, payload: StatusIn) -> dict[str, Any]:
    """Move a report to a new status with a public comment, or only comment (no status)."""
    found = _visible_report(request, report_id)
    if not request.user.has_perm("incidents.change_report_status", found):
        raise HttpError(
            403, "Only the organisation handling the report and the comune's managers change it."
        )
    try:
        if payload.status:
            original = None
            if payload.duplicate_of is not None:
                original = CitizenReport.objects.filter(pk=payload.duplicate_of).first()
                if original is None:
                    raise ReportError(f"There is no report {payload.duplicate_of}.")
            do_change_report_status(
                request.user, found, payload.status, comment=payload.comment, duplicate_of=original
            )
        else:
            do_comment_on_report(request.user, found, payload.comment)
    except ReportError as exc:
        raise HttpError(422, str(exc)) from None
    return _staff(found, request)


@router.post(
    "/{int:report_id}/route",
    response={200: StaffReportOut, 403: ErrorOut, 422: ErrorOut},
    auth=AUTHENTICATED,
    summary="Send a report to another organisation of its comune",
)
def route(request: HttpRequest, report_id: int, payload: RouteIn) -> dict[str, Any]:
    """Send a report to the comune itself or an organisation belonging to it, by slug."""
    found = _visible_report(request, report_id)
    if not request.user.has_perm("incidents.moderate_report", found):
        raise HttpError(403, "Only the comune's moderators and managers route its reports.")
    target = Organisation.objects.filter(slug=payload.organisation).first()
    if target is None:
        raise HttpError(422, f"No organisation with the short name {payload.organisation!r}.")
    try:
        do_route_report(request.user, found, target)
    except ReportError as exc:
        raise HttpError(422, str(exc)) from None
    return _staff(found, request)


# --- incident datasets and incidents (restricted) ------------------------------------
datasets_router = Router()
MAX_INCIDENTS_PAGE = 5_000


class DatasetOut(Schema):
    id: int
    tenant: str
    name: str
    source_kind: str
    attribution: str
    incidents: int
    version: int
    created_at: datetime


class IncidentOut(Schema):
    id: int
    category: str | None
    source_category: str
    occurred_from: datetime
    occurred_to: datetime | None
    time_resolution: str
    lon: float
    lat: float
    area_label: str
    subarea_id: int | None
    source_kind: str
    sensitive: bool


class IncidentPage(Schema):
    count: int
    offset: int
    limit: int
    results: list[IncidentOut]


class IncidentFilters(Schema):
    category: list[str] = []
    since: date | None = None
    until: date | None = None
    area: str = ""
    offset: int = 0
    limit: int = 1_000


def _dataset_out(dataset: Any) -> dict[str, Any]:
    return {
        "id": dataset.pk,
        "tenant": dataset.tenant.slug,
        "name": dataset.name,
        "source_kind": dataset.source_kind,
        "attribution": dataset.attribution,
        "incidents": dataset.incidents.count(),
        "version": queries.dataset_version(dataset),
        "created_at": dataset.created_at,
    }


def _visible_dataset(request: HttpRequest, dataset_id: int) -> Any:
    from prossima.incidents.models import Dataset

    dataset = Dataset.objects.select_related("tenant").filter(pk=dataset_id).first()
    if dataset is None or not request.user.has_perm("incidents.view_incident", dataset.tenant):
        raise HttpError(404, "No such dataset.")
    return dataset


@datasets_router.get(
    "/datasets",
    response=list[DatasetOut],
    auth=AUTHENTICATED,
    summary="Incident datasets of the tenants you work on",
)
def list_datasets(request: HttpRequest) -> list[dict[str, Any]]:
    """List the datasets whose incidents you may see, with their size and version."""
    from prossima.incidents.models import Dataset

    tenants = queries.tenants_for(request.user)
    datasets = Dataset.objects.filter(tenant__in=tenants).select_related("tenant")
    return [_dataset_out(d) for d in datasets]


@datasets_router.get(
    "/datasets/{int:dataset_id}", response=DatasetOut, auth=AUTHENTICATED, summary="One dataset"
)
def get_dataset(request: HttpRequest, dataset_id: int) -> dict[str, Any]:
    """Return one dataset."""
    return _dataset_out(_visible_dataset(request, dataset_id))


@datasets_router.get(
    "/datasets/{int:dataset_id}/incidents",
    response={200: IncidentPage, 400: ErrorOut},
    auth=AUTHENTICATED,
    summary="Incidents of a dataset (restricted, audited)",
)
def list_incidents(
    request: HttpRequest, dataset_id: int, filters: Query[IncidentFilters]
) -> dict[str, Any]:
    """Return a page of incidents, oldest first, filtered like the map and the analyses.

    ``category`` (repeatable) takes taxonomy codes, ``since``/``until`` local
    dates (until excluded), ``area`` ``subarea:ID`` or ``label:NAME``; at
    most 5,000 per page. Every call is recorded in the audit log.
    """
    from prossima.analytics.queries import incidents_for

    dataset = _visible_dataset(request, dataset_id)
    if not 1 <= filters.limit <= MAX_INCIDENTS_PAGE:
        raise HttpError(400, f"limit must be between 1 and {MAX_INCIDENTS_PAGE}.")
    if filters.offset < 0:
        raise HttpError(400, "offset must be 0 or more.")
    params = {
        "categories": filters.category,
        "since": filters.since,
        "until": filters.until,
        "area": filters.area,
    }
    qs = incidents_for(dataset, params).select_related("category").order_by("occurred_from", "pk")
    count = qs.count()
    page = list(qs[filters.offset : filters.offset + filters.limit])
    do_record_audit(
        request.user,
        AuditEvent.Action.EXPORT,
        "incidents.incident",
        "",
        f"{dataset.name}: {len(page)} via the API",
        organisation=dataset.tenant,
        detail={"filters": {k: str(v) for k, v in params.items() if v}, "offset": filters.offset},
        request=request,
    )
    return {
        "count": count,
        "offset": filters.offset,
        "limit": filters.limit,
        "results": [
            {
                "id": i.pk,
                "category": i.category.code if i.category else None,
                "source_category": i.source_category,
                "occurred_from": i.occurred_from,
                "occurred_to": i.occurred_to,
                "time_resolution": i.time_resolution,
                "lon": i.lon,
                "lat": i.lat,
                "area_label": i.area_label,
                "subarea_id": i.subarea_id,
                "source_kind": i.source_kind,
                "sensitive": i.sensitive,
            }
            for i in page
        ],
    }
