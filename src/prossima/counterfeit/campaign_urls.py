"""URLs of the awareness campaigns (public list and page; record, edit and import)."""

from django.urls import URLPattern, path

from prossima.counterfeit import campaign_views as views

campaign_urlpatterns: list[URLPattern] = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/<slug:slug>/", views.campaign_new, name="campaign_new"),
    path("campaigns/import/<slug:slug>/", views.campaign_import, name="campaign_import"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
]
