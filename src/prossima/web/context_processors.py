"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from prossima import __version__
from prossima.web.modules import MODULES


def _unread(request: HttpRequest) -> int:
    from prossima.dialogue.models import Notification

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, shown=True, read_at__isnull=True).count()


def platform(request: HttpRequest) -> dict[str, Any]:
    """Return the navigation modules, map settings, version and unread notifications."""
    return {
        # Counted only on pages that show it (the header of signed-in people).
        "unread_notifications": lambda: _unread(request),
        "modules": MODULES,
        "tile_url": settings.PROSSIMA["TILE_URL"],
        "tile_attribution": settings.PROSSIMA["TILE_ATTRIBUTION"],
        "prossima_version": __version__,
    }
