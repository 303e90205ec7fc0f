"""Every write to incident datasets, taxonomies, incidents and citizen reports.

Imports are batch-transactional: each batch of rows commits on its own, and a
fingerprint per source record makes re-running an import (after a failure, or
with the same or an overlapping file) add only what is missing, never a
duplicate. The import record says how far it got and why it stopped.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import shapely
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import memberships_of
from prossima.analysis.io import ColumnMap, read_events
from prossima.analysis.io._base import SOURCE_LINE
from prossima.incidents import ratelimit
from prossima.incidents.models import (
    REPORT_TRANSITIONS,
    Category,
    CategoryMapping,
    CitizenReport,
    Dataset,
    Import,
    Incident,
    ModerationState,
    ReportCategory,
    ReportRouting,
    ReportStatus,
    ReportUpdate,
    SourceKind,
)
from prossima.incidents.photos import clean_photo
from prossima.incidents.privacy import blur_point
from prossima.incidents.queries import route_for, tenant_at
from prossima.incidents.taxonomy import (
    DEFAULT_CATEGORIES,
    DEFAULT_REPORT_CATEGORIES,
    KNOWN_SOURCE_LABELS,
)

BATCH_SIZE = 5_000
# Columns of the known formats that name the area of an event, best first.
AREA_ATTRIBUTES = ("Neighbourhood", "LSOA name")

Progress = Callable[[int, int], object]


class IncidentImportError(ValueError):
    """Raised when a file cannot be imported; the message names the file and the problem."""


@transaction.atomic
def do_install_default_taxonomy(tenant: Organisation) -> int:
    """Give a tenant the default Italian taxonomy and the known source mappings.

    Existing categories and mappings are left as the tenant set them; returns
    the number of categories created.
    """
    created = 0
    by_code: dict[str, Category] = {}
    for entry in DEFAULT_CATEGORIES:
        category, was_created = Category.objects.get_or_create(
            tenant=tenant,
            code=entry.code,
            defaults={
                "label_it": entry.label_it,
                "label_en": entry.label_en,
                "sensitive": entry.sensitive,
            },
        )
        by_code[entry.code] = category
        created += int(was_created)
    for label, code in KNOWN_SOURCE_LABELS.items():
        CategoryMapping.objects.get_or_create(
            tenant=tenant, source_label=label, defaults={"category": by_code[code]}
        )
    return created


@transaction.atomic
def do_create_dataset(
    actor: Any,
    tenant: Organisation,
    *,
    name: str,
    source_kind: str = SourceKind.POLICE_RECORD,
    attribution: str = "",
    description: str = "",
) -> Dataset:
    """Create an incident dataset for a tenant (its analysts and managers only)."""
    check_perm(actor, "incidents.manage_dataset", tenant)
    if source_kind not in SourceKind.values:
        raise IncidentImportError(
            f"Unknown source {source_kind!r}; accepted: {', '.join(SourceKind.values)}."
        )
    do_install_default_taxonomy(tenant)
    dataset = Dataset.objects.create(
        tenant=tenant,
        name=name,
        source_kind=source_kind,
        attribution=attribution,
        description=description,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "incidents.dataset",
        dataset.pk,
        name,
        organisation=tenant,
    )
    return dataset


def _storable(value: object) -> str:
    """Return a value as text PostgreSQL can store: NUL, which it refuses, becomes U+FFFD."""
    return str(value).replace("\x00", "\ufffd")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprints(
    labels: np.ndarray, t_ns: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> list[str]:
    """Return a stable hash per record; identical records get their rank appended.

    The rank keeps records that repeat exactly (several offences of one
    incident, published as separate rows) apart, and re-reading the same file
    gives the same hashes.
    """
    frame = pd.DataFrame(
        {
            "label": labels.astype(str),
            "t": t_ns.astype(np.int64),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
        }
    )
    rank = frame.groupby(["label", "t", "lon", "lat"], sort=False).cumcount().to_numpy()
    keys = (
        frame["label"]
        + "|"
        + frame["t"].astype(str)
        + "|"
        + frame["lon"].map("{:.6f}".format)
        + "|"
        + frame["lat"].map("{:.6f}".format)
        + "|"
        + pd.Series(rank).astype(str)
    )
    return [hashlib.sha256(k.encode("utf-8")).hexdigest() for k in keys]


def _occurred_to(start: pd.DatetimeIndex, resolution: str) -> list[datetime | None]:
    if resolution == "month":
        return list((start + pd.offsets.MonthBegin(1)).to_pydatetime())
    if resolution == "hour":
        return list((start + pd.Timedelta(hours=1)).to_pydatetime())
    return [None] * len(start)


def _subarea_ids(tenant: Organisation, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return the id of the sub-area of the tenant's comune holding each point (0 if none)."""
    result = np.zeros(len(lon), dtype=np.int64)
    if tenant.comune_id is None:
        return result
    areas = list(tenant.comune.subareas.values_list("id", "boundary"))  # type: ignore[union-attr]
    if not areas:
        return result
    tree = shapely.STRtree([shapely.from_geojson(text) for _pk, text in areas])
    ids = np.array([pk for pk, _text in areas], dtype=np.int64)
    point_idx, area_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
    first = np.unique(point_idx, return_index=True)[1]
    result[point_idx[first]] = ids[area_idx[first]]
    return result


