"""URL configuration: web pages, accounts, API, admin and language switching."""

from django.contrib import admin
from django.urls import include, path

from prossima.config.api import api

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
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
