from django.urls import path

from prossima.inclusion import views
from prossima.inclusion.referral_urls import referral_urlpatterns

app_name = "inclusion"
urlpatterns = [
    path("", views.index, name="index"),
    path("national/", views.national, name="national"),
    path("comuni/<str:istat>/", views.comune_index, name="comune"),
    path("<slug:slug>/indicators/", views.upload, name="upload"),
    path("<slug:slug>/campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/cells.json", views.campaign_cells, name="campaign_cells"),
    path("campaigns/<int:pk>/audit/", views.audit, name="audit"),
    *referral_urlpatterns,
]
