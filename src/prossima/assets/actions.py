"""Every write to the registry of confiscated assets, with its business rules.

Stages move forward only, and their dates never go backwards; a concession
needs the asset handed over to the comune; alerts open and clear as the
registry changes and once a day (``do_refresh_alerts``). Imports of agency
files are all-or-nothing for bad values; rows whose comune cannot be matched
are kept aside for someone to fix, and re-importing a file changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Membership, Organisation, OrganisationKind
from prossima.accounts.permissions import MANAGING_ROLES
from prossima.assets import agency
from prossima.assets.models import (
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    AlertKind,
    Asset,
    AssetAlert,
    AssetImport,
    CallStatus,
    Concession,
    ConcessionReport,
    PendingRow,
    ProposalStatus,
    ReuseCall,
    ReuseProposal,
    Stage,
)
from prossima.territory.models import Comune

# Fields the agency's files own: a re-import may change them. What the comune
# records itself (handover, use, condition, notes) is never overwritten.
AGENCY_FIELDS = (
    "kind",
    "category",
    "category_source",
    "subcategory",
    "typology",
    "sector",
    "recipient",
    "destination_purpose",
    "destination_mode",
    "destination_decree_number",
    "destination_decree_date",
    "seized_on",
    "confiscated_first_on",
    "confiscated_appeal_on",
    "confiscated_final_on",
)
# Filled from the file only while empty: the comune's own record is more current.
FILL_ONLY_FIELDS = (
    "address",
    "current_use",
    "cadastral_sheet",
    "cadastral_parcel",
    "cadastral_sub",
    "surface_m2",
    "lon",
    "lat",
)
DATE_FIELDS = frozenset(
    {
        "seized_on",
        "confiscated_first_on",
        "confiscated_appeal_on",
        "confiscated_final_on",
        "destination_decree_date",
    }
)


def add_months(start: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later (the month's last day when it is shorter)."""
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    return start.replace(
        year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1])
    )


def today() -> dt.date:
    """Return today's date in the platform's time zone."""
    return timezone.localdate()


def _tenants_of(comune: Comune) -> list[Organisation]:
    return list(Organisation.objects.filter(kind=OrganisationKind.COMUNE, comune=comune))


def _audit(actor: Any, action: str, object_type: str, obj: Any, label: str, comune: Comune) -> None:
    tenants = _tenants_of(comune)
    do_record_audit(
        actor,
        action,
        object_type,
        obj.pk,
        label,
        organisation=tenants[0] if tenants else None,
        comune_code=comune.istat_code,
    )


# --- Stages ------------------------------------------------------------------------


def check_stage_dates(asset: Asset, on: dt.date | None = None) -> None:
    """Raise ValidationError when stage dates go backwards or lie in the future."""
    limit = on or today()
    previous: tuple[str, dt.date] | None = None
    errors: dict[str, str] = {}
    for stage in STAGE_ORDER:
        name = STAGE_DATE_FIELD[stage]
        value = getattr(asset, name)
        if value is None:
            continue
        if value > limit:
            errors[name] = _("The date %(date)s is in the future.") % {"date": value.isoformat()}
        elif previous is not None and value < previous[1]:
            errors[name] = _(
                "%(stage)s on %(date)s cannot come before %(previous)s on %(previous_date)s."
            ) % {
                "stage": Stage(stage).label,
                "date": value.isoformat(),
                "previous": Stage(previous[0]).label,
                "previous_date": previous[1].isoformat(),
            }
        previous = (stage, value)
    if (
        asset.direct_use_since
        and asset.handed_over_on
        and asset.direct_use_since < asset.handed_over_on
    ):
        errors["direct_use_since"] = _("The comune cannot use the asset before it is handed over.")
    if errors:
        raise ValidationError(errors)


def _later_stage(a: str, b: str) -> str:
    if not a:
        return b
    if not b:
        return a
    return a if STAGE_ORDER.index(a) >= STAGE_ORDER.index(b) else b


@transaction.atomic
def do_create_asset(actor: Any, comune: Comune, **fields: Any) -> Asset:
    """Add an asset to the registry by hand."""
    check_perm(actor, "assets.manage_asset", comune)
    code = str(fields.get("code", "")).strip()
    if Asset.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("An asset with code %(code)s is already registered.") % {"code": code}}
        )
    stage = fields.pop("stage", "") or Stage.CONFISCATED_FINAL
    asset = Asset(comune=comune, stage=stage, **fields)
    asset.code = code
    _check_stage_reached(asset)
    check_stage_dates(asset)
    asset.full_clean()
    asset.save()
    _audit(actor, AuditEvent.Action.CREATE, "assets.asset", asset, asset.code, comune)
    do_refresh_alerts(assets=[asset])
    return asset


