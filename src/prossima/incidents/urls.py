from django.urls import path

from prossima.incidents import report_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("tenants/<slug:slug>/datasets/new/", views.dataset_create, name="dataset_create"),
    path("datasets/<int:pk>/", views.dataset, name="dataset"),
    path("datasets/<int:pk>/upload/", views.upload, name="upload"),
    path("uploads/<str:token>/", views.preview_upload, name="preview"),
    path("imports/<int:pk>/", views.import_report, name="import"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
    # Citizen reports
    path("reports/", report_views.reports, name="reports"),
    path("reports/new/", report_views.report_new, name="report_new"),
    path("reports/mine/", report_views.my_reports, name="my_reports"),
    path("reports/manage/", report_views.reports_manage, name="reports_manage"),
    path("reports/comuni/<str:istat_code>/", report_views.report_comune, name="report_comune"),
    path("reports/routing/<slug:slug>/", report_views.report_routing, name="report_routing"),
    path("reports/follow/<str:token>/", report_views.report_follow, name="report_follow"),
    path(
        "reports/follow/<str:token>/photo/",
        report_views.report_follow_photo,
        name="report_follow_photo",
    ),
    path("reports/<int:pk>/", report_views.report, name="report"),
    path("reports/<int:pk>/photo/", report_views.report_photo, name="report_photo"),
    path("reports/<int:pk>/moderate/", report_views.report_moderate, name="report_moderate"),
    path("reports/<int:pk>/status/", report_views.report_status, name="report_status"),
    path("reports/<int:pk>/route/", report_views.report_route, name="report_route"),
]