def do_import_incidents(
    actor: Any,
    dataset: Dataset,
    path: str | Path,
    *,
    file_format: str = "auto",
    columns: ColumnMap | None = None,
    filename: str | None = None,
    encoding: str = "utf-8",
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    now: datetime | None = None,
    on_record: Callable[[Import], object] | None = None,
) -> Import:
    """Read a file into a dataset and return the import record with its report.

    Rows without coordinates, with unreadable dates, outside the tenant's comune
    or dated in the future are rejected and listed with their line; the rest
    is stored in batches. Raises IncidentImportError when the file as a whole
    cannot be read (the import record then says so too). ``on_record`` is called
    with the import record as soon as it exists (a job keeps its id).
    """
    tenant = dataset.tenant
    check_perm(actor, "incidents.manage_dataset", tenant)
    path = Path(path)
    now = now or timezone.now()
    record = Import.objects.create(
        dataset=dataset,
        filename=filename or path.name,
        sha256=_sha256(path),
        file_format=file_format,
        status=Import.Status.RUNNING,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if on_record is not None:
        on_record(record)
    try:
        boundary = (
            shapely.from_geojson(tenant.comune.boundary) if tenant.comune_id else None  # type: ignore[union-attr]
        )
        try:
            result = read_events(path, file_format, columns, boundary=boundary, encoding=encoding)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            message = str(exc)
            if path.name not in message:
                message = f"{record.filename}: {message}"
            raise IncidentImportError(message) from None
        events = result.events
        rejects = result.rejects.copy()
        lines = np.asarray(events.attributes[SOURCE_LINE])
        future = events.t > np.datetime64(round(now.timestamp() * 1e9), "ns")
        if future.any():
            rejects = pd.concat(
                [
                    rejects,
                    pd.DataFrame(
                        {
                            "line": lines[future],
                            "reason": "date in the future",
                            "field": "time",
                            "value": pd.to_datetime(events.t[future], utc=True).astype(str),
                        }
                    ),
                ],
                ignore_index=True,
            ).sort_values("line", kind="stable")
            events = events.select(~future)
            lines = lines[~future]
        record.file_format = result.summary["format"]
        record.rows = int(result.summary["rows"])
        record.rejected = len(rejects)
        record.accepted = len(events)
        record.rejects_csv = _storable(rejects.to_csv(index=False))
        record.save(update_fields=["file_format", "rows", "rejected", "accepted", "rejects_csv"])
        created = _store(record, events, batch_size, progress)
    except Exception as exc:
        Import.objects.filter(pk=record.pk).update(
            status=Import.Status.FAILED, error=_storable(exc)[:2000], finished_at=timezone.now()
        )
        raise
    record.created = created
    record.duplicates = record.accepted - created
    record.status = Import.Status.DONE
    record.finished_at = timezone.now()
    labels = pd.Series(np.asarray(events.category, dtype=object))
    mapped = set(
        CategoryMapping.objects.filter(tenant=tenant).values_list("source_label", flat=True)
    )
    record.summary = {
        **{k: v for k, v in result.summary.items() if k not in ("categories",)},
        "categories": {_storable(k): int(v) for k, v in labels.value_counts().items()},
        "unmapped_categories": sorted(_storable(k) for k in set(labels) - mapped),
        "rejected_future": int(future.sum()),
    }
    record.save(update_fields=["created", "duplicates", "status", "finished_at", "summary"])
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        "incidents.import",
        record.pk,
        record.filename,
        organisation=tenant,
        detail={"created": created, "duplicates": record.duplicates, "rejected": record.rejected},
    )
    return record