def _check_stage_reached(asset: Asset) -> None:
    """Refuse a stage whose required dates are missing (handover needs the decree)."""
    if asset.stage == Stage.HANDED_OVER:
        if asset.handed_over_on is None:
            raise ValidationError({"handed_over_on": _("Give the date of the handover.")})
        if asset.destination_decree_date is None:
            raise ValidationError(
                {
                    "destination_decree_date": _(
                        "An asset is handed over only after its destination decree."
                    )
                }
            )
    elif asset.handed_over_on is not None:
        raise ValidationError({"handed_over_on": _("Record the handover as a stage of the asset.")})


@transaction.atomic
def do_update_asset(actor: Any, asset: Asset, **fields: Any) -> Asset:
    """Change an asset's description, location, condition or notes (not its stage)."""
    check_perm(actor, "assets.manage_asset", asset.comune)
    # Stages and their dates move only through do_record_stage, use through
    # do_set_direct_use: each has its own checks.
    for forbidden in ("code", "comune", "stage", "direct_use_since", *STAGE_DATE_FIELD.values()):
        fields.pop(forbidden, None)
    for name, value in fields.items():
        setattr(asset, name, value)
    check_stage_dates(asset)
    asset.full_clean()
    asset.save()
    _audit(actor, AuditEvent.Action.UPDATE, "assets.asset", asset, asset.code, asset.comune)
    do_refresh_alerts(assets=[asset])
    return asset


@transaction.atomic
def do_record_stage(
    actor: Any,
    asset: Asset,
    stage: str,
    on: dt.date,
    *,
    decree_number: str = "",
    recipient: str = "",
    purpose: str = "",
) -> Asset:
    """Move an asset to a later stage on a date, checking the order of stages and dates."""
    check_perm(actor, "assets.manage_asset", asset.comune)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if stage not in STAGE_ORDER:
        raise ValidationError({"stage": _("Unknown stage.")})
    if asset.stage and STAGE_ORDER.index(stage) <= STAGE_ORDER.index(asset.stage):
        raise ValidationError(
            {
                "stage": _("The asset is already at “%(current)s”; stages only move forward.")
                % {"current": Stage(asset.stage).label}
            }
        )
    if stage == Stage.HANDED_OVER and (
        asset.stage != Stage.DESTINED or asset.destination_decree_date is None
    ):
        raise ValidationError(
            {"stage": _("Record the destination decree before the handover to the comune.")}
        )
    if stage == Stage.DESTINED and not decree_number.strip():
        raise ValidationError({"decree_number": _("Give the number of the destination decree.")})
    setattr(asset, STAGE_DATE_FIELD[stage], on)
    asset.stage = stage
    if stage == Stage.DESTINED:
        asset.destination_decree_number = decree_number.strip()
        asset.recipient = recipient.strip() or asset.recipient
        asset.destination_purpose = purpose or asset.destination_purpose
    check_stage_dates(asset)
    asset.save()
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        "assets.asset",
        asset,
        f"{asset.code}: {Stage(stage).label} {on.isoformat()}",
        asset.comune,
    )
    do_refresh_alerts(assets=[asset])
    return asset


@transaction.atomic
def do_set_direct_use(actor: Any, asset: Asset, since: dt.date | None, use: str) -> Asset:
    """Record that the comune uses the asset itself (or no longer does, with ``since=None``)."""
    check_perm(actor, "assets.manage_asset", asset.comune)
    if since is not None and asset.stage != Stage.HANDED_OVER:
        raise ValidationError(
            {"direct_use_since": _("The asset has not been handed over to the comune yet.")}
        )
    if since is not None and not use.strip():
        raise ValidationError({"current_use": _("Say what the asset is used for.")})
    asset.direct_use_since = since
    asset.current_use = use.strip()
    check_stage_dates(asset)
    asset.save()
    _audit(
        actor, AuditEvent.Action.UPDATE, "assets.asset", asset, f"{asset.code}: {use}", asset.comune
    )
    do_refresh_alerts(assets=[asset])
    return asset


# --- Concessions --------------------------------------------------------------------


