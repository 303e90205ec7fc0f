"""How many citizen reports one client may submit per window, counted in the cache.

Anonymous clients are counted by a hash of their IP address (the address itself
is never stored), people logged in by their account, with a higher limit. The
cache is Redis in production, so every web worker shares the counts. Unlike the
form limits of ``prossima.web.ratelimit`` (whose counter and client address this
reuses), only accepted reports count, and the window starts at the first one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from prossima.web.ratelimit import address_digest, client_ip, count

__all__ = ["client_ip", "count_report", "limit_reached", "window_seconds"]


def _key(actor: Any, client_ip: str | None) -> tuple[str, int]:
    conf = settings.PROSSIMA
    if actor is not None and getattr(actor, "is_authenticated", False):
        return f"reports:rate:user:{actor.pk}", int(conf["REPORT_RATE_USER"])
    return f"reports:rate:ip:{address_digest(client_ip)}", int(conf["REPORT_RATE_ANONYMOUS"])


def window_seconds() -> int:
    """Return the length of the counting window in seconds."""
    return int(settings.PROSSIMA["REPORT_RATE_WINDOW_SECONDS"])


def limit_reached(actor: Any, client_ip: str | None) -> int | None:
    """Return the limit when this client may not submit another report now, else None."""
    key, limit = _key(actor, client_ip)
    return limit if int(cache.get(key, 0)) >= limit else None


def count_report(actor: Any, client_ip: str | None) -> None:
    """Count one more report for this client in the current window."""
    key, _limit = _key(actor, client_ip)
    count(key, window_seconds())
