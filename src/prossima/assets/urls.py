from django.urls import path

from prossima.assets import views

app_name = "assets"
urlpatterns = [
    path("", views.index, name="index"),
    path("italy/", views.national, name="national"),
    path("italy/map.geojson", views.national_map, name="national_map"),
    path("italy/regions.geojson", views.national_regions, name="national_regions"),
    path("italy/catalog.jsonld", views.public_catalog, name="public_catalog"),
    path("comuni/<str:istat_code>/", views.public_comune, name="public_comune"),
    path("comuni/<str:istat_code>/dcat.jsonld", views.public_dcat, name="public_dcat"),
    path("comuni/<str:istat_code>/assets.<str:fmt>", views.public_download, name="public_download"),
    path("public/<str:code>/", views.public_asset, name="public_asset"),
    path("registry/<slug:slug>/", views.registry, name="registry"),
    path("registry/<slug:slug>/new/", views.asset_new, name="asset_new"),
    path("registry/<slug:slug>/import/", views.import_upload, name="import_upload"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("imports/<int:pk>/", views.import_report, name="import_report"),
    path("pending/<int:pk>/resolve/", views.pending_resolve, name="pending_resolve"),
    path("pending/<int:pk>/discard/", views.pending_discard, name="pending_discard"),
    path("record/<int:pk>/", views.asset, name="asset"),
    path("record/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("record/<int:pk>/stage/", views.asset_stage, name="asset_stage"),
    path("record/<int:pk>/use/", views.asset_use, name="asset_use"),
    path("record/<int:pk>/concession/", views.concession_new, name="concession_new"),
    path("record/<int:pk>/call/", views.call_new, name="call_new"),
    path("concessions/<int:pk>/end/", views.concession_end, name="concession_end"),
    path("concessions/<int:pk>/report/", views.report_new, name="report_new"),
    path("calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
    path("calls/<int:pk>/outcome/", views.call_decide, name="call_decide"),
    path("proposals/<int:pk>/status/", views.proposal_status, name="proposal_status"),
]