def do_fail_interrupted_import(import_id: int) -> bool:
    """Mark failed an import whose process was killed while it ran; return whether it was.

    A killed worker cannot record its own failure, so the import would claim to
    run for ever. The batches it committed stay: each is whole, and a retry of
    the file adds only the rows that are missing.
    """
    return bool(
        Import.objects.filter(pk=import_id, status=Import.Status.RUNNING).update(
            status=Import.Status.FAILED,
            error=_(
                "The import stopped before its end (its worker was stopped). The incidents "
                "stored so far are kept; importing the file again adds only the missing ones."
            ),
            finished_at=timezone.now(),
        )
    )


def _store(record: Import, events: Any, batch_size: int, progress: Progress | None) -> int:
    """Insert the events batch by batch; return how many were new."""
    dataset = record.dataset
    tenant = dataset.tenant
    lon, lat = events.to_lonlat()
    labels = np.asarray(events.category, dtype=object)
    hashes = fingerprints(labels, events.t, lon, lat)
    start = pd.DatetimeIndex(pd.to_datetime(events.t, utc=True))
    starts = list(start.to_pydatetime())
    ends = _occurred_to(start, events.time_resolution)
    area_name = next((a for a in AREA_ATTRIBUTES if a in events.attributes), None)
    areas = (
        np.asarray(events.attributes[area_name], dtype=object).astype(str)
        if area_name
        else np.full(len(events), "", dtype=object)
    )
    subareas = _subarea_ids(tenant, lon, lat)
    mapping = {
        m.source_label: m.category
        for m in CategoryMapping.objects.filter(tenant=tenant).select_related("category")
    }
    total, created = len(events), 0
    for begin in range(0, total, batch_size):
        stop = min(begin + batch_size, total)
        rows = []
        for i in range(begin, stop):
            category = mapping.get(str(labels[i]))
            rows.append(
                Incident(
                    tenant=tenant,
                    dataset=dataset,
                    first_import=record,
                    category=category,
                    source_category=_storable(labels[i])[:200],
                    occurred_from=starts[i],
                    occurred_to=ends[i],
                    time_resolution=events.time_resolution,
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    area_label=_storable(areas[i])[:200],
                    subarea_id=int(subareas[i]) or None,
                    source_kind=dataset.source_kind,
                    sensitive=bool(category and category.sensitive),
                    fingerprint=hashes[i],
                )
            )
        with transaction.atomic():
            before = Incident.objects.filter(dataset=dataset).count()
            Incident.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            created += Incident.objects.filter(dataset=dataset).count() - before
            Import.objects.filter(pk=record.pk).update(created=created)
        if progress is not None:
            progress(stop, total)
    return created


# --- Citizen reports -------------------------------------------------------------

REPORT_TITLE_MAX = 120
REPORT_DESCRIPTION_MAX = 2000
REPORT_OBJECT = "incidents.citizenreport"
# What to say when a text field is empty, and its name when it is too long.
_EMPTY_TEXT = {
    "title": gettext_lazy("Write a short title for the report."),
    "description": gettext_lazy("Describe the concern: what, where exactly, since when."),
    "comment": gettext_lazy("Write the comment."),
}
_TEXT_NAMES = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "comment": gettext_lazy("Comment"),
}


