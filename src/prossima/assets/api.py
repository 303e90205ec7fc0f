"""API of the confiscated-asset registry: the public lists and the national counts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Router
from ninja.errors import HttpError

from prossima.assets import queries
from prossima.territory.models import Comune

router = Router()


@router.get("/comuni/{istat}", auth=None, summary="A comune's public list of confiscated assets")
def comune_list(request: HttpRequest, istat: str) -> dict[str, Any]:
    """Return the list art. 48 c.3 D.Lgs. 159/2011 asks the comune to publish, in Italian."""
    comune = Comune.objects.filter(istat_code=istat).first()
    if comune is None:
        raise HttpError(404, f"No comune has ISTAT code {istat}.")
    # Like the downloads, the values do not change with the reader's language.
    with translation.override("it"):
        return queries.public_document(comune)


@router.get("/regions", auth=None, summary="Confiscated assets by stage and region")
def regions(request: HttpRequest) -> list[dict[str, Any]]:
    """Return, per region, how many assets of the registry are at each stage."""
    return [
        {"code": r["code"], "name": r["name"], "total": r["total"], "stages": dict(r["stages"])}
        for r in queries.region_counts()
    ]
