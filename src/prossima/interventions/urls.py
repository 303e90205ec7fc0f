from django.urls import path

from prossima.interventions import views

app_name = "interventions"
urlpatterns = [
    path("", views.index, name="index"),
    path("public/", views.public, name="public"),
    path("<slug:slug>/new/", views.create, name="create"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/stage/", views.stage, name="stage"),
    path("projects/<int:pk>/publish/", views.publish, name="publish"),
    path("steps/<int:pk>/", views.step, name="step"),
]
