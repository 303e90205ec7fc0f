"""URLs of the seizures (record, list, dashboard, map)."""

from django.urls import URLPattern, path

from prossima.counterfeit import seizure_views as views

seizure_urlpatterns: list[URLPattern] = [
    path("seizure-totals/", views.seizure_totals, name="seizure_totals"),
    path("seizures/<slug:slug>/", views.seizure_list, name="seizures"),
    path("seizures/<slug:slug>/new/", views.seizure_new, name="seizure_new"),
    path("seizures/<slug:slug>/import/", views.seizure_import, name="seizure_import"),
    path("seizures/<slug:slug>/dashboard/", views.seizure_dashboard, name="dashboard"),
    path("seizures/<slug:slug>/hotspots.json", views.seizure_hotspots, name="seizure_hotspots"),
    path("seizures/<slug:slug>/<int:pk>/", views.seizure_detail, name="seizure"),
    path("seizures/<slug:slug>/<int:pk>/edit/", views.seizure_edit, name="seizure_edit"),
]