class ReportError(ValueError):
    """Raised when a citizen report is refused; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ReportRateLimitError(ReportError):
    """Raised when a client has submitted as many reports as the window allows."""


@transaction.atomic
def do_install_report_categories() -> int:
    """Create the default report categories that are missing; return how many were created."""
    created = 0
    for position, entry in enumerate(DEFAULT_REPORT_CATEGORIES):
        _category, was_created = ReportCategory.objects.get_or_create(
            code=entry.code,
            defaults={
                "label_it": entry.label_it,
                "label_en": entry.label_en,
                "sensitive": entry.sensitive,
                "position": position * 10,
            },
        )
        created += int(was_created)
    return created


def _clean_text(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ReportError(str(_EMPTY_TEXT[field]), field)
    if len(text) > limit:
        raise ReportError(
            _("%(field)s: %(n)s characters; at most %(max)s are accepted.")
            % {"field": _TEXT_NAMES[field], "n": len(text), "max": limit},
            field,
        )
    return text


def _is_user(actor: Any) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def do_submit_report(
    actor: Any,
    *,
    category: ReportCategory,
    title: str,
    description: str,
    lon: float,
    lat: float,
    photo: IO[bytes] | None = None,
    photo_name: str = "photo",
    photo_size: int | None = None,
    reporter_email: str = "",
    client_ip: str | None = None,
    illustrative: bool = False,
) -> tuple[CitizenReport, str]:
    """File a citizen report; return it with the raw follow-up token (shown once).

    ``actor`` is the logged-in reporter, an anonymous user, or None for the
    system (the demo loader, which the rate limit does not count). The report
    goes to the tenant whose comune contains the point and to the organisation
    that handles its category there; it waits for moderation before the public
    sees it.
    """
    limit = ratelimit.limit_reached(actor, client_ip) if actor is not None else None
    if limit is not None:
        raise ReportRateLimitError(
            _(
                "You have sent %(n)s reports in the last %(minutes)s minutes, the most "
                "accepted. Please try again later; for an emergency call 112."
            )
            % {"n": limit, "minutes": ratelimit.window_seconds() // 60}
        )
    if not category.active:
        raise ReportError(_("This category is no longer offered; choose another."), "category")
    title = _clean_text(title, "title", REPORT_TITLE_MAX)
    description = _clean_text(description, "description", REPORT_DESCRIPTION_MAX)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ReportError(
            _(
                "The location is not valid: longitude must be within -180..180 and latitude "
                "within -90..90."
            ),
            "location",
        )
    comune, tenant = tenant_at(lon, lat)
    if comune is None:
        raise ReportError(
            _(
                "This point is not inside any Italian comune known to the platform. "
                "Choose the place on the map, inside a comune's boundary."
            ),
            "location",
        )
    if tenant is None:
        raise ReportError(
            _(
                "%(comune)s does not receive reports on Prossima yet. Please contact the "
                "comune directly (for an emergency call 112)."
            )
            % {"comune": comune.name},
            "location",
        )
    cleaned = clean_photo(photo, photo_name, photo_size) if photo is not None else None
    email = (reporter_email or "").strip()
    if _is_user(actor):
        email = ""  # logged-in reporters follow their reports from their account
    public_lon, public_lat = blur_point(lon, lat)
    raw_token = secrets.token_urlsafe(24)
    with transaction.atomic():
        report = CitizenReport(
            tenant=tenant,
            comune=comune,
            category=category,
            title=title,
            description=description,
            original_title=title,
            original_description=description,
            lon=lon,
            lat=lat,
            public_lon=public_lon,
            public_lat=public_lat,
            routed_to=route_for(tenant, category),
            reporter=actor if _is_user(actor) else None,
            reporter_email=email,
            follow_digest=CitizenReport.follow_digest_of(raw_token),
            illustrative=illustrative,
        )
        if cleaned is not None:
            report.photo.save(cleaned.name or "photo.jpg", cleaned, save=False)
        report.save()
        do_record_audit(
            actor,
            AuditEvent.Action.CREATE,
            REPORT_OBJECT,
            report.pk,
            title,
            organisation=tenant,
            comune_code=comune.istat_code,
            detail={"category": category.code, "routed_to": report.routed_to_id},
        )
    if actor is not None:
        ratelimit.count_report(actor, client_ip)
    return report, raw_token


@transaction.atomic
def do_moderate_report(
    actor: Any,
    report: CitizenReport,
    *,
    publish: bool,
    title: str | None = None,
    description: str | None = None,
    note: str = "",
    hide_photo: bool | None = None,
) -> CitizenReport:
    """Publish or hide a report, optionally editing its text; the original stays kept.

    Hiding needs a note saying why (the reporter reads it). Edits replace only
    the public title and description: what the citizen wrote remains in
    ``original_title`` and ``original_description``.
    """
    check_perm(actor, "incidents.moderate_report", report)
    note = (note or "").strip()[:300]
    if not publish and not note:
        raise ReportError(_("Say why the report is hidden; the reporter will read it."), "note")
    changes: dict[str, Any] = {}
    if title is not None and title.strip() != report.title:
        report.title = _clean_text(title, "title", REPORT_TITLE_MAX)
        changes["title"] = True
    if description is not None and description.strip() != report.description:
        report.description = _clean_text(description, "description", REPORT_DESCRIPTION_MAX)
        changes["description"] = True
    if hide_photo is not None and hide_photo != report.photo_hidden:
        report.photo_hidden = hide_photo
        changes["photo_hidden"] = hide_photo
    state = ModerationState.PUBLISHED if publish else ModerationState.HIDDEN
    changes["moderation_state"] = [report.moderation_state, state]
    report.moderation_state = state
    report.moderation_note = note
    report.moderated_by = actor if _is_user(actor) else None
    report.moderated_at = timezone.now()
    report.save(
        update_fields=[
            "title",
            "description",
            "photo_hidden",
            "moderation_state",
            "moderation_note",
            "moderated_by",
            "moderated_at",
        ]
    )
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        REPORT_OBJECT,
        report.pk,
        f"moderation: {state}",
        organisation=report.tenant,
        detail=changes,
    )
    return report


def _speaking_for(actor: Any, report: CitizenReport) -> Organisation:
    """Return the organisation a staff member's update is shown under."""
    member_of = {m.organisation_id for m in memberships_of(actor)}
    if report.routed_to_id in member_of:
        return report.routed_to
    return report.tenant


