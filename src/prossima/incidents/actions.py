"""Every write to incident datasets, taxonomies and incidents.

Imports are batch-transactional: each batch of rows commits on its own, and a
fingerprint per source record makes re-running an import (after a failure, or
with the same or an overlapping file) add only what is missing, never a
duplicate. The import record says how far it got and why it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.db import transaction
from django.utils import timezone

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.analysis.io import ColumnMap, read_events
from prossima.analysis.io._base import SOURCE_LINE
from prossima.incidents.models import (
    Category,
    CategoryMapping,
    Dataset,
    Import,
    Incident,
    SourceKind,
)
from prossima.incidents.taxonomy import DEFAULT_CATEGORIES, KNOWN_SOURCE_LABELS

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
) -> Import:
    """Read a file into a dataset and return the import record with its report.

    Rows without coordinates, with unreadable dates, outside the tenant's comune
    or dated in the future are rejected and listed with their line; the rest
    is stored in batches. Raises IncidentImportError when the file as a whole
    cannot be read (the import record then says so too).
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
        record.rejects_csv = rejects.to_csv(index=False)
        record.save(update_fields=["file_format", "rows", "rejected", "accepted", "rejects_csv"])
        created = _store(record, events, batch_size, progress)
    except Exception as exc:
        Import.objects.filter(pk=record.pk).update(
            status=Import.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
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
        "categories": {str(k): int(v) for k, v in labels.value_counts().items()},
        "unmapped_categories": sorted(set(labels) - mapped),
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
                    source_category=str(labels[i])[:200],
                    occurred_from=starts[i],
                    occurred_to=ends[i],
                    time_resolution=events.time_resolution,
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    area_label=str(areas[i])[:200],
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
