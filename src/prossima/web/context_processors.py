"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from prossima import __version__
from prossima.web.modules import MODULES


def platform(request: HttpRequest) -> dict[str, Any]:
    """Return the navigation modules, map settings and version for templates."""
    return {
        "modules": MODULES,
        "tile_url": settings.PROSSIMA["TILE_URL"],
        "tile_attribution": settings.PROSSIMA["TILE_ATTRIBUTION"],
        "prossima_version": __version__,
    }
