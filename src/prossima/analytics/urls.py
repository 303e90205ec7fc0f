from django.urls import path

from prossima.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("public/", views.public_index, name="public_index"),
    path("datasets/<int:pk>/launch/<slug:kind>/", views.launch, name="launch"),
    path("datasets/<int:pk>/points.json", views.points, name="points"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/publish/", views.publish, name="publish"),
    path("runs/<int:pk>/layers/<slug:name>.json", views.layer, name="layer"),
    path("runs/<int:pk>/cells/<str:cell_id>/", views.explain, name="explain"),
    path("<slug:slug>/map/", views.map_view, name="map"),
    path("<slug:slug>/public/", views.public, name="public"),
    path("<slug:slug>/public/hotspots.json", views.public_layer, name="public_layer"),
]
