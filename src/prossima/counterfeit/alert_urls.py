"""URLs of the unsafe-product alerts (public list, pages, import, local alerts).

Alert numbers contain slashes (A12/00123/24), so the pages take them as a path;
the fixed addresses come first and the photo and edit pages before the alert's.
"""

from django.urls import URLPattern, path

from prossima.counterfeit import alert_views

alert_urlpatterns: list[URLPattern] = [
    path("alerts/", alert_views.alerts, name="alerts"),
    path("alerts/import/", alert_views.alert_import, name="alert_import"),
    path("alerts/new/<slug:slug>/", alert_views.alert_new, name="alert_new"),
    path("alerts/<path:number>/photo/", alert_views.alert_photo, name="alert_photo"),
    path("alerts/<path:number>/edit/", alert_views.alert_edit, name="alert_edit"),
    path("alerts/<path:number>/", alert_views.alert, name="alert"),
]
