from django.urls import path

from prossima.jobs import views

app_name = "jobs"
urlpatterns = [
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
