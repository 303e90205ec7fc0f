from django.urls import path

from prossima.territory import views

app_name = "territory"
urlpatterns = [
    path("comuni/", views.search, name="search"),
    path("comuni/<str:istat_code>/", views.comune, name="comune"),
    path("comuni/<str:istat_code>/subareas/", views.import_subareas, name="import_subareas"),
]
