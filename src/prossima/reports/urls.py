from django.urls import path

from prossima.reports.views import catalogue, indicators, research

app_name = "reports"

urlpatterns = [
    path("", indicators.index, name="index"),
    # Indicators, comparisons, maps
    path("indicators/<slug:code>/", indicators.definition, name="indicator"),
    path("indicators/<slug:code>/map.json", indicators.map_data, name="indicator_map"),
    path("regions.geojson", indicators.regions, name="regions"),
    path("comuni/<str:istat_code>/", indicators.comune, name="comune"),
    # Yearly report
    path("comuni/<str:istat_code>/<int:year>/", indicators.yearly, name="yearly"),
    path("comuni/<str:istat_code>/<int:year>/report.pdf", indicators.yearly_pdf, name="yearly_pdf"),
    # Open-data catalogue
    path("catalogue/", catalogue.index, name="catalogue"),
    path("catalogue.<str:fmt>", catalogue.dcat, name="dcat"),
    path("data/indicators/<slug:code>.<str:fmt>", catalogue.indicator_data, name="indicator_data"),
    # Research extracts
    path("research/", research.index, name="research"),
    path("research/new/", research.create, name="research_new"),
    path("research/<int:pk>/", research.detail, name="research_request"),
    path("research/<int:pk>/decide/", research.decide, name="research_decide"),
    path("research/<int:pk>/withdraw/", research.withdraw, name="research_withdraw"),
    path("research/<int:pk>/extract.<str:fmt>", research.extract, name="research_extract"),
]
