"""Reads of the vulnerability index (national and per sub-area) and the safety-audit map."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.core.cache import cache
from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext_lazy

from prossima.accounts.models import Organisation
from prossima.analysis.indices import composite_index, sensitivity
from prossima.inclusion.models import AUDIT_PARAMETERS, AreaIndicator, AuditCampaign, SafetyAudit
from prossima.territory.models import Comune, Population

# ISTAT indicators from the population already loaded: the weight of old age (shares
# of residents 65+ and 80+, old-age dependency per 100 aged 15-64). The share of minors
# is left out on purpose: it falls where ageing rises, so blending it in cancels the
# signal (ranks then swing across the whole table); a youth-at-risk index needs
# sub-area data such as NEET or school drop-out, which comuni upload.
NATIONAL_INDICATORS = ("aged_65_plus_share", "aged_80_plus_share", "old_age_dependency")
INDICATOR_LABELS = {
    "aged_65_plus_share": gettext_lazy("residents aged 65+"),
    "aged_80_plus_share": gettext_lazy("residents aged 80+"),
    "old_age_dependency": gettext_lazy("old-age dependency"),
    "audit_unsafety": gettext_lazy("safety audits (lack of safety)"),
    "violence_against_women": gettext_lazy("sexual and domestic violence, last year (restricted)"),
}
# Smaller scenario sets for the nation: 7,899 comuni times every scenario must stay quick.
NATIONAL_DRAWS = 60
SUBAREA_DRAWS = 200
CACHE_SECONDS = 24 * 3600
# Safety audits are averaged on cells of this side for the public map.
AUDIT_CELL_M = 100.0


@dataclass(frozen=True)
class IndexSettings:
    """The analyst's choices for an index, from the page's form."""

    normalisation: str = "minmax"
    weights: str = "equal"
    aggregation: str = "linear"

    @classmethod
    def from_query(cls, query: Any) -> IndexSettings:
        """Return settings from a request's GET, falling back to the defaults."""
        choose = {
            "normalisation": ("minmax", "zscore", "rank"),
            "weights": ("equal", "pca"),
            "aggregation": ("linear", "geometric"),
        }
        values = {
            k: (query.get(k) if query.get(k) in accepted else accepted[0])
            for k, accepted in choose.items()
        }
        if values["normalisation"] == "zscore" and values["aggregation"] == "geometric":
            values["aggregation"] = "linear"
        return cls(**values)


def national_table(region_code: str | None = None) -> pd.DataFrame:
    """Return ISTAT indicators per comune (index: ISTAT code), optionally of one region."""
    qs = Population.objects.select_related("comune")
    if region_code:
        qs = qs.filter(comune__province__region__code=region_code)
    rows = {}
    for pop in qs:
        if not pop.total:
            continue
        rows[pop.comune.istat_code] = {
            "aged_65_plus_share": pop.share(pop.aged_65_plus),
            "aged_80_plus_share": pop.share(pop.aged_80_plus),
            "old_age_dependency": pop.old_age_dependency(),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(NATIONAL_INDICATORS))


# Offences whose victims are mostly women: the taxonomy's sexual and domestic violence.
VIOLENCE_AGAINST_WOMEN = ("violenza-sessuale", "maltrattamenti-famiglia", "violenza-reati-sessuali")


def _violence_against_women(tenant: Organisation) -> dict[str, float]:
    """Return the last 365 days' sexual and domestic violence incidents per sub-area code."""
    from django.db.models import Max

    from prossima.incidents.models import Incident

    qs = Incident.objects.filter(
        tenant=tenant, subarea__isnull=False, category__code__in=VIOLENCE_AGAINST_WOMEN
    )
    last = qs.aggregate(last=Max("occurred_from"))["last"]
    if last is None:
        return {}
    recent = qs.filter(occurred_from__gt=last - pd.Timedelta(days=365))
    counts = recent.values_list("subarea__code").annotate(n=Count("id"))
    return {code: float(n) for code, n in counts}


