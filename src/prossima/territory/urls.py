from django.urls import path

from prossima.territory import views

app_name = "territory"
urlpatterns = [
    path("comuni/", views.search, name="search"),
    path("comuni/<str:istat_code>/", views.comune, name="comune"),
]
