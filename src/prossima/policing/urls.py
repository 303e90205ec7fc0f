from django.urls import path

from prossima.policing import views

app_name = "policing"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/beats/new/", views.plan_create, name="plan_create"),
    path("beats/<int:pk>/", views.plan, name="plan"),
    path("beats/<int:pk>/beats.json", views.plan_beats, name="plan_beats"),
    path("beats/<int:pk>/cells.json", views.plan_cells, name="plan_cells"),
    path("beats/<int:pk>/evaluate/", views.plan_evaluate, name="plan_evaluate"),
    path("beats/<int:pk>/save/", views.plan_save, name="plan_save"),
    path("beats/<int:pk>/activate/", views.plan_activate, name="plan_activate"),
    path("beat/<int:pk>/patrols/new/", views.patrol_create, name="patrol_create"),
    path("patrols/<int:pk>/", views.patrol, name="patrol"),
    path("patrols/<int:pk>/print/", views.patrol_print, name="patrol_print"),
    path("patrols/<int:pk>/log/", views.patrol_log, name="patrol_log"),
]