@transaction.atomic
def do_change_report_status(
    actor: Any,
    report: CitizenReport,
    status: str,
    *,
    comment: str = "",
    duplicate_of: CitizenReport | None = None,
) -> ReportUpdate:
    """Move a report to a new status with an optional public comment.

    Only the moves in REPORT_TRANSITIONS are allowed; "duplicate" needs the
    original report of the same tenant, and leaving "duplicate" forgets it.
    """
    check_perm(actor, "incidents.change_report_status", report)
    if status not in ReportStatus.values:
        raise ReportError(
            _("Unknown status %(status)s; accepted: %(accepted)s.")
            % {"status": status, "accepted": ", ".join(ReportStatus.values)},
            "status",
        )
    if status not in REPORT_TRANSITIONS[report.status]:
        allowed = sorted(str(ReportStatus(s).label) for s in REPORT_TRANSITIONS[report.status])
        raise ReportError(
            _("A report that is “%(current)s” cannot become “%(new)s”; it can become: %(allowed)s.")
            % {
                "current": report.get_status_display(),
                "new": ReportStatus(status).label,
                "allowed": ", ".join(allowed),
            },
            "status",
        )
    comment = (comment or "").strip()
    if comment:
        comment = _clean_text(comment, "comment", REPORT_DESCRIPTION_MAX)
    if status == ReportStatus.DUPLICATE:
        if duplicate_of is None:
            raise ReportError(
                _("Give the number of the report this one duplicates."), "duplicate_of"
            )
        if duplicate_of.pk == report.pk or duplicate_of.tenant_id != report.tenant_id:
            raise ReportError(
                _("A report duplicates another report of the same comune, not itself."),
                "duplicate_of",
            )
        if duplicate_of.status == ReportStatus.DUPLICATE:
            raise ReportError(
                _("Report %(n)s is itself a duplicate; give the original report instead.")
                % {"n": duplicate_of.pk},
                "duplicate_of",
            )
        report.duplicate_of = duplicate_of
    else:
        report.duplicate_of = None
    old = report.status
    report.status = status
    report.status_changed_at = timezone.now()
    report.save(update_fields=["status", "status_changed_at", "duplicate_of"])
    update = ReportUpdate.objects.create(
        report=report,
        old_status=old,
        new_status=status,
        comment=comment,
        author=actor if _is_user(actor) else None,
        organisation=_speaking_for(actor, report) if _is_user(actor) else report.routed_to,
    )
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        REPORT_OBJECT,
        report.pk,
        f"status: {old} → {status}",
        organisation=report.tenant,
        detail={"old": old, "new": status, "duplicate_of": report.duplicate_of_id},
    )
    return update


