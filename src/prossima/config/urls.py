"""URL configuration: web pages, accounts, API, admin and language switching."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path

from prossima.config.api import api


def _platform_administrators_only(request: HttpRequest) -> bool:
    """Let only platform administrators into the Django admin.

    Its pages bypass the tenant rules of the platform's own pages, so a staff flag
    given by mistake to a comune's employee must not open it.
    """
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _platform_administrators_only  # type: ignore[method-assign]

urlpatterns = [
    path("", include("prossima.web.urls")),
    path("", include("prossima.territory.urls")),
    path("accounts/", include("prossima.accounts.urls")),
    path("incidents/", include("prossima.incidents.urls")),
    path("analytics/", include("prossima.analytics.urls")),
    path("policing/", include("prossima.policing.urls")),
    path("interventions/", include("prossima.interventions.urls")),
    path("inclusion/", include("prossima.inclusion.urls")),
    path("assets/", include("prossima.assets.urls")),
    path("counterfeit/", include("prossima.counterfeit.urls")),
    path("practices/", include("prossima.practices.urls")),
    path("dialogue/", include("prossima.dialogue.urls")),
    path("reports/", include("prossima.reports.urls")),
    path("jobs/", include("prossima.jobs.urls")),
    path("privacy/", include("prossima.privacy.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
