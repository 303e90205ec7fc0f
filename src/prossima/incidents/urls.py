from django.urls import path

from prossima.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("tenants/<slug:slug>/datasets/new/", views.dataset_create, name="dataset_create"),
    path("datasets/<int:pk>/", views.dataset, name="dataset"),
    path("datasets/<int:pk>/upload/", views.upload, name="upload"),
    path("uploads/<str:token>/", views.preview_upload, name="preview"),
    path("imports/<int:pk>/", views.import_report, name="import"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
]