@transaction.atomic
def do_comment_on_report(actor: Any, report: CitizenReport, comment: str) -> ReportUpdate:
    """Add a public comment by the staff to a report's timeline, keeping its status."""
    check_perm(actor, "incidents.change_report_status", report)
    comment = _clean_text(comment, "comment", REPORT_DESCRIPTION_MAX)
    update = ReportUpdate.objects.create(
        report=report,
        comment=comment,
        author=actor if _is_user(actor) else None,
        organisation=_speaking_for(actor, report) if _is_user(actor) else report.routed_to,
    )
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        REPORT_OBJECT,
        report.pk,
        "comment",
        organisation=report.tenant,
    )
    return update


def check_routing_target(tenant: Organisation, organisation: Organisation) -> None:
    """Raise ReportError unless ``organisation`` is the tenant or belongs to it."""
    if organisation.pk != tenant.pk and organisation.parent_id != tenant.pk:
        raise ReportError(
            _(
                "%(org)s does not belong to %(tenant)s; reports go to the tenant itself or "
                "to an organisation that belongs to it, such as its police command."
            )
            % {"org": organisation.name, "tenant": tenant.name},
            "organisation",
        )


@transaction.atomic
def do_route_report(
    actor: Any, report: CitizenReport, organisation: Organisation, comment: str = ""
) -> CitizenReport:
    """Send one report to another organisation of its tenant (moderators and managers)."""
    check_perm(actor, "incidents.moderate_report", report)
    check_routing_target(report.tenant, organisation)
    old = report.routed_to_id
    report.routed_to = organisation
    report.save(update_fields=["routed_to"])
    if comment.strip():
        ReportUpdate.objects.create(
            report=report,
            comment=_clean_text(comment, "comment", REPORT_DESCRIPTION_MAX),
            author=actor if _is_user(actor) else None,
            organisation=report.tenant,
        )
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        REPORT_OBJECT,
        report.pk,
        f"routed to {organisation.name}",
        organisation=report.tenant,
        detail={"old": old, "new": organisation.pk},
    )
    return report


@transaction.atomic
def do_set_report_routing(
    actor: Any, tenant: Organisation, category: ReportCategory, organisation: Organisation
) -> ReportRouting | None:
    """Say which organisation handles a category in a tenant; the tenant itself clears it."""
    check_perm(actor, "incidents.change_reportrouting", tenant)
    check_routing_target(tenant, organisation)
    routing: ReportRouting | None
    if organisation.pk == tenant.pk:
        ReportRouting.objects.filter(tenant=tenant, category=category).delete()
        routing = None
    else:
        routing, _created = ReportRouting.objects.update_or_create(
            tenant=tenant, category=category, defaults={"organisation": organisation}
        )
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "incidents.reportrouting",
        category.code,
        f"{category.code} → {organisation.name}",
        organisation=tenant,
    )
    return routing


def send_follow_link(report: CitizenReport, url: str) -> None:
    """E-mail the follow-up link to an anonymous reporter who left an address."""
    if not report.reporter_email:
        return
    send_mail(
        _("Your report to %(tenant)s") % {"tenant": report.tenant.name},
        _(
            "Thank you for your report “%(title)s”. Follow its status at this link (keep it "
            "private: whoever has it sees your report):\n\n%(url)s"
        )
        % {"title": report.original_title, "url": url},
        None,
        [report.reporter_email],
        fail_silently=True,
    )
