from django.urls import path

from prossima.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.index, name="index"),
    path("my-data.json", views.export, name="export"),
    path("erase/", views.erase, name="erase"),
    path("retention/", views.retention_page, name="retention"),
    path("audit/", views.audit, name="audit"),
]
