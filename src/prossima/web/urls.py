from django.urls import path

from prossima.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("modules/<slug:slug>/", views.module, name="module"),
]