def subarea_table(tenant: Organisation, include_incidents: bool = False) -> pd.DataFrame:
    """Return the uploaded indicators per sub-area, plus audit scores where there are some.

    The safety-audit column is the mean audit score inside the sub-area, turned
    round (3 - score) so that higher means less safe, like every other column.
    With ``include_incidents`` (restricted views only: these are police data on
    sensitive offences) a column counts sexual and domestic violence of the last
    year, the incidents against women the taxonomy can name.
    """
    values = AreaIndicator.objects.filter(tenant=tenant).values_list(
        "subarea__code", "code", "value"
    )
    frame = pd.DataFrame(list(values), columns=["area", "code", "value"])
    table = (
        frame.pivot_table(index="area", columns="code", values="value", aggfunc="first")
        if len(frame)
        else pd.DataFrame()
    )
    audits = _audit_scores_by_subarea(tenant)
    if table.shape[1] and audits:
        table["audit_unsafety"] = pd.Series(audits)
        if table["audit_unsafety"].notna().sum() < 2:
            table = table.drop(columns="audit_unsafety")
    if include_incidents and table.shape[1]:
        violence = _violence_against_women(tenant)
        if violence:
            table["violence_against_women"] = pd.Series(violence).reindex(table.index).fillna(0.0)
    table.columns.name = None
    return table


def _audit_scores_by_subarea(tenant: Organisation) -> dict[str, float]:
    if tenant.comune_id is None:
        return {}
    audits = list(
        SafetyAudit.objects.filter(campaign__tenant=tenant).values_list(
            "lon", "lat", *[n for n, _l in AUDIT_PARAMETERS]
        )
    )
    if not audits:
        return {}
    areas = list(tenant.comune.subareas.values_list("code", "boundary"))  # type: ignore[union-attr]
    tree = shapely.STRtree([shapely.from_geojson(b) for _c, b in areas])
    points = shapely.points([a[0] for a in audits], [a[1] for a in audits])
    scores = np.array([np.mean(a[2:]) for a in audits])
    point_idx, area_idx = tree.query(points, predicate="intersects")
    out: dict[str, list[float]] = {}
    for p, a in zip(point_idx, area_idx, strict=True):
        out.setdefault(areas[a][0], []).append(float(scores[p]))
    return {code: 3.0 - float(np.mean(v)) for code, v in out.items()}


def _cached(key: str, compute: Any) -> Any:
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found


def index_with_bands(table: pd.DataFrame, settings: IndexSettings, draws: int) -> dict[str, Any]:
    """Return the index of ``table`` under ``settings`` and the rank band of every area."""
    result = composite_index(
        table,
        normalisation=settings.normalisation,
        weights=settings.weights,
        aggregation=settings.aggregation,
    )
    normalisations = [settings.normalisation, *(n for n in ("minmax", "zscore", "rank")
                                                  if n != settings.normalisation)]  # fmt: skip
    weightings = [settings.weights, *(w for w in ("equal", "pca") if w != settings.weights)]
    aggregations = [settings.aggregation,
                    *(a for a in ("linear", "geometric") if a != settings.aggregation)]  # fmt: skip
    bands = sensitivity(
        table,
        normalisations=normalisations,
        weightings=weightings,
        aggregations=aggregations,
        n_weight_draws=draws,
        seed=0,
    )
    return {"index": result.to_dict(), "bands": bands.to_dict()}


def national_index(settings: IndexSettings, region_code: str | None = None) -> dict[str, Any]:
    """Return the national (or regional) index of comuni, cached: the data is yearly."""
    year = Population.objects.order_by("-year").values_list("year", flat=True).first()
    key = f"inclusion:national:{year}:{region_code}:{settings}"
    key = "inclusion:" + hashlib.sha256(key.encode()).hexdigest()
    return dict(_cached(key, lambda: index_with_bands(national_table(region_code), settings,
                                                       NATIONAL_DRAWS)))  # fmt: skip


def subarea_index(
    tenant: Organisation, settings: IndexSettings, include_incidents: bool = False
) -> dict[str, Any] | None:
    """Return the index of the tenant's sub-areas, or None without enough indicators."""
    table = subarea_table(tenant, include_incidents)
    if table.shape[0] < 2 or table.shape[1] < 1:
        return None
    # Indicators equal everywhere carry no information (and min-max cannot scale them).
    table = table.loc[:, table.nunique(dropna=True) > 1]
    if table.shape[1] < 1:
        return None
    return index_with_bands(table, settings, SUBAREA_DRAWS)