@transaction.atomic
def do_grant_concession(actor: Any, asset: Asset, **fields: Any) -> Concession:
    """Record the concession of a handed-over asset to a third party."""
    check_perm(actor, "assets.manage_asset", asset.comune)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.stage != Stage.HANDED_OVER or asset.handed_over_on is None:
        raise ValidationError(
            _("An asset can be granted only after it has been handed over to the comune.")
        )
    starts_on: dt.date = fields["starts_on"]
    months = int(fields["duration_months"])
    if months < 1:
        raise ValidationError({"duration_months": _("The duration is at least one month.")})
    if starts_on < asset.handed_over_on:
        raise ValidationError(
            {
                "starts_on": _("The concession cannot start before the handover (%(date)s).")
                % {"date": asset.handed_over_on.isoformat()}
            }
        )
    ends_on = add_months(starts_on, months) - dt.timedelta(days=1)
    for other in asset.concessions.all():
        if other.starts_on <= ends_on and starts_on <= other.last_day():
            raise ValidationError(
                {
                    "starts_on": _(
                        "The asset is already granted to %(holder)s from %(start)s to %(end)s."
                    )
                    % {
                        "holder": other.holder,
                        "start": other.starts_on.isoformat(),
                        "end": other.last_day().isoformat(),
                    }
                }
            )
    concession = Concession(asset=asset, ends_on=ends_on, created_by=_user(actor), **fields)
    concession.full_clean()
    concession.save()
    if concession.in_force(today()):
        asset.current_use = concession.project_title
        asset.save(update_fields=["current_use", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        "assets.concession",
        concession,
        f"{asset.code} → {concession.holder}",
        asset.comune,
    )
    do_refresh_alerts(assets=[asset])
    return concession


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def do_end_concession(actor: Any, concession: Concession, on: dt.date) -> Concession:
    """End a concession before its term (revocation, renunciation)."""
    check_perm(actor, "assets.manage_asset", concession.asset.comune)
    concession = (
        Concession.objects.select_for_update(of=("self",))
        .select_related("asset")
        .get(pk=concession.pk)
    )
    if concession.ended_early_on is not None:
        # Ending it again later would bring it back into force, over any later concession.
        raise ValidationError(
            {
                "on": _("The concession already ended on %(date)s.")
                % {"date": concession.ended_early_on.isoformat()}
            }
        )
    if not concession.starts_on <= on <= concession.ends_on:
        raise ValidationError(
            {
                "on": _("The end must fall between %(start)s and %(end)s.")
                % {"start": concession.starts_on.isoformat(), "end": concession.ends_on.isoformat()}
            }
        )
    concession.ended_early_on = on
    concession.save(update_fields=["ended_early_on"])
    asset = concession.asset
    if asset.current_use == concession.project_title:
        asset.current_use = ""
        asset.save(update_fields=["current_use", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        "assets.concession",
        concession,
        f"{asset.code}: {concession.holder} ended {on.isoformat()}",
        asset.comune,
    )
    do_refresh_alerts(assets=[asset])
    return concession


def years_due(concession: Concession, on: dt.date) -> list[int]:
    """Return the years of a concession whose report is due by ``on`` (grace included)."""
    grace = dt.timedelta(days=int(settings.PROSSIMA["ASSET_REPORT_GRACE_DAYS"]))
    due = []
    year = 1
    while True:
        year_end = add_months(concession.starts_on, 12 * year)
        # A year counts once it has fully run inside the concession.
        if year_end - dt.timedelta(days=1) > concession.last_day() or year_end + grace > on:
            break
        due.append(year)
        year += 1
    return due


@transaction.atomic
def do_record_report(
    actor: Any,
    concession: Concession,
    *,
    year_number: int,
    received_on: dt.date,
    summary: str,
    people_reached: int | None = None,
) -> ConcessionReport:
    """Record the yearly report of a reuse project."""
    check_perm(actor, "assets.manage_asset", concession.asset.comune)
    if received_on > today():
        raise ValidationError({"received_on": _("The date is in the future.")})
    if received_on < concession.starts_on:
        raise ValidationError({"received_on": _("The report cannot precede the concession.")})
    # Years follow the calendar, as in years_due (a 365-day count drifts in leap years).
    started = 1
    while add_months(concession.starts_on, 12 * started) <= received_on:
        started += 1
    last_year = max(1, -(-concession.duration_months // 12))
    if year_number > last_year:
        raise ValidationError(
            {
                "year_number": _("The concession lasts %(months)s months: years 1 to %(last)s.")
                % {"months": concession.duration_months, "last": last_year}
            }
        )
    if not 1 <= year_number <= started:
        raise ValidationError(
            {
                "year_number": _("On %(date)s the concession was in its year %(year)s.")
                % {"date": received_on.isoformat(), "year": started}
            }
        )
    if concession.reports.filter(year_number=year_number).exists():
        raise ValidationError({"year_number": _("The report for this year is already recorded.")})
    report = ConcessionReport.objects.create(
        concession=concession,
        year_number=year_number,
        received_on=received_on,
        summary=summary,
        people_reached=people_reached,
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        "assets.concessionreport",
        report,
        f"{concession.asset.code}: year {year_number}",
        concession.asset.comune,
    )
    do_refresh_alerts(assets=[concession.asset])
    return report


# --- Alerts -------------------------------------------------------------------------


def alerts_for(asset: Asset, on: dt.date) -> dict[str, dict[str, Any]]:
    """Return the alerts that hold for an asset on a date: kind -> facts.

    The facts (dates, holder, days) are stored with the alert and put into
    words when shown (``describe_alert``), in the reader's language.
    """
    found: dict[str, dict[str, Any]] = {}
    if asset.stage != Stage.HANDED_OVER or asset.handed_over_on is None:
        return found
    concessions = sorted(asset.concessions.all(), key=lambda c: c.starts_on)
    current = [c for c in concessions if c.in_force(on)]
    later = [c for c in concessions if c.starts_on > on]
    notice = int(settings.PROSSIMA["ASSET_EXPIRY_NOTICE_DAYS"])
    for concession in current:
        left = (concession.last_day() - on).days
        if left <= notice and not later:
            found[AlertKind.CONCESSION_EXPIRING] = {
                "holder": concession.holder,
                "date": concession.last_day().isoformat(),
                "days": left,
            }
    in_use = bool(current) or asset.direct_use_since is not None
    past = [c for c in concessions if c.last_day() < on]
    if not in_use and not later:
        last = past[-1] if past else None
        if last is not None and last.ended_early_on is None:
            found[AlertKind.CONCESSION_EXPIRED] = {
                "holder": last.holder,
                "date": last.ends_on.isoformat(),
            }
        else:
            idle_since = max(
                [asset.handed_over_on] + [c.last_day() + dt.timedelta(days=1) for c in past]
            )
            months = int(settings.PROSSIMA["ASSET_IDLE_MONTHS"])
            if add_months(idle_since, months) <= on:
                found[AlertKind.IDLE] = {"date": idle_since.isoformat(), "months": months}
    missing = []
    for concession in concessions:
        reported = {r.year_number for r in concession.reports.all()}
        for year in years_due(concession, on):
            if year not in reported:
                missing.append([concession.holder, year])
    if missing:
        found[AlertKind.REPORT_OVERDUE] = {"missing": missing}
    return found


def describe_alert(kind: str, facts: dict[str, Any]) -> str:
    """Return an alert's facts in words, in the active language."""

    def day(value: str) -> str:
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")

    if kind == AlertKind.CONCESSION_EXPIRING:
        return ngettext(
            "The concession to %(holder)s ends on %(date)s (in %(days)s day).",
            "The concession to %(holder)s ends on %(date)s (in %(days)s days).",
            facts["days"],
        ) % {"holder": facts["holder"], "date": day(facts["date"]), "days": facts["days"]}
    if kind == AlertKind.CONCESSION_EXPIRED:
        return _(
            "The concession to %(holder)s expired on %(date)s and the asset has no new use."
        ) % {"holder": facts["holder"], "date": day(facts["date"])}
    if kind == AlertKind.IDLE:
        return _("Without concession or use since %(date)s (more than %(months)s months).") % {
            "date": day(facts["date"]),
            "months": facts["months"],
        }
    if kind == AlertKind.REPORT_OVERDUE:
        return _("Yearly reuse report missing (holder: year): %(list)s.") % {
            "list": "; ".join(f"{holder}: {year}" for holder, year in facts["missing"])
        }
    return ""


def _recipients(comune: Comune) -> list[str]:
    return sorted(
        {
            m.user.email
            for m in Membership.objects.filter(
                organisation__kind=OrganisationKind.COMUNE,
                organisation__comune=comune,
                role__in=MANAGING_ROLES,
                user__is_active=True,
            ).select_related("user")
            if m.user.email
        }
    )


def do_refresh_alerts(
    on: dt.date | None = None,
    assets: Iterable[Asset] | None = None,
    notify: bool | None = None,
) -> list[AssetAlert]:
    """Open the alerts that now hold, clear those that no longer do; return the new ones.

    Runs for the changed asset after every write, and for every asset once a
    day. Only the daily run (``assets=None``) e-mails, unless ``notify`` says
    otherwise: an alert opened while someone records an asset's history is
    often cleared a minute later, and must not reach anyone's inbox.
    """
    on = on or today()
    queryset = Asset.objects.filter(stage=Stage.HANDED_OVER)
    if assets is not None:
        queryset = Asset.objects.filter(pk__in=[a.pk for a in assets])
    opened: list[AssetAlert] = []
    with transaction.atomic():
        for asset in queryset.select_related("comune").prefetch_related(
            "concessions__reports", "alerts"
        ):
            holding = alerts_for(asset, on)
            open_alerts = {a.kind: a for a in asset.alerts.all() if a.cleared_on is None}
            for kind, alert in open_alerts.items():
                if kind not in holding:
                    alert.cleared_on = on
                    alert.save(update_fields=["cleared_on"])
                elif alert.facts != holding[kind]:
                    alert.facts = holding[kind]
                    alert.save(update_fields=["facts"])
            for kind, facts in holding.items():
                if kind not in open_alerts:
                    opened.append(
                        AssetAlert.objects.create(asset=asset, kind=kind, facts=facts, opened_on=on)
                    )
        # Assets that left the handed-over stage cannot hold alerts.
        if assets is None:
            AssetAlert.objects.filter(cleared_on__isnull=True).exclude(
                asset__stage=Stage.HANDED_OVER
            ).update(cleared_on=on)
    if notify if notify is not None else assets is None:
        do_notify_alerts()
    return opened


def do_notify_alerts() -> int:
    """E-mail every open alert not yet written about, one message per comune; return how many."""
    pending = list(
        AssetAlert.objects.filter(cleared_on__isnull=True, notified_at__isnull=True)
        .select_related("asset__comune")
        .order_by("asset__comune_id", "asset__code", "kind")
    )
    _notify(pending)
    return len(pending)


def _notify(alerts: list[AssetAlert]) -> None:
    by_comune: dict[int, list[AssetAlert]] = {}
    for alert in alerts:
        by_comune.setdefault(alert.asset.comune_id, []).append(alert)
    for group in by_comune.values():
        comune = group[0].asset.comune
        recipients = _recipients(comune)
        if recipients:
            lines = [
                f"- {a.asset.code} ({a.asset.address or comune.name}): "
                f"{AlertKind(a.kind).label}. {a.detail}"
                for a in group
            ]
            send_mail(
                ngettext(
                    "Confiscated assets of %(comune)s: %(count)s new alert",
                    "Confiscated assets of %(comune)s: %(count)s new alerts",
                    len(group),
                )
                % {"comune": comune.name, "count": len(group)},
                "\n".join(lines),
                None,
                recipients,
                fail_silently=True,
            )
        AssetAlert.objects.filter(pk__in=[a.pk for a in group]).update(notified_at=timezone.now())


# --- Imports ------------------------------------------------------------------------


@dataclass
class ImportRefusedError(Exception):
    """Raised when a file has bad values: nothing was imported."""

    problems: list[agency.RowProblem]

    def __str__(self) -> str:
        return ngettext(
            "%(count)s value cannot be used; nothing was imported.",
            "%(count)s values cannot be used; nothing was imported.",
            len(self.problems),
        ) % {"count": len(self.problems)}


class ComuneMatcher:
    """Find a comune by ISTAT code, or by name with the province to tell namesakes apart.

    Names are compared without case, accents, spaces or punctuation, so that
    the agency's "CANICATTI'", "REGGIO NELL'EMILIA" or "RUFFRE'-MENDOLA" find
    Canicattì, Reggio nell'Emilia and Ruffrè-Mendola; "S." and "SS." are tried
    as San, Santa, Santo, Sant' and Santi, Santissimo; bilingual names match
    on either language. A full name wins over one language of a bilingual name.
    """

    ABBREVIATIONS = (
        (re.compile(r"^ss\.\s*"), ("santi ", "santissimo ")),
        (re.compile(r"^s\.\s*"), ("san ", "santa ", "santo ", "sant'")),
    )

    def __init__(self) -> None:
        self.by_code: dict[str, Comune] = {}
        self.by_name: dict[str, list[Comune]] = {}
        self.by_part: dict[str, list[Comune]] = {}
        for comune in Comune.objects.select_related("province"):
            self.by_code[comune.istat_code] = comune
            self.by_name.setdefault(self.key(comune.name), []).append(comune)
            if "/" in comune.name:
                for part in comune.name.split("/"):
                    self.by_part.setdefault(self.key(part), []).append(comune)

    @staticmethod
    def key(name: str) -> str:
        """Return the comparable form of a name: letters and digits only, no accents."""
        return re.sub(r"[^a-z0-9]", "", agency.normalise(name).replace("ß", "ss"))

    def _keys(self, name: str) -> list[str]:
        text = agency.normalise(name)
        for pattern, expansions in self.ABBREVIATIONS:
            if pattern.match(text):
                return [self.key(pattern.sub(e, text, count=1)) for e in expansions]
        return [self.key(text)]

    def _province_matches(self, comune: Comune, province: str) -> bool:
        wanted = self.key(province)
        names = {comune.province.name, *comune.province.name.split("/")}
        return wanted == comune.province.abbreviation.lower() or any(
            wanted == self.key(n) for n in names
        )

    def match(self, values: dict[str, Any]) -> tuple[Comune | None, str]:
        """Return the comune of a row, or None with the reason."""
        code = values.get("istat_code", "")
        if code:
            found = self.by_code.get(code)
            if found is None:
                return None, _("no comune has ISTAT code %(code)s") % {"code": code}
            return found, ""
        name = values.get("comune", "")
        candidates: dict[int, Comune] = {}
        for index in (self.by_name, self.by_part):
            for key in self._keys(name):
                candidates.update({c.pk: c for c in index.get(key, [])})
            if candidates:
                break
        if not candidates:
            return None, _("no comune is called “%(name)s”") % {"name": name}
        namesakes = list(candidates.values())
        province = values.get("province", "")
        if len(namesakes) > 1 and province:
            narrowed = [c for c in namesakes if self._province_matches(c, province)]
            if len(narrowed) == 1:
                return narrowed[0], ""
        if len(namesakes) > 1:
            return None, _("%(count)s comuni are called “%(name)s”: %(which)s") % {
                "count": len(namesakes),
                "name": name,
                "which": ", ".join(str(c) for c in namesakes),
            }
        return namesakes[0], ""


def _apply(asset: Asset, values: dict[str, Any]) -> bool:
    """Copy a row's values onto an asset; return whether anything changed."""
    changed = False
    for name in AGENCY_FIELDS:
        if name not in values or values[name] in ("", None):
            continue
        value = values[name]
        if name in DATE_FIELDS:
            value = dt.date.fromisoformat(value)
        if getattr(asset, name) != value:
            setattr(asset, name, value)
            changed = True
    for name in FILL_ONLY_FIELDS:
        value = values.get(name)
        if value in ("", None) or getattr(asset, name) not in ("", None):
            continue
        if name == "current_use" and asset.stage == Stage.HANDED_OVER:
            continue  # the comune records the use of what it holds
        setattr(asset, name, Decimal(value) if name == "surface_m2" else value)
        changed = True
    stage = _later_stage(asset.stage, values.get("stage", ""))
    if stage != asset.stage:
        asset.stage = stage
        changed = True
    return changed


def _asset_from_row(comune: Comune | None, values: dict[str, Any]) -> Asset:
    asset = Asset(
        code=values["code"],
        kind=values["kind"],
        stage=values["stage"] or Stage.CONFISCATED_FINAL,
    )
    if comune is not None:
        asset.comune = comune
    _apply(asset, values)
    return asset


# The file's field (see agency.FIELDS) each stored field comes from, to name the column.
SOURCE_FIELD = {
    "code": "code",
    "kind": "kind",
    "category_source": "category",
    "subcategory": "subcategory",
    "typology": "typology",
    "sector": "sector",
    "recipient": "recipient",
    "destination_purpose": "purpose",
    "current_use": "current_use",
    "address": "address",
    "destination_decree_number": "decree_number",
    "destination_decree_date": "decree_date",
    "seized_on": "measure_date",
    "confiscated_first_on": "measure_date",
    "confiscated_appeal_on": "measure_date",
    "confiscated_final_on": "measure_date",
    "cadastral_sheet": "sheet",
    "cadastral_parcel": "parcel",
    "cadastral_sub": "sub",
    "surface_m2": "surface",
    "lat": "lat",
    "lon": "lon",
    "comune_name": "comune",
    "province_name": "province",
}


def _value_problems(
    line: int,
    columns: dict[str, str],
    values: dict[str, Any],
    obj: Asset | PendingRow,
    exclude: list[str] | None = None,
) -> list[agency.RowProblem]:
    """Return the row's values that the record cannot store (too long, bad dates...)."""
    try:
        if isinstance(obj, Asset):
            check_stage_dates(obj)
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        found = []
        for name, messages in exc.message_dict.items():
            source = SOURCE_FIELD.get(name, "")
            column = columns.get(source, "") or name
            value = values.get(name, values.get(source, ""))
            found.append(agency.RowProblem(line, column, str(value), " ".join(messages)))
        return found
    return []


@transaction.atomic
def do_import_assets(
    actor: Any,
    *,
    raw: bytes,
    filename: str,
    file_kind: str,
    columns: dict[str, str],
    scope: list[Comune] | None,
    organisation: Organisation | None = None,
    encoding: str = "auto",
) -> AssetImport:
    """Import an agency file: all-or-nothing on bad values, unmatched comuni kept aside.

    ``scope`` lists the comuni the importer manages (None: all of Italy, for
    the platform's administrators); rows of other comuni are counted and
    skipped. Re-importing the same file adds and changes nothing.
    """
    for comune in scope or []:
        check_perm(actor, "assets.manage_asset", comune)
    if not scope and actor is not None and not getattr(actor, "is_superuser", False):
        # Only the platform's administrators (or the command line) import for all of Italy;
        # an empty scope would skip the permission check above and still keep rows aside.
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        text = agency.decode(raw, encoding)
    except UnicodeDecodeError as exc:
        raise agency.AgencyFileError(
            _("%(file)s: the text is not in %(encoding)s.")
            % {"file": filename, "encoding": encoding}
        ) from exc
    header, rows, lines = agency.read_table_lines(text, filename)
    problems = agency.check_mapping(columns, header)
    if problems:
        raise agency.AgencyFileError(" ".join(problems))
    parsed = agency.parse_rows(header, rows, columns, file_kind, today(), lines)
    in_scope = None if scope is None else {c.pk for c in scope}
    matcher = ComuneMatcher()
    existing = {
        a.code: a for a in Asset.objects.filter(code__in=[r.values["code"] for r in parsed.rows])
    }
    # Rows still waiting, and rows this organisation set aside for good, are not kept again.
    pending_codes = set(
        PendingRow.objects.filter(
            code__in=[r.values["code"] for r in parsed.rows],
            resolved_asset__isnull=True,
        )
        .filter(Q(discarded=False) | Q(source__organisation=organisation))
        .values_list("code", flat=True)
    )
    record = AssetImport(
        filename=filename,
        file_kind=file_kind,
        columns=columns,
        scope=[c.istat_code for c in scope] if scope is not None else [],
        rows=len(rows),
        imported_by=_user(actor),
        organisation=organisation,
    )
    to_create: list[Asset] = []
    to_update: list[Asset] = []
    to_hold: list[PendingRow] = []
    for row in parsed.rows:
        values = row.values
        matched, reason = matcher.match(values)
        if matched is None:
            if values["code"] in existing:
                matched = existing[values["code"]].comune
            elif values["code"] in pending_codes:
                record.unchanged += 1  # already waiting from an earlier import
                continue
            else:
                pending = PendingRow(
                    line=row.line,
                    code=values["code"],
                    comune_name=values.get("comune", "") or values.get("istat_code", ""),
                    province_name=values.get("province", ""),
                    reason=reason[:300],
                    values=values,
                )
                # The row becomes an asset once fixed: its values must fit one.
                provisional = _asset_from_row(None, values)
                found = _value_problems(
                    row.line, columns, values, provisional, exclude=["comune"]
                ) or _value_problems(row.line, columns, values, pending, exclude=["source"])
                if found:
                    parsed.problems.extend(found)
                else:
                    to_hold.append(pending)
                continue
        comune = matched
        asset = existing.get(values["code"])
        outside = in_scope is not None and comune.pk not in in_scope
        # An asset of a comune in scope listed under another comune is a conflict to
        # resolve, not a row of another comune.
        if outside and (asset is None or asset.comune_id not in (in_scope or set())):
            record.outside_scope += 1
            continue
        if asset is not None and asset.comune_id != comune.pk:
            parsed.problems.append(
                agency.RowProblem(
                    row.line,
                    columns.get("comune") or columns.get("istat_code", ""),
                    values.get("comune", ""),
                    _("asset %(code)s is registered in %(registered)s, not in %(comune)s")
                    % {"code": values["code"], "registered": asset.comune, "comune": comune},
                )
            )
            continue
        target = asset or _asset_from_row(comune, values)
        changed = asset is None or _apply(target, values)
        found = _value_problems(row.line, columns, values, target, exclude=["comune"])
        if found:
            parsed.problems.extend(found)
            continue
        if asset is None:
            to_create.append(target)
        elif changed:
            to_update.append(target)
        else:
            record.unchanged += 1
    if parsed.problems:
        raise ImportRefusedError(sorted(parsed.problems, key=lambda p: p.line))
    record.created = len(to_create)
    record.updated = len(to_update)
    record.unmatched = len(to_hold)
    record.save()
    Asset.objects.bulk_create(to_create, batch_size=500)
    for asset in to_update:
        asset.save()
    for pending in to_hold:
        pending.source = record
    PendingRow.objects.bulk_create(to_hold, batch_size=500)
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        "assets.assetimport",
        record.pk,
        f"{filename}: +{record.created} ~{record.updated} ?{record.unmatched}",
        organisation=organisation,
    )
    do_refresh_alerts(assets=Asset.objects.filter(code__in=[a.code for a in to_create + to_update]))
    return record


@transaction.atomic
def do_resolve_pending(actor: Any, row: PendingRow, comune: Comune) -> Asset:
    """Import a kept-aside row into the comune chosen by the person fixing it."""
    check_perm(actor, "assets.manage_asset", comune)
    row = (
        PendingRow.objects.select_for_update(of=("self",))
        .select_related("source__organisation")
        .get(pk=row.pk)
    )
    importer = row.source.organisation
    if importer is not None and importer.comune_id != comune.pk:
        # A comune decides on the rows of its own imports, for its own registry.
        raise ValidationError(_("This row belongs to another organisation's import."))
    if not row.open:
        raise ValidationError(_("This row has already been dealt with."))
    if Asset.objects.filter(code=row.code).exists():
        raise ValidationError(
            _("An asset with code %(code)s is already registered.") % {"code": row.code}
        )
    asset = _asset_from_row(comune, row.values)
    check_stage_dates(asset)
    asset.full_clean()
    asset.save()
    row.resolved_asset = asset
    row.resolved_at = timezone.now()
    row.save(update_fields=["resolved_asset", "resolved_at"])
    _audit(
        actor, AuditEvent.Action.CREATE, "assets.asset", asset, f"{asset.code} (fixed row)", comune
    )
    do_refresh_alerts(assets=[asset])
    return asset


@transaction.atomic
def do_discard_pending(actor: Any, row: PendingRow, organisation: Organisation) -> PendingRow:
    """Set a kept-aside row aside for good (it belongs to another comune, or is wrong)."""
    check_perm(actor, "assets.manage_asset", organisation.comune)
    row = PendingRow.objects.select_for_update(of=("self",)).select_related("source").get(pk=row.pk)
    if row.source.organisation_id != organisation.pk:
        raise ValidationError(_("This row belongs to another organisation's import."))
    if not row.open:
        raise ValidationError(_("This row has already been dealt with."))
    row.discarded = True
    row.resolved_at = timezone.now()
    row.save(update_fields=["discarded", "resolved_at"])
    return row


# --- Calls and proposals --------------------------------------------------------------


@transaction.atomic
def do_create_call(
    actor: Any, asset: Asset, *, title: str, description: str, closes_on: dt.date, publish: bool
) -> ReuseCall:
    """Prepare (and optionally publish) a call for reuse proposals for a handed-over asset."""
    check_perm(actor, "assets.manage_asset", asset.comune)
    if asset.stage != Stage.HANDED_OVER:
        raise ValidationError(
            _("Only an asset handed over to the comune can be offered for reuse.")
        )
    if closes_on <= today():
        raise ValidationError({"closes_on": _("The closing date must be in the future.")})
    if asset.calls.filter(status=CallStatus.OPEN).exists():
        raise ValidationError(_("A call for this asset is already open."))
    call = ReuseCall.objects.create(
        asset=asset,
        title=title,
        description=description,
        closes_on=closes_on,
        status=CallStatus.OPEN if publish else CallStatus.DRAFT,
        published_on=today() if publish else None,
    )
    _audit(actor, AuditEvent.Action.CREATE, "assets.reusecall", call, call.title, asset.comune)
    return call


@transaction.atomic
def do_publish_call(actor: Any, call: ReuseCall) -> ReuseCall:
    """Open a draft call to the public."""
    check_perm(actor, "assets.manage_asset", call.asset.comune)
    if call.status != CallStatus.DRAFT:
        raise ValidationError(_("Only a draft call can be published."))
    if call.asset.calls.filter(status=CallStatus.OPEN).exclude(pk=call.pk).exists():
        raise ValidationError(_("A call for this asset is already open."))
    if call.closes_on <= today():
        raise ValidationError({"closes_on": _("The closing date must be in the future.")})
    call.status = CallStatus.OPEN
    call.published_on = today()
    call.save(update_fields=["status", "published_on"])
    return call


@transaction.atomic
def do_decide_call(
    actor: Any, call: ReuseCall, *, outcome: str, selected: ReuseProposal | None
) -> ReuseCall:
    """Publish the outcome of a call; the selected proposal is marked, the others not."""
    check_perm(actor, "assets.manage_asset", call.asset.comune)
    if call.status not in (CallStatus.OPEN, CallStatus.CLOSED):
        raise ValidationError(_("Only a published call can have an outcome."))
    if not outcome.strip():
        raise ValidationError({"outcome": _("Write the outcome for the public.")})
    if selected is not None and selected.call_id != call.pk:
        raise ValidationError({"selected": _("The selected proposal was not sent to this call.")})
    call.status = CallStatus.DECIDED
    call.outcome = outcome.strip()
    call.decided_on = today()
    call.save(update_fields=["status", "outcome", "decided_on"])
    for proposal in call.proposals.all():
        proposal.status = (
            ProposalStatus.SELECTED
            if selected is not None and proposal.pk == selected.pk
            else ProposalStatus.NOT_SELECTED
        )
        proposal.save(update_fields=["status"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        "assets.reusecall",
        call,
        f"{call.title}: outcome",
        call.asset.comune,
    )
    return call


def open_call(asset: Asset, on: dt.date | None = None) -> ReuseCall | None:
    """Return the call of an asset currently accepting proposals, if any."""
    on = on or today()
    return asset.calls.filter(status=CallStatus.OPEN, closes_on__gte=on).first()


def accepts_proposals(asset: Asset, on: dt.date | None = None) -> bool:
    """Return whether the public may propose a reuse: an open call, or an idle asset."""
    if open_call(asset, on) is not None:
        return True
    return asset.alerts.filter(
        Q(kind=AlertKind.IDLE) | Q(kind=AlertKind.CONCESSION_EXPIRED), cleared_on__isnull=True
    ).exists()


@transaction.atomic
def do_submit_proposal(actor: Any, asset: Asset, **fields: Any) -> ReuseProposal:
    """Receive a reuse proposal from the public for an open call or an idle asset."""
    if not accepts_proposals(asset):
        raise ValidationError(
            _("This asset is not open to proposals: it is in use, or no call is open.")
        )
    proposal = ReuseProposal(asset=asset, call=open_call(asset), proposer=_user(actor), **fields)
    proposal.full_clean()
    proposal.save()
    recipients = _recipients(asset.comune)
    if recipients:
        send_mail(
            _("New reuse proposal for %(code)s") % {"code": asset.code},
            f"{proposal.title}\n\n{proposal.description}",
            None,
            recipients,
            fail_silently=True,
        )
    return proposal


@transaction.atomic
def do_set_proposal_status(actor: Any, proposal: ReuseProposal, status: str) -> ReuseProposal:
    """Shortlist or set aside a proposal while it is evaluated."""
    check_perm(actor, "assets.manage_asset", proposal.asset.comune)
    if status not in (ProposalStatus.RECEIVED, ProposalStatus.SHORTLISTED):
        raise ValidationError(_("Select or reject proposals by publishing the call's outcome."))
    if proposal.call is not None and proposal.call.status == CallStatus.DECIDED:
        raise ValidationError(_("The call's outcome is already published."))
    proposal.status = status
    proposal.save(update_fields=["status"])
    return proposal


def close_expired_calls(on: dt.date | None = None) -> int:
    """Mark open calls past their closing date as closed; return how many."""
    on = on or today()
    return ReuseCall.objects.filter(status=CallStatus.OPEN, closes_on__lt=on).update(
        status=CallStatus.CLOSED
    )


def daily_checks(on: dt.date | None = None) -> dict[str, int]:
    """Run the registry's daily housekeeping: alerts and call deadlines."""
    closed = close_expired_calls(on)
    opened = do_refresh_alerts(on)
    return {"alerts_opened": len(opened), "calls_closed": closed}
