"""Reads of the registry: a comune's dashboard, the public list, national counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.accounts.permissions import restricted_tenant_ids
from prossima.assets import actions
from prossima.assets.models import (
    AlertKind,
    Asset,
    AssetAlert,
    AssetImport,
    CallStatus,
    Concession,
    PendingRow,
    ReuseCall,
    Stage,
)
from prossima.territory.models import Comune, Region

# Assets transferred to the comune: the ones the law asks it to list.
LISTED_STAGES = (Stage.DESTINED, Stage.HANDED_OVER)
IN_MANAGEMENT_STAGES = (
    Stage.SEIZED,
    Stage.CONFISCATED_FIRST,
    Stage.CONFISCATED_APPEAL,
    Stage.CONFISCATED_FINAL,
)

# The columns of the public list, in order: exactly what art. 48 c.3 lett. c
# D.Lgs. 159/2011 asks for (consistency, destination, use, and for a concession
# the holder and the act's references, subject and duration), and nothing else.
PUBLIC_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("codice_bene", _("Agency code")),
    ("genere", _("Kind")),
    ("categoria", _("Category")),
    ("sottocategoria", _("Sub-category")),
    ("comune", _("Comune")),
    ("codice_istat", _("ISTAT code")),
    ("indirizzo", _("Address")),
    ("foglio", _("Cadastral sheet")),
    ("particella", _("Cadastral parcel")),
    ("subalterno", _("Cadastral unit")),
    ("superficie_mq", _("Surface (m²)")),
    ("stato", _("Stage")),
    ("decreto_destinazione", _("Destination decree")),
    ("data_decreto", _("Decree date")),
    ("destinatario", _("Destined to")),
    ("finalita", _("Purpose")),
    ("data_consegna", _("Handed over on")),
    ("utilizzo", _("Current use")),
    ("concessionario", _("Concession holder")),
    ("tipo_concessionario", _("Kind of holder")),
    ("codice_fiscale_concessionario", _("Holder's tax code")),
    ("atto_concessione", _("Act of concession")),
    ("oggetto_concessione", _("Subject of the concession")),
    ("inizio_concessione", _("Concession starts")),
    ("durata_mesi", _("Duration (months)")),
    ("fine_concessione", _("Concession ends")),
    ("illustrativo", _("Illustrative record")),
)


def tenants_with_assets(user: Any) -> QuerySet[Organisation]:
    """Return the comune organisations whose registry the user works on."""
    comuni = Organisation.objects.filter(kind=OrganisationKind.COMUNE, comune__isnull=False)
    if getattr(user, "is_superuser", False):
        return comuni.select_related("comune").order_by("name")
    return (
        comuni.filter(pk__in=restricted_tenant_ids(user)).select_related("comune").order_by("name")
    )


def _current_concession(asset: Asset, on: dt.date) -> Concession | None:
    return next((c for c in asset.concessions.all() if c.in_force(on)), None)


def registry_of(comune: Comune, stage: str = "", alert: str = "") -> QuerySet[Asset]:
    """Return a comune's assets with their concessions and open alerts, optionally filtered."""
    assets = Asset.objects.filter(comune=comune).prefetch_related(
        "concessions",
        Prefetch("alerts", queryset=AssetAlert.objects.filter(cleared_on__isnull=True)),
    )
    if stage:
        assets = assets.filter(stage=stage)
    if alert:
        assets = assets.filter(alerts__kind=alert, alerts__cleared_on__isnull=True).distinct()
    return assets


@dataclass
class Dashboard:
    """What a comune's asset office sees first."""

    by_stage: list[tuple[str, Any, int]]
    total: int
    alerts: list[AssetAlert]
    alerts_by_kind: list[tuple[str, Any, int]]
    pending: int
    pending_import: AssetImport | None
    imports: list[AssetImport]
    proposals: int