def ranked_rows(
    doc: dict[str, Any], names: dict[str, str], limit: int | None = None
) -> list[dict[str, Any]]:
    """Return table rows (rank, area, score, band, components), most vulnerable first."""
    index, bands = doc["index"], doc["bands"]["areas"]
    rows = []
    for code, rank in sorted(index["ranks"].items(), key=lambda kv: kv[1]):
        band = bands.get(code, {})
        parts = index["contributions"].get(code, {})
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "rank": rank,
                "score": index["scores"].get(code),
                "band": (band.get("rank_p05"), band.get("rank_p95")),
                "components": [
                    (str(INDICATOR_LABELS.get(k, k)), v)
                    for k, v in sorted(parts.items(), key=lambda kv: -(kv[1] or 0))
                ],
            }
        )
    return rows[:limit] if limit else rows


def missing_text(doc: dict[str, Any]) -> str:
    """Return, in the reader's language, how the index treated missing values."""
    from django.utils.translation import gettext as _

    missing = doc["index"]["missing"]
    if missing["method"] == "mean":
        filled = {k: n for k, n in missing["imputed"].items() if n}
        if not filled:
            return _("no missing values.")
        parts = ", ".join(f"{INDICATOR_LABELS.get(k, k)}: {n}" for k, n in filled.items())
        return _("%(n)s missing values replaced by the indicator's mean (%(parts)s).") % {
            "n": sum(filled.values()),
            "parts": parts,
        }
    if not missing["dropped"]:
        return _("no missing values.")
    return _("areas with missing values left out: %(areas)s.") % {
        "areas": ", ".join(missing["dropped"])
    }


def labelled_weights(doc: dict[str, Any]) -> dict[str, float]:
    """Return the index weights keyed by the indicators' readable names."""
    return {str(INDICATOR_LABELS.get(k, k)): v for k, v in doc["index"]["weights"].items()}


def subarea_geojson(tenant: Organisation, doc: dict[str, Any]) -> dict[str, Any]:
    """Return the tenant's sub-areas with their score and rank, for the map."""
    index = doc["index"]
    features = []
    for code, name, boundary in tenant.comune.subareas.values_list("code", "name", "boundary"):  # type: ignore[union-attr]
        if code not in index["ranks"]:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(boundary),
                "properties": {
                    "code": code,
                    "name": name,
                    "score": index["scores"].get(code),
                    "rank": index["ranks"][code],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def comune_names(codes: list[str]) -> dict[str, str]:
    """Return the names of comuni by ISTAT code."""
    return dict(Comune.objects.filter(istat_code__in=codes).values_list("istat_code", "name"))


def campaigns_of(tenant: Organisation) -> QuerySet[AuditCampaign]:
    """Return a tenant's campaigns with their number of audits."""
    return AuditCampaign.objects.filter(tenant=tenant).annotate(n_audits=Count("audits"))


def audit_cells(campaign: AuditCampaign) -> dict[str, Any]:
    """Return the campaign's audits averaged on 100 m cells: the public safety map.

    Single points and notes stay restricted; a cell shows its mean score (0-3),
    mean feeling and how many audits it holds.
    """
    from prossima.analysis.events import project_lonlat, utm_crs_for
    from prossima.analysis.grid import Grid

    rows = list(
        campaign.audits.values_list("lon", "lat", "feeling", *[n for n, _l in AUDIT_PARAMETERS])
    )
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    lon = np.array([r[0] for r in rows])
    lat = np.array([r[1] for r in rows])
    crs = utm_crs_for(lon, lat)
    x, y = project_lonlat(lon, lat, crs)
    hull = shapely.MultiPoint(np.c_[x, y]).buffer(1.0)
    grid = Grid.from_area(hull, AUDIT_CELL_M, crs)
    cell = grid.assign_xy(x, y)
    score = np.array([np.mean(r[3:]) for r in rows])
    feeling = np.array([r[2] for r in rows], dtype=float)
    n = np.bincount(cell, minlength=grid.n_cells)
    keep = n > 0
    mean_score = np.bincount(cell, weights=score, minlength=grid.n_cells) / np.maximum(n, 1)
    mean_feeling = np.bincount(cell, weights=feeling, minlength=grid.n_cells) / np.maximum(n, 1)
    doc = grid.geojson(
        {"audits": n, "score": np.round(mean_score, 2), "feeling": np.round(mean_feeling, 2)}
    )
    doc["features"] = [f for f, k in zip(doc["features"], keep, strict=True) if k]
    return doc


def campaign_summary(campaign: AuditCampaign) -> dict[str, Any]:
    """Return the campaign's mean score per parameter."""
    names = [n for n, _l in AUDIT_PARAMETERS]
    agg = campaign.audits.aggregate(
        n=Count("id"), feeling=Avg("feeling"), **{n: Avg(n) for n in names}
    )
    return agg
