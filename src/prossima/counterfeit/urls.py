from django.urls import path

from prossima.counterfeit import views
from prossima.counterfeit.alert_urls import alert_urlpatterns
from prossima.counterfeit.campaign_urls import campaign_urlpatterns
from prossima.counterfeit.seizure_urls import seizure_urlpatterns
from prossima.counterfeit.subscription_urls import subscription_urlpatterns

app_name = "counterfeit"
urlpatterns = [
    path("", views.index, name="index"),
    *alert_urlpatterns,
    *subscription_urlpatterns,
    *campaign_urlpatterns,
    *seizure_urlpatterns,
]
