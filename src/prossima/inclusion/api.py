"""API of the vulnerability index and the safety-audit map (public, like their pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.config.openapi import ErrorOut
from prossima.inclusion import queries
from prossima.inclusion.models import AuditCampaign

index_router = Router()


def _settings(normalisation: str, weights: str, aggregation: str) -> queries.IndexSettings:
    return queries.IndexSettings.from_query(
        {"normalisation": normalisation, "weights": weights, "aggregation": aggregation}
    )


@index_router.get(
    "/national",
    auth=None,
    response={200: dict[str, Any], 404: ErrorOut},
    summary="Vulnerability index of the comuni",
)
def national(
    request: HttpRequest,
    region: str | None = None,
    normalisation: str = "minmax",
    weights: str = "equal",
    aggregation: str = "linear",
) -> dict[str, Any]:
    """Return scores, ranks, contributions and rank bands of every comune (ISTAT data)."""
    from prossima.territory.models import Region

    if region is not None and not Region.objects.filter(code=region).exists():
        raise HttpError(404, "No region has this code.")
    return queries.national_index(_settings(normalisation, weights, aggregation), region)


@index_router.get("/comuni/{istat}", auth=None, summary="Vulnerability index of sub-areas")
def comune(
    request: HttpRequest,
    istat: str,
    normalisation: str = "minmax",
    weights: str = "equal",
    aggregation: str = "linear",
) -> dict[str, Any]:
    """Return the index of a comune's sub-areas (uploaded indicators and audits)."""
    tenant = Organisation.objects.filter(
        kind=OrganisationKind.COMUNE, comune__istat_code=istat
    ).first()
    if tenant is None:
        raise HttpError(404, "This comune is not on the platform.")
    try:
        doc = queries.subarea_index(tenant, _settings(normalisation, weights, aggregation))
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    if doc is None:
        raise HttpError(404, "No index yet: upload indicators for two or more sub-areas.")
    return doc


@index_router.get(
    "/audits/{int:campaign_id}/cells", auth=None, summary="Safety-audit scores on 100 m cells"
)
def audit_cells(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Return a campaign's audits averaged on 100 m cells (no single points, no notes)."""
    campaign = AuditCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise HttpError(404, "No such campaign.")
    return queries.audit_cells(campaign)
