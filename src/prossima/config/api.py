"""The JSON API under /api/, described by OpenAPI at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from prossima import __version__
from prossima.accounts.queries import user_for_api_token
from prossima.config.openapi import ProssimaAPI
from prossima.web.ratelimit import ApiThrottle


class TokenAuth(HttpBearer):
    """Authenticate with ``Authorization: Bearer <token>`` (tokens from the profile page)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_token(token)
        if user is None:
            return None
        request.user = user
        return user


token_auth = TokenAuth()
# Token first: scripts send one; browsers send the session cookie (with CSRF on writes).
AUTHENTICATED = [token_auth, django_auth]

# ProssimaAPI: the schema also declares the 401/404/422/429 answers django-ninja gives.
api = ProssimaAPI(
    title="Prossima API",
    version=__version__,
    description=(
        "Open API of Prossima, the urban-security cooperation platform. Public endpoints "
        "need no authentication; others accept a session cookie or a bearer token, and "
        "apply the same permission rules as the web pages."
    ),
    urls_namespace="api",
    # Every operation: per account or per client address, rates in PROSSIMA
    # (API_RATE_USER, API_RATE_ANONYMOUS); a 429 carries Retry-After.
    throttle=[ApiThrottle()],
)


def _register() -> None:
    from prossima.accounts.api import router as accounts_router
    from prossima.analytics.api import router as analytics_router
    from prossima.assets.api import router as assets_router
    from prossima.counterfeit.alert_api import alerts_router
    from prossima.dialogue.api import router as dialogue_router
    from prossima.incidents.api import datasets_router
    from prossima.incidents.api import router as reports_router
    from prossima.inclusion.api import index_router
    from prossima.inclusion.referral_api import referrals_router
    from prossima.interventions.api import router as interventions_router
    from prossima.policing.api import router as policing_router
    from prossima.practices.api import router as practices_router
    from prossima.territory.api import router as territory_router

    api.add_router("/comuni", territory_router, tags=["territory"])
    api.add_router("", accounts_router, tags=["accounts"])
    api.add_router("/analytics", analytics_router, tags=["analytics"])
    api.add_router("/reports", reports_router, tags=["citizen reports"])
    api.add_router("/incidents", datasets_router, tags=["incidents"])
    api.add_router("/policing", policing_router, tags=["policing"])
    api.add_router("/interventions", interventions_router, tags=["interventions"])
    api.add_router("/inclusion/index", index_router, tags=["inclusion"])
    api.add_router("/inclusion", referrals_router, tags=["inclusion"])
    api.add_router("/assets", assets_router, tags=["confiscated assets"])
    api.add_router("/counterfeit/alerts", alerts_router, tags=["counterfeit"])
    api.add_router("/practices", practices_router, tags=["practices"])
    api.add_router("/dialogue", dialogue_router, tags=["participation"])


_register()
