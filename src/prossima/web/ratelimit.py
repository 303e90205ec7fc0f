"""Rate limits counted in the Django cache: public forms and the JSON API.

One fixed-window counter per scope and client: the window is aligned to the
clock (``window_index = now // seconds``) and is part of the cache key, so a
client's count starts again at each boundary and the wait before the next
window is known without storing when the first request came. ``cache.add``
creates the counter atomically and ``cache.incr`` increments it, atomically on
Redis (production, shared by every web worker) and good enough on the embedded
file cache, where a lost increment under a race lets through one request more.

A client is its account when logged in, else a keyed hash of its address (the
address itself is never stored), taken the same way everywhere in the
platform: ``client_ip``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja.throttling import BaseThrottle

__all__ = [
    "ApiThrottle",
    "Rate",
    "client_ident",
    "client_ip",
    "count",
    "hit",
    "parse_rate",
    "rate_limited",
    "too_many_requests",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")

View = TypeVar("View", bound=Callable[..., HttpResponse])


@dataclass(frozen=True)
class Rate:
    """How many requests one client may make per window of ``seconds``."""

    limit: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """Return the rate written as ``"<count>/<unit>"`` or ``"<count>/<n><unit>"``.

    Units: s, m, h, d; ``"600/m"`` is 600 a minute, ``"5/10m"`` five per ten minutes.
    """
    match = _RATE.match(text)
    if match is None:
        raise ValueError(
            f"Rate {text!r} is not valid: write <count>/<unit> or <count>/<n><unit> "
            "with unit s, m, h or d, for example '600/m' or '5/10m'."
        )
    count_, multiplier, unit = match.groups()
    return Rate(limit=int(count_), seconds=int(multiplier or 1) * _UNITS[unit])


def setting_rate(name: str) -> Rate:
    """Return the rate configured as ``PROSSIMA[name]`` (read now, so tests can change it)."""
    return parse_rate(str(settings.PROSSIMA[name]))


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


def address_digest(address: str | None) -> str:
    """Return a keyed hash of a client address, so that counters never hold the address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|{address or '-'}".encode()).hexdigest()[:32]


def client_ident(request: HttpRequest) -> tuple[str, bool]:
    """Return who is counted for this request and whether it is an account.

    A logged-in person is counted by account (wherever they connect from); anyone
    else by address, so a shared office or school address is one client.
    """
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}", True
    return f"ip:{address_digest(client_ip(request))}", False


def count(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (created with ``timeout`` seconds) and return it."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this request opens a new count
        cache.add(key, 1, timeout=timeout)
        return 1


def hit(scope: str, ident: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count one request; return the seconds to wait when it is over the limit, else None."""
    moment = time.time() if now is None else now
    window = int(moment // rate.seconds)
    seen = count(f"rate:{scope}:{ident}:{window}", rate.seconds + 1)
    if seen <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - moment))


def too_many_requests(request: HttpRequest, retry_after: int, message: str) -> HttpResponse:
    """Render the translated 429 page with ``Retry-After`` in seconds."""
    response = render(
        request,
        "web/too_many_requests.html",
        {"message": message, "minutes": max(1, math.ceil(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    scope: str,
    *,
    anonymous: str = "FORM_RATE_ANONYMOUS",
    user: str = "FORM_RATE_USER",
    methods: tuple[str, ...] = ("POST",),
) -> Callable[[View], View]:
    """Limit how often one client may send ``methods`` requests to the decorated view.

    ``anonymous`` and ``user`` name the ``PROSSIMA`` settings holding the rates for
    clients without and with an account. Every such request counts, accepted or
    not, since a flood of invalid forms costs as much as valid ones. Put it below
    ``login_required`` so that people sent to the login page are not counted.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                ident, is_account = client_ident(request)
                wait = hit(scope, ident, setting_rate(user if is_account else anonymous))
                if wait is not None:
                    return too_many_requests(
                        request,
                        wait,
                        _(
                            "You have sent this form too many times in a short while. "
                            "Nothing was saved; please try again later."
                        ),
                    )
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorate


class ApiThrottle(BaseThrottle):
    """Limit API calls per account (session or token) or, without one, per client address.

    Rates come from ``PROSSIMA["API_RATE_USER"]`` and ``PROSSIMA["API_RATE_ANONYMOUS"]``.
    Unlike ninja's own throttles, which keep every request's timestamp in one cache
    entry rewritten on each call, this keeps a single counter per client and window.
    """

    scope = "api"

    def __init__(self) -> None:
        # One instance serves every thread: the wait belongs to the thread's request.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        ident, is_account = client_ident(request)
        rate = setting_rate("API_RATE_USER" if is_account else "API_RATE_ANONYMOUS")
        self._local.wait = hit(self.scope, ident, rate)
        return self._local.wait is None

    def wait(self) -> float | None:
        return cast(float | None, getattr(self._local, "wait", None))
