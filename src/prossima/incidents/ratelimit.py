"""How many citizen reports one client may submit per window, counted in the cache.

Anonymous clients are counted by a hash of their IP address (the address itself
is never stored), people logged in by their account, with a higher limit. The
cache is Redis in production, so every web worker shares the counts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(actor: Any, client_ip: str | None) -> tuple[str, int]:
    conf = settings.PROSSIMA
    if actor is not None and getattr(actor, "is_authenticated", False):
        return f"reports:rate:user:{actor.pk}", int(conf["REPORT_RATE_USER"])
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{client_ip or '-'}".encode()).hexdigest()
    return f"reports:rate:ip:{digest[:32]}", int(conf["REPORT_RATE_ANONYMOUS"])


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
    if not cache.add(key, 1, timeout=window_seconds()):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds())


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, trusting X-Forwarded-For only as far as configured.

    Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, the client is the address the
    outermost of them saw, that many entries from the right of X-Forwarded-For;
    entries further left are whatever the client wrote and are ignored.
    """
    hops = int(settings.PROSSIMA.get("TRUSTED_PROXY_HOPS", 0))
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None