def dashboard(organisation: Organisation) -> Dashboard:
    """Return the counts, open alerts and pending work of a comune's registry."""
    comune = organisation.comune
    assert comune is not None
    counts = Counter(
        dict(
            Asset.objects.filter(comune=comune)
            .values_list("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )
    )
    alerts = list(
        AssetAlert.objects.filter(asset__comune=comune, cleared_on__isnull=True)
        .select_related("asset")
        .order_by("kind", "asset__code")
    )
    kinds = Counter(a.kind for a in alerts)
    open_rows = PendingRow.objects.filter(
        source__organisation=organisation, resolved_asset__isnull=True, discarded=False
    )
    return Dashboard(
        by_stage=[(value, label, counts.get(value, 0)) for value, label in Stage.choices],
        total=sum(counts.values()),
        alerts=alerts,
        alerts_by_kind=[(v, label, kinds[v]) for v, label in AlertKind.choices if kinds[v]],
        pending=open_rows.count(),
        pending_import=AssetImport.objects.filter(pk__in=open_rows.values("source")).first(),
        imports=list(AssetImport.objects.filter(organisation=organisation)[:5]),
        proposals=Asset.objects.filter(comune=comune)
        .aggregate(n=Count("proposals", filter=Q(proposals__status="received")))
        .get("n")
        or 0,
    )


def public_assets(comune: Comune) -> QuerySet[Asset]:
    """Return the assets a comune must list publicly (destined to it or handed over)."""
    return (
        Asset.objects.filter(comune=comune, stage__in=LISTED_STAGES)
        .select_related("comune")
        .prefetch_related("concessions")
        .order_by("code")
    )


def public_row(asset: Asset, on: dt.date | None = None) -> dict[str, Any]:
    """Return one asset as a row of the public list (the columns of PUBLIC_COLUMNS)."""
    on = on or actions.today()
    concession = _current_concession(asset, on)
    row: dict[str, Any] = {
        "codice_bene": asset.code,
        "genere": str(asset.get_kind_display()),
        "categoria": str(asset.get_category_display()) if asset.category else asset.sector,
        "sottocategoria": asset.subcategory or asset.typology,
        "comune": asset.comune.name,
        "codice_istat": asset.comune.istat_code,
        "indirizzo": asset.address,
        "foglio": asset.cadastral_sheet,
        "particella": asset.cadastral_parcel,
        "subalterno": asset.cadastral_sub,
        "superficie_mq": float(asset.surface_m2) if asset.surface_m2 is not None else None,
        "stato": str(asset.get_stage_display()),
        "decreto_destinazione": asset.destination_decree_number,
        "data_decreto": _iso(asset.destination_decree_date),
        "destinatario": asset.recipient,
        "finalita": str(asset.get_destination_purpose_display())
        if asset.destination_purpose
        else asset.destination_mode,
        "data_consegna": _iso(asset.handed_over_on),
        "utilizzo": asset.current_use,
        "concessionario": "",
        "tipo_concessionario": "",
        "codice_fiscale_concessionario": "",
        "atto_concessione": "",
        "oggetto_concessione": "",
        "inizio_concessione": None,
        "durata_mesi": None,
        "fine_concessione": None,
        "illustrativo": asset.is_illustrative,
    }
    if concession is not None:
        row.update(
            {
                "concessionario": concession.holder,
                "tipo_concessionario": str(concession.get_holder_kind_display()),
                "codice_fiscale_concessionario": concession.holder_tax_code,
                "atto_concessione": concession.act_reference,
                "oggetto_concessione": concession.subject,
                "inizio_concessione": _iso(concession.starts_on),
                "durata_mesi": concession.duration_months,
                "fine_concessione": _iso(concession.last_day()),
            }
        )
    return row


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def last_updated(comune: Comune) -> dt.datetime | None:
    """Return when the comune's public list last changed (an asset or a concession)."""
    assets = Asset.objects.filter(comune=comune, stage__in=LISTED_STAGES)
    moments = [
        assets.aggregate(m=Max("updated_at"))["m"],
        Concession.objects.filter(asset__in=assets).aggregate(m=Max("created_at"))["m"],
    ]
    found = [m for m in moments if m is not None]
    return max(found) if found else None


def public_document(comune: Comune) -> dict[str, Any]:
    """Return a comune's public list as one document (the JSON download and the API)."""
    updated = last_updated(comune)
    on = actions.today()
    return {
        "comune": comune.name,
        "codice_istat": comune.istat_code,
        "aggiornato": updated.isoformat() if updated else None,
        "beni": [public_row(a, on) for a in public_assets(comune)],
    }


def in_management_count(comune: Comune) -> int:
    """Return how many assets of the comune are still seized or under confiscation."""
    return Asset.objects.filter(comune=comune, stage__in=IN_MANAGEMENT_STAGES).count()


def published_calls(asset: Asset) -> list[ReuseCall]:
    """Return an asset's calls the public may see (not drafts)."""
    return list(asset.calls.exclude(status=CallStatus.DRAFT).prefetch_related("proposals"))


def region_counts() -> list[dict[str, Any]]:
    """Return, per region, how many assets are at each stage (the national table)."""
    rows = (
        Asset.objects.values("comune__region__code", "stage")
        .annotate(n=Count("pk"))
        .order_by("comune__region__code")
    )
    names = dict(Region.objects.values_list("code", "name"))
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = row["comune__region__code"]
        entry = table.setdefault(
            code, {"code": code, "name": names.get(code, code), "stages": Counter(), "total": 0}
        )
        entry["stages"][row["stage"]] += row["n"]
        entry["total"] += row["n"]
    result = []
    for entry in table.values():
        entry["cells"] = [entry["stages"].get(value, 0) for value in Stage.values]
        result.append(entry)
    return result


def comune_counts() -> list[dict[str, Any]]:
    """Return every comune with assets: its centroid and its counts (for the national map)."""
    rows = (
        Asset.objects.values(
            "comune__istat_code", "comune__name", "comune__centroid_lon", "comune__centroid_lat"
        )
        .annotate(
            # distinct: the join with the alerts repeats an asset once per alert.
            total=Count("pk", distinct=True),
            listed=Count("pk", filter=Q(stage__in=LISTED_STAGES), distinct=True),
            handed_over=Count("pk", filter=Q(stage=Stage.HANDED_OVER), distinct=True),
            idle=Count(
                "alerts",
                filter=Q(alerts__kind=AlertKind.IDLE, alerts__cleared_on__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-total")
    )
    return [dict(row) for row in rows]


def national_alerts() -> QuerySet[AssetAlert]:
    """Return the open alerts of every comune, for the association's national view."""
    return (
        AssetAlert.objects.filter(cleared_on__isnull=True)
        .select_related("asset__comune__region", "asset__comune__province")
        .order_by("asset__comune__region__code", "asset__comune__name", "kind")
    )
