"""Routes of services and referrals, included by ``inclusion/urls.py`` (app_name "inclusion")."""

from django.urls import path

from prossima.inclusion import referral_views as views

referral_urlpatterns = [
    path("services/", views.services, name="services"),
    path("services/<slug:slug>/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service, name="service"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<slug:slug>/new/", views.referral_new, name="referral_new"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
    path("referrals/<int:pk>/step/", views.referral_step, name="referral_step"),
    path("outcomes/<slug:slug>/", views.outcomes, name="outcomes"),
]
