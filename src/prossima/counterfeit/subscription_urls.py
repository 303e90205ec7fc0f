"""URLs of the alert subscriptions: sign up, confirm, manage (the secret link)."""

from django.urls import URLPattern, path

from prossima.counterfeit import subscription_views

subscription_urlpatterns: list[URLPattern] = [
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path(
        "subscribe/confirm/<str:token>/",
        subscription_views.confirm,
        name="subscription_confirm",
    ),
    path(
        "subscribe/manage/<str:token>/",
        subscription_views.manage,
        name="subscription_manage",
    ),
]
