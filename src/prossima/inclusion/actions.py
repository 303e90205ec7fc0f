"""Writes of the vulnerability and safety-audit parts: indicator uploads, campaigns, audits.

Indicator uploads are all-or-nothing: a file with any bad row stores nothing
and the error lists every bad row with its line, column and what is accepted.
Uploading a value again for the same sub-area and indicator replaces it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.inclusion.models import (
    AUDIT_PARAMETERS,
    AreaIndicator,
    AuditCampaign,
    IndicatorUpload,
    SafetyAudit,
)

CODE_COLUMN = "subarea_code"
YEAR_COLUMN = "year"
INDICATOR_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_ERRORS_SHOWN = 50
YEAR_MAX = 32767  # AreaIndicator.year is a PositiveSmallIntegerField


class IndicatorFileError(ValidationError):
    """A file of indicators that cannot be stored; ``messages`` name each bad row."""


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".") if text.count(",") == 1 and "." not in text else text
    if text.strip() == "":
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


@transaction.atomic
def do_upload_indicators(
    actor: Any, tenant: Organisation, data: bytes, *, filename: str = "indicators.csv"
) -> IndicatorUpload:
    """Store a CSV of indicators per sub-area (one row per sub-area, one column per indicator).

    Accepted: UTF-8 CSV, comma or semicolon separated; a ``subarea_code``
    column with the codes of the comune's imported sub-areas; an optional
    ``year``; every other column an indicator with a lower-case code (e.g.
    ``foreign_share``). Columns ending in ``_share`` must lie between 0 and 1.
    Empty cells are missing values (the index says how it treats them).
    """
    check_perm(actor, "inclusion.manage_indicators", tenant)
    if tenant.comune_id is None:
        raise IndicatorFileError(_("Only a comune with sub-areas can upload indicators."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IndicatorFileError(
            _("%(file)s is not UTF-8 text; save it as CSV UTF-8.") % {"file": filename}
        ) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
    except csv.Error:
        dialect = csv.excel  # no separator on the first line: the header check below says why
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        # A lone carriage return or a stray quote stops the csv module mid-file.
        raise IndicatorFileError(
            _("%(file)s, line %(line)s: the CSV cannot be read (%(error)s).")
            % {"file": filename, "line": reader.line_num, "error": exc}
        ) from None
    if CODE_COLUMN not in columns:
        raise IndicatorFileError(
            _("%(file)s: no %(col)s column; the header must name it, then the indicators.")
            % {"file": filename, "col": CODE_COLUMN}
        )
    indicators = [c for c in columns if c not in (CODE_COLUMN, YEAR_COLUMN)]
    bad_codes = [c for c in indicators if not INDICATOR_CODE.match(c)]
    if not indicators or bad_codes:
        raise IndicatorFileError(
            _("%(file)s: indicator columns must be lower-case codes such as foreign_share; "
              "not accepted: %(bad)s.")
            % {"file": filename, "bad": ", ".join(bad_codes) or _("none given")}
        )  # fmt: skip
    subareas = {s.code: s for s in tenant.comune.subareas.all()}  # type: ignore[union-attr]
    if not subareas:
        raise IndicatorFileError(
            _("%(comune)s has no sub-areas yet: a manager imports them on the comune's page, "
              "then the indicators can name them.")
            % {"comune": tenant.comune}
        )  # fmt: skip
    errors: list[str] = []
    rows: list[tuple[Any, str, float, int | None]] = []
    for line, raw in records:
        row = {(k or "").strip(): (v or "") for k, v in raw.items()}
        code = row.get(CODE_COLUMN, "").strip()
        if code not in subareas:
            errors.append(
                _("line %(line)s, %(col)s: unknown sub-area %(code)r; accepted: the codes of "
                  "the sub-areas imported for this comune.")
                % {"line": line, "col": CODE_COLUMN, "code": code}
            )  # fmt: skip
            continue
        year = None
        if row.get(YEAR_COLUMN, "").strip():
            try:
                year = int(row[YEAR_COLUMN])
                if not 0 <= year <= YEAR_MAX:
                    raise ValueError(year)  # the column would refuse it at the database
            except ValueError:
                errors.append(
                    _("line %(line)s, year: %(v)r is not a year.")
                    % {"line": line, "v": row[YEAR_COLUMN]}
                )
        for col in indicators:
            try:
                value = _number(row.get(col, ""))
            except ValueError:
                errors.append(
                    _("line %(line)s, %(col)s: %(v)r is not a number.")
                    % {"line": line, "col": col, "v": row.get(col)}
                )
                continue
            if value is None:
                continue
            if col.endswith("_share") and not 0 <= value <= 1:
                errors.append(
                    _("line %(line)s, %(col)s: %(v)s is not a share; accepted: 0 to 1.")
                    % {"line": line, "col": col, "v": value}
                )
                continue
            if value < 0:
                errors.append(
                    _("line %(line)s, %(col)s: %(v)s is negative.")
                    % {"line": line, "col": col, "v": value}
                )
                continue
            rows.append((subareas[code], col, value, year))
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(_("… and %(n)s more.") % {"n": len(errors) - len(shown)})
        raise IndicatorFileError([_("%(file)s: nothing was stored.") % {"file": filename}, *shown])
    upload = IndicatorUpload.objects.create(
        tenant=tenant,
        filename=filename[:300],
        rows=len(rows),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for subarea, col, value, year in rows:
        AreaIndicator.objects.update_or_create(
            subarea=subarea,
            code=col,
            defaults={"tenant": tenant, "value": value, "year": year, "upload": upload},
        )
    do_record_audit(
        actor, AuditEvent.Action.IMPORT, "inclusion.indicatorupload", upload.pk, filename,
        organisation=tenant, detail={"values": len(rows)},
    )  # fmt: skip
    return upload


@transaction.atomic
def do_create_campaign(
    actor: Any,
    tenant: Organisation,
    *,
    title: str,
    date: dt.date,
    description: str = "",
    route: str = "",
) -> AuditCampaign:
    """Organise a safety-audit walk."""
    check_perm(actor, "inclusion.manage_campaigns", tenant)
    if route:
        try:
            kind = json.loads(route).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind not in ("LineString", "MultiLineString", "Feature", "FeatureCollection"):
            raise ValidationError({"route": _("The route must be a GeoJSON LineString.")})
    campaign = AuditCampaign.objects.create(
        tenant=tenant,
        title=title,
        date=date,
        description=description,
        route=route,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "inclusion.auditcampaign", campaign.pk, title,
        organisation=tenant,
    )  # fmt: skip
    return campaign


@transaction.atomic
def do_record_safety_audit(
    actor: Any,
    campaign: AuditCampaign,
    *,
    lon: float,
    lat: float,
    scores: dict[str, int],
    feeling: int,
    note: str = "",
) -> SafetyAudit:
    """Record one audit point of a campaign; it must lie in the campaign's comune."""
    check_perm(actor, "inclusion.record_audit", campaign.tenant)
    names = [name for name, _label in AUDIT_PARAMETERS]
    missing = [n for n in names if n not in scores]
    if missing:
        raise ValidationError(_("Scores missing: %(names)s.") % {"names": ", ".join(missing)})
    for name, value in [*scores.items(), ("feeling", feeling)]:
        if not 0 <= int(value) <= 3:
            raise ValidationError(
                _("%(name)s: %(v)s is not a score; accepted: 0 to 3.") % {"name": name, "v": value}
            )
    tenant = campaign.tenant
    if tenant.comune_id is not None:
        from prossima.territory.queries import comune_at

        found = comune_at(lon, lat)
        if found is None or found.pk != tenant.comune_id:
            raise ValidationError(
                _("The point is outside %(comune)s; audits of this campaign belong there.")
                % {"comune": tenant.comune}
            )
    audit = SafetyAudit.objects.create(
        campaign=campaign,
        auditor=actor if getattr(actor, "pk", None) else None,
        lon=round(lon, 6),
        lat=round(lat, 6),
        feeling=int(feeling),
        note=note.strip()[:2000],
        **{name: int(scores[name]) for name in names},
    )
    return audit
